"""The kit for plugin authors, also a pytest plugin (installed with followup, nothing to enable).

Fixtures, available in any test once followup is installed:

``plugin_manager``
    a fresh plugin manager with the built-in plugins only (no entry points), so a
    test sees exactly the plugins it registers.
``register_plugin``
    ``register_plugin(plugin, name=None)`` registers a plugin in the process-wide
    manager (the one :func:`followup.load_rulebook`, :class:`followup.Dispatcher` and
    the command line use), forgets the collected vocabulary, channels and stores so
    they include it, and undoes all of that when the test ends.
``fixed_clock``
    a :class:`FixedClock` at :data:`SAMPLE_NOW`; pass ``fixed_clock.now`` wherever
    followup asks for the current instant and move it with ``advance``.
``memory_store``
    a fresh, empty in-memory store.

Conformance suites to subclass: :class:`ChannelConformance` (delivery channels,
:mod:`followup.testing.channels`) and :class:`StoreConformance` (stores,
:mod:`followup.testing.stores`). Also :func:`sample_state`, :func:`sample_message`
and :func:`registered`, the context manager behind ``register_plugin``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import pytest

from .channels import ChannelConformance, sample_message, sample_messages

# the store kit: in-memory store fixture, store conformance suite, sample state
from .stores import SAMPLE_NOW, SAMPLE_STATE, RecordingChannel, StoreConformance, memory_store, sample_state

if TYPE_CHECKING:
    import pluggy

    from ..plugins import PluginManager

__all__ = [
    "SAMPLE_NOW",
    "SAMPLE_STATE",
    "ChannelConformance",
    "FixedClock",
    "RecordingChannel",
    "StoreConformance",
    "fixed_clock",
    "memory_store",
    "plugin_manager",
    "register_plugin",
    "registered",
    "sample_message",
    "sample_messages",
    "sample_state",
]


class FixedClock:
    """An instant that stands still until a test moves it; always time-zone aware.

    :param start: the first instant (aware; a naive one is refused).
    """

    def __init__(self, start: dt.datetime = SAMPLE_NOW) -> None:
        self.now = self._aware(start)

    @staticmethod
    def _aware(moment: dt.datetime) -> dt.datetime:
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(f"{moment.isoformat()} has no time zone; followup never guesses one")
        return moment

    def __call__(self) -> dt.datetime:
        """The current instant."""
        return self.now

    def advance(self, delta: dt.timedelta | None = None, **parts: float) -> dt.datetime:
        """Move forward by ``delta`` or by ``days=``, ``hours=``… and return the new instant."""
        step = delta if delta is not None else dt.timedelta(**parts)
        if step < dt.timedelta(0):
            raise ValueError("a clock only moves forward; set .now to go back")
        self.now = self.now + step
        return self.now

    def set(self, moment: dt.datetime) -> dt.datetime:
        """Jump to ``moment`` (aware)."""
        self.now = self._aware(moment)
        return self.now

    @property
    def iso(self) -> str:
        """The instant as ISO 8601 with its offset, for ``--now``."""
        return self.now.isoformat()


def _forget_cached() -> None:
    import sys

    from .. import plugins

    plugins.forget_registries()
    cli = sys.modules.get("followup.cli")
    group = getattr(cli, "cli", None)
    if group is not None and hasattr(group, "forget_plugin_commands"):
        group.forget_plugin_commands()


@contextmanager
def registered(plugin: object, name: str | None = None, *, pm: pluggy.PluginManager | None = None) -> Iterator[object]:
    """Register ``plugin`` (in ``pm``, default the process-wide manager) for the ``with`` block.

    The plugin is checked like an installed one: a hook name followup does not have,
    or an argument a hook does not pass, raises :class:`followup.plugins.PluginLoadError`
    naming it. The vocabulary, channels, stores and plugin commands collected before
    are forgotten on the way in and on the way out.
    """
    from ..plugins import PluginLoadError, get_plugin_manager, hook_problems

    manager = pm if pm is not None else get_plugin_manager()
    label = name or getattr(plugin, "__name__", None) or type(plugin).__name__
    problems = hook_problems(manager, plugin)
    if problems:
        raise PluginLoadError(*(f"plugin {label!r}: {problem}" for problem in problems))
    manager.register(plugin, name=name)
    _forget_cached()
    try:
        yield plugin
    finally:
        if manager.is_registered(plugin):
            manager.unregister(plugin)
        _forget_cached()


@pytest.fixture
def plugin_manager() -> PluginManager:
    """A fresh manager with the built-in plugins and no entry points."""
    from ..plugins import build_plugin_manager

    return build_plugin_manager(entry_points=False)


@pytest.fixture
def register_plugin() -> Iterator[Callable[..., Any]]:
    """``register_plugin(plugin, name=None, pm=None)``: registered until the test ends."""
    from contextlib import ExitStack

    with ExitStack() as stack:

        def register(plugin: object, name: str | None = None, pm: pluggy.PluginManager | None = None) -> object:
            return stack.enter_context(registered(plugin, name, pm=pm))

        yield register


@pytest.fixture
def fixed_clock() -> FixedClock:
    """A clock standing at :data:`SAMPLE_NOW` (2026-11-27 10:00 UTC)."""
    return FixedClock()
