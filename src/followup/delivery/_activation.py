"""The active rulebook and channel configuration of a store, shared by every worker.

A store keeps a history of *activations*: each time a rulebook (kind ``rules``) or a
channel configuration (kind ``config``) becomes the one every worker must use, one
:class:`followup.stores.Activation` is recorded with its fingerprint (SHA-256 of the
document's canonical JSON), who activated it, when, and what changed. The last one of
each kind is active. Activating wakes every application, so that what a change
makes due is found at the next run, not at a wake worked out under the old rules.

A worker (``followup run``) resolves what it runs with here:

- with ``--rules``/``--config`` naming something other than what is active, it
  refuses to run (:class:`RulebookMismatch`: which is active, since when, by whom,
  and how to activate), unless told to activate its own (``--activate``);
- without them it runs with what is active;
- on a store where nothing is active yet, its own (or the default) becomes active,
  recorded like any other activation.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
import socket
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._errors import FollowupError
from ..stores import Activation, Store

if TYPE_CHECKING:
    from ..rules import Rulebook
    from ._config import Config

__all__ = [
    "ACTIVATION_KINDS",
    "ActivationChanged",
    "RulebookMismatch",
    "activate",
    "active",
    "fingerprint",
    "guard_for",
    "resolve_config",
    "resolve_rules",
    "summarize",
]

#: what can be activated, and what people call it
ACTIVATION_KINDS: Mapping[str, str] = {"rules": "rulebook", "config": "channel configuration"}

#: the lock every activation takes, so that two workers starting at once agree on one
_LOCK = "*activation*"


class RulebookMismatch(FollowupError):
    """A worker started with a rulebook or configuration other than the store's active one."""


class ActivationChanged(RulebookMismatch):
    """Another rulebook or configuration was activated while a worker ran."""


def guard_for(store: Store, rulebook: Rulebook, config: Config) -> Callable[[], None]:
    """A :class:`~followup.Dispatcher` guard: raises :class:`ActivationChanged` once the
    store's active rulebook or configuration is no longer the one this worker runs with."""
    in_use = {"rules": fingerprint(rulebook.document), "config": fingerprint(config.data)}

    def check() -> None:
        for kind, print_ in in_use.items():
            current = active(store, kind)
            if current is not None and current.fingerprint != print_:
                raise ActivationChanged(
                    f"the store's active {ACTIVATION_KINDS[kind]} changed to {current.fingerprint[:12]} ({current.source}, "
                    f"activated by {current.activated_by}) while this worker ran with {print_[:12]}; it stops here, "
                    "before taking more work: start it again with the new one"
                )

    return check


def _canonical(document: Mapping[str, Any]) -> str:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def plain(document: Mapping[str, Any]) -> dict[str, Any]:
    """``document`` as plain JSON data (what the store keeps and fingerprints)."""
    return json.loads(json.dumps(dict(document), default=str))  # type: ignore[no-any-return]


