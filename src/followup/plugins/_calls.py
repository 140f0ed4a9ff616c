"""Calling hooks through pluggy, and collecting what the ``register`` hooks registered."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterable
from dataclasses import fields, is_dataclass, replace
from types import FrameType, TracebackType
from typing import Any

import pluggy

from . import hookspecs
from ._manager import PluginLoadError, PluginManager, _trace_enabled, describe
from ._registry import get_plugin_manager

__all__ = ["call_hook", "collect", "notify", "registrations"]

log = logging.getLogger("followup.plugins")


def _implementations(caller: pluggy.HookCaller) -> list[pluggy.HookImpl]:
    """The plain (not wrapper) implementations of a hook, in the order pluggy calls them."""
    return [impl for impl in reversed(caller.get_hookimpls()) if not (impl.hookwrapper or impl.wrapper)]


def _runs(impl: pluggy.HookImpl, frame: FrameType) -> bool:
    """Whether ``frame`` is a call of ``impl``'s own function (not another object sharing its code)."""
    function = impl.function
    owner = getattr(function, "__self__", None)
    if owner is not None:
        return frame.f_locals.get("self") is owner
    cells = getattr(function, "__closure__", None) or ()
    names = function.__code__.co_freevars
    return all(frame.f_locals.get(name) is cell.cell_contents for name, cell in zip(names, cells, strict=False))


def _plugin_of(frames: Iterable[FrameType], codes: dict[int, list[pluggy.HookImpl]]) -> str | None:
    """The plugin whose hook implementation is running in ``frames`` (innermost first)."""
    for frame in frames:
        impls = codes.get(id(frame.f_code))
        if not impls:
            continue
        for impl in impls:
            if len(impls) == 1 or _runs(impl, frame):
                return impl.plugin_name
        return impls[0].plugin_name
    return None


def _code_map(caller: pluggy.HookCaller) -> dict[int, list[pluggy.HookImpl]]:
    """Each implementation by the identity of its code object (two modules with the same source differ)."""
    codes: dict[int, list[pluggy.HookImpl]] = {}
    for impl in caller.get_hookimpls():
        code = getattr(impl.function, "__code__", None)
        if code is not None:
            codes.setdefault(id(code), []).append(impl)
    return codes


def _stack(frame: FrameType | None) -> Iterable[FrameType]:
    while frame is not None:
        yield frame
        frame = frame.f_back


def _traceback_frames(tb: TracebackType | None) -> list[FrameType]:
    frames: list[FrameType] = []
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    return frames[::-1]  # innermost first


def call_hook(
    pm: pluggy.PluginManager,
    hook_name: str,
    /,
    *,
    on_error: Callable[[str, Exception], None] | None = None,
    **kwargs: Any,
) -> None:
    """Call ``pm.hook.<hook_name>(**kwargs)``; with ``on_error``, one plugin that raises does not stop the rest.

    The hook is called through pluggy, so hook wrappers and pluggy's tracing see
    the call. When an implementation raises, ``on_error(plugin_name, exception)``
    is told and the call goes on with the implementations not yet called (through
    :meth:`pluggy.PluginManager.subset_hook_caller`); none is called twice.
    """
    caller: pluggy.HookCaller = getattr(pm.hook, hook_name)
    done: list[str] = []
    while True:
        hook = caller
        if done:
            removed = [plugin for name in done if (plugin := pm.get_plugin(name)) is not None]
            hook = pm.subset_hook_caller(hook_name, remove_plugins=removed)
        order = [impl.plugin_name for impl in _implementations(hook)]
        try:
            hook(**kwargs)
            return
        except Exception as exc:
            culprit = _plugin_of(_traceback_frames(exc.__traceback__), _code_map(hook))
            if on_error is None or culprit is None or culprit not in order:
                raise
            on_error(culprit, exc)
            done.extend(order[: order.index(culprit) + 1])


def _label(item: Any) -> str:
    kind = type(item).__name__.removesuffix("Spec").lower()
    name = getattr(item, "name", None)
    if name:
        return f"{kind} {name!r}"
    schemes = getattr(item, "schemes", None)
    if schemes and not isinstance(schemes, str):
        return f"{kind} " + "/".join(f"{scheme}:" for scheme in schemes)
    return repr(item)


