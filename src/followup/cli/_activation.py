"""``followup rules activate|history|compile`` and ``followup config activate|history``.

What every worker sharing a store runs with: the active rulebook and channel
configuration, kept in the store with their history (:mod:`followup.delivery`);
and what a rulebook is compiled into (``rules compile``).
"""

from __future__ import annotations

from typing import Any

import click

from ._options import fail, store_option

__all__ = ["COMMANDS"]


def _open(url: str | None) -> Any:
    from ..stores import open_store

    return open_store(url or None, create=False)


def _report(kind: str, activation: Any, changed: bool) -> None:
    from ..delivery import ACTIVATION_KINDS

    what = ACTIVATION_KINDS[kind]
    if not changed:
        click.echo(f"the {what} {activation.fingerprint[:12]} ({activation.source}) is already active; nothing changed")
        return
    click.echo(f"activated the {what} {activation.fingerprint[:12]} ({activation.source}): {activation.summary}")
    click.echo("every application is due at the next `followup run`")


def _history(store_url: str | None, kind: str) -> None:
    store = _open(store_url)
    try:
        history = store.activations(kind)
    finally:
        store.close()
    if not history:
        click.echo(f"no {kind} activated in this store yet: the first `followup run` activates its own")
        return
    for index, entry in enumerate(history):
        when = entry.activated_at.isoformat(timespec="seconds").replace("+00:00", "Z")
        mark = "*" if index == len(history) - 1 else " "
        click.echo(f"{mark} {when}  {entry.fingerprint[:12]}  {entry.activated_by}  {entry.source}  {entry.summary}")


@click.group("rules")
def rules_group() -> None:
    """The rulebook every worker sharing the store runs with."""


@rules_group.command("activate")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@store_option
def rules_activate(files: tuple[str, ...], store_url: str | None) -> None:
    """Make the rulebook FILES (later ones overlays, as with --rules) the active one.

    Workers started with another rulebook refuse to run until they are given
    this one, or started without --rules. Every application becomes due, so
    what the new rules make due is found at the next run. `default` names the
    packaged rulebook.
    """
    from ..rules import load_rulebooks

    rulebook = load_rulebooks(list(files))
    _activate(store_url, "rules", rulebook.document, " ".join(files))


def _activate(store_url: str | None, kind: str, document: Any, source: str) -> None:
    """Activate ``document`` in the store and say what that changed."""
    from ..delivery import activate

    store = _open(store_url)
    try:
        activation, changed = activate(store, kind, document, source)
    finally:
        store.close()
    _report(kind, activation, changed)


@rules_group.command("history")
@store_option
def rules_history(store_url: str | None) -> None:
    """Every rulebook activated in the store: when, fingerprint, by whom, from where, what changed (* active)."""
    _history(store_url, "rules")


@rules_group.command("compile")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
@click.option("--show", is_flag=True, help="Print the Python source generated from the rulebook.")
def rules_compile(files: tuple[str, ...], show: bool) -> None:
    """Check and compile the rulebook FILES (later ones overlays; none: the default rulebook).

    Says how many rules and caps it compiled to. With --show, prints instead
    the Python source the engine runs for it: one function for the
    candidate-wide rules, one for the rules of an application, each part of a
    condition tested in the outermost loop whose items it reads.
    """
    from .._errors import InvalidInput
    from ..rules import generate, load_rulebooks

    try:
        rulebook = load_rulebooks(list(files))
        program = generate(rulebook)
    except InvalidInput as exc:
        fail(exc)
    if show:
        click.echo(program.source, nl=False)
        return
    lines = program.source.count("\n")
    click.echo(f"{' + '.join(rulebook.sources)}: {len(rulebook.rules)} rules and {len(rulebook.caps)} caps compiled to {lines} lines of Python")


@click.group("config")
def config_group() -> None:
    """The channel configuration every worker sharing the store runs with."""


@config_group.command("activate")
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@store_option
def config_activate(file: str | None, store_url: str | None) -> None:
    """Make the configuration FILE (default: $FOLLOWUP_CONFIG, else the user's) the active one.

    It is checked first (secrets must come from the environment, so none is
    stored). Workers with another configuration file refuse to run until they
    are given this one.
    """
    from ..delivery import load_config

    config = load_config(file)
    _activate(store_url, "config", config.data, str(config.path) if config.path is not None else "none")


@config_group.command("history")
@store_option
def config_history(store_url: str | None) -> None:
    """Every channel configuration activated in the store (* active)."""
    _history(store_url, "config")


COMMANDS: tuple[click.Command, ...] = (rules_group, config_group)