def _without_secrets(value: Any) -> Any:
    """``value`` with every URL cut to scheme, host and port: a webhook's path, query or
    user part often carries its token, and secrets never reach a stored row."""
    from .channels.webhook import redact_url

    if isinstance(value, Mapping):
        return {key: _without_secrets(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_secrets(item) for item in value]
    if isinstance(value, str) and "://" in value:
        return redact_url(value)
    return value


def fingerprint(document: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON text of ``document``."""
    return hashlib.sha256(_canonical(plain(document)).encode("utf-8")).hexdigest()


def _who() -> str:
    try:
        user = getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in this environment
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def active(store: Store, kind: str) -> Activation | None:
    """The active activation of ``kind``, or ``None`` when nothing was ever activated."""
    history = store.activations(kind)
    return history[-1] if history else None


def activate(store: Store, kind: str, document: Mapping[str, Any], source: str, *, note: str = "") -> tuple[Activation, bool]:
    """Make ``document`` the active one of ``kind``; ``(the active activation, whether it changed)``.

    Activating what is already active records nothing and wakes nothing.
    """
    if kind not in ACTIVATION_KINDS:
        raise ValueError(f"kind must be one of {', '.join(ACTIVATION_KINDS)}, not {kind!r}")
    data = plain(document)
    print_ = fingerprint(data)
    with store.locked(_LOCK):
        current = active(store, kind)
        if current is not None and current.fingerprint == print_:
            return current, False
        summary = summarize(kind, current.document if current is not None else None, data)
        activation = Activation(
            kind=kind,
            fingerprint=print_,
            # the fingerprint is of the whole document; what is kept has no secret in it
            document=_without_secrets(data) if kind == "config" else data,
            source=source,
            activated_at=dt.datetime.now(dt.UTC),
            activated_by=_who(),
            summary=f"{note}{summary}",
        )
        store.activate(activation)
    return activation, True


def summarize(kind: str, old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> str:
    """What changed, in a few words: ``+id`` added, ``-id`` removed, ``~id`` changed."""
    if kind == "rules":
        parts = _by_id_changes(old, new, "rules", "") + _by_id_changes(old, new, "caps", "cap:")
        if old is None:
            rules = [r for r in new.get("rules", []) if r.get("enabled", True)]
            caps = [c for c in new.get("caps", []) if c.get("enabled", True)]
            return f"first activation: {len(rules)} rule(s), {len(caps)} cap(s): " + ", ".join(parts)
    else:
        parts = _section_changes(old or {}, new)
        if old is None:
            return "first activation: " + (", ".join(parts) or "no settings (everything to the console)")
    return ", ".join(parts) or "no change in rules or caps (descriptions or order only)"


def _by_id_changes(old: Mapping[str, Any] | None, new: Mapping[str, Any], section: str, label: str) -> list[str]:
    def items(document: Mapping[str, Any] | None) -> dict[str, Any]:
        if document is None:
            return {}
        return {item["id"]: item for item in document.get(section, []) if isinstance(item, Mapping) and "id" in item}

    before, after = items(old), items(new)
    on = {k for k, v in after.items() if v.get("enabled", True)}
    was_on = {k for k, v in before.items() if v.get("enabled", True)}
    parts = [f"+{label}{k}" for k in sorted(on - was_on)]
    parts += [f"-{label}{k}" for k in sorted(was_on - on)]
    parts += [f"~{label}{k}" for k in sorted(on & was_on) if before[k] != after[k]]
    return parts


def _section_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    def sections(document: Mapping[str, Any]) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for name, value in document.items():
            if name == "channels" and isinstance(value, Mapping):
                found.update({f"channels.{channel}": settings for channel, settings in value.items()})
            else:
                found[name] = value
        return found

    before, after = sections(old), sections(new)
    parts = [f"+{k}" for k in sorted(after.keys() - before.keys())]
    parts += [f"-{k}" for k in sorted(before.keys() - after.keys())]
    parts += [f"~{k}" for k in sorted(after.keys() & before.keys()) if before[k] != after[k]]
    return parts


def _refusal(kind: str, current: Activation, own_source: str, own_print: str, how: str) -> RulebookMismatch:
    what = ACTIVATION_KINDS[kind]
    since = current.activated_at.isoformat(timespec="seconds").replace("+00:00", "Z")
    return RulebookMismatch(
        f"this worker was started with the {what} {own_source} (fingerprint {own_print[:12]}), but the store's "
        f"active {what} is {current.fingerprint[:12]} ({current.source}), active since {since}, activated by "
        f"{current.activated_by}. Workers sharing a store must use the same {what}: to make yours the active one "
        f"for every worker, run `followup {kind} activate {own_source}` (or `followup run --activate ...`); "
        f"to run with the active one, {how}. `followup {kind} history` lists the changes."
    )


def resolve_rules(store: Store, paths: Sequence[str], *, activate_own: bool, dry: bool = False) -> Rulebook:
    """The rulebook a worker runs with (see the module's docstring); with ``dry``,
    the one it would run with, activating and refusing nothing (dry runs)."""
    from ..rules import load_rulebook, load_rulebooks

    current = active(store, "rules")
    if not paths and current is not None:
        return load_rulebook(current.document)
    own = load_rulebooks(list(paths))
    if dry:
        return own
    source = " ".join(paths) if paths else "default"
    _adopt(store, "rules", current, own.document, source, activate_own, "start the worker without --rules")
    return own


def _adopt(
    store: Store, kind: str, current: Activation | None, document: Mapping[str, Any], source: str, activate_own: bool, how: str
) -> None:
    """Make a worker's own ``document`` the active one where it may (nothing active yet, or
    ``--activate``); refuse to run when another one is active."""
    print_ = fingerprint(document)
    if current is None or (current.fingerprint != print_ and activate_own):
        activate(store, kind, document, source, note="" if activate_own else "by the first worker to run: ")
    elif current.fingerprint != print_:
        raise _refusal(kind, current, source, print_, how)


def resolve_config(store: Store, own: Config, *, activate_own: bool) -> Config:
    """The channel configuration a worker runs with (see the module's docstring).

    A worker without a configuration file of its own runs with the active one.
    """
    from ._config import Config, validate_config

    current = active(store, "config")
    if own.path is None and current is not None:
        if fingerprint(current.document) != current.fingerprint:
            raise RulebookMismatch(
                f"the store's active channel configuration ({current.source}, {current.fingerprint[:12]}) has "
                "addresses with secrets in them, which the store does not keep: start the worker with "
                "--config naming that file"
            )
        validate_config(current.document, f"the store's active configuration ({current.source})")
        origin = Path(current.source) if current.source not in ("", "none") else None
        return Config(origin, current.document)
    source = str(own.path) if own.path is not None else "none"
    _adopt(store, "config", current, own.data, source, activate_own, "start the worker without a configuration file of its own")
    return own