def registrations(pm: pluggy.PluginManager, hook_name: str) -> list[tuple[str, list[Any]]]:
    """Call a ``register`` hook through pluggy; what each plugin registered, in call order.

    Every implementation receives the same ``register`` callback; the callback works
    out which plugin's implementation is calling it, so each item is attributed to
    the plugin that registered it. An implementation that raises is reported (naming
    the plugin, in the manager's :attr:`~PluginManager.load_errors` and the log) and
    left out; the other plugins still register theirs.
    """
    caller: pluggy.HookCaller = getattr(pm.hook, hook_name)
    codes = _code_map(caller)
    order = [impl.plugin_name for impl in _implementations(caller)]
    found: dict[str | None, list[Any]] = {name: [] for name in order}
    failed: set[str] = set()
    tracing = _trace_enabled(pm)

    def register(item: Any) -> None:
        found.setdefault(_plugin_of(_stack(sys._getframe(1)), codes), []).append(item)

    def report(plugin_name: str, exc: Exception) -> None:
        failed.add(plugin_name)
        message = f"{describe(pm, plugin_name)} raised {type(exc).__name__} in {hook_name}: {exc}; skipped"
        log.warning("%s", message)
        if isinstance(pm, PluginManager) and message not in pm.load_errors:
            pm.load_errors.append(message)
        if tracing:
            print(f"followup: {hook_name} on {plugin_name} raised {type(exc).__name__}: {exc}", file=sys.stderr)

    call_hook(pm, hook_name, on_error=report, register=register)
    result = [(name, found[name]) for name in order if name not in failed]
    if found.get(None):
        result.append(("an unknown plugin", found[None]))
    if tracing:
        for name, items in result:
            shown = ", ".join(_label(item) for item in items) or "nothing"
            print(f"followup: {hook_name} on {name} registered {shown}", file=sys.stderr)
    return result


def collect(
    pm: pluggy.PluginManager,
    hook_name: str,
    *,
    problem: Callable[[Any], str | None],
    keys: Callable[[Any], Iterable[str]] | None = None,
    clash: Callable[[str, str, str], str] | None = None,
) -> list[Any]:
    """What the plugins of ``pm`` register through ``hook_name``, checked and stamped with their plugin's name.

    The one collector every registry is built with (operators, facts, channels,
    stores, commands).

    :param problem: what is wrong with an item, as the end of a sentence whose
        subject is the plugin (``"registered 3, which is not a followup.Fact"``), or
        ``None`` when it is fine.
    :param keys: the names an item claims (a channel's name, a store's schemes); two
        items claiming one name is a problem, worded by ``clash(name, first, second)``
        given the names of both plugins.
    :raises PluginLoadError: every problem found, in one error.
    """
    items: list[Any] = []
    owners: dict[str, str] = {}
    problems: list[str] = []
    for plugin_name, registered in registrations(pm, hook_name):
        for item in registered:
            wrong = problem(item)
            if wrong is not None:
                problems.append(f"{describe(pm, plugin_name)} {wrong}")
                continue
            claimed = list(keys(item)) if keys is not None else []
            clashes = [key for key in claimed if key in owners]
            for key in clashes:
                assert clash is not None
                problems.append(clash(key, owners[key], plugin_name))
            if clashes:
                continue
            for key in claimed:
                owners[key] = plugin_name
            if is_dataclass(item) and not isinstance(item, type) and any(f.name == "plugin" for f in fields(item)):
                item = replace(item, plugin=plugin_name)
            items.append(item)
    if problems:
        raise PluginLoadError(*problems)
    return items


def notify(hook_name: str, /, *, pm: pluggy.PluginManager | None = None, **kwargs: Any) -> None:
    """Tell every plugin about a lifecycle event; one that raises is logged and the others still hear it.

    :param hook_name: ``followup_action_due``, ``followup_action_delivered``,
        ``followup_action_failed`` or ``followup_action_suppressed``.
    :param pm: the plugin manager (default: the process-wide one).
    :param kwargs: the hook's arguments, all of them.
    """
    if pm is None:
        pm = get_plugin_manager()
    manager = pm
    caller = getattr(manager.hook, hook_name, None)
    if caller is None or caller.spec is None or not hook_name.startswith("followup_action_"):
        events = ", ".join(name for name in dir(hookspecs) if name.startswith("followup_action_"))
        raise ValueError(f"{hook_name!r} is not a lifecycle event; the events are: {events}")
    missing = set(caller.spec.argnames) - set(kwargs)
    if missing:
        raise TypeError(f"{hook_name} needs {', '.join(sorted(missing))}")

    def report(plugin_name: str, exc: Exception) -> None:
        log.error(
            "%s raised in %s; the other plugins were still notified",
            describe(manager, plugin_name),
            hook_name,
            exc_info=(type(exc), exc, exc.__traceback__),
        )
        if _trace_enabled(manager):
            print(f"followup: {hook_name} on {plugin_name} raised {type(exc).__name__}: {exc}", file=sys.stderr)

    call_hook(manager, hook_name, on_error=report, **kwargs)
