"""Every hook followup calls, in one place.

Plugins implement these with :data:`followup.hookimpl`. Hooks receive a
``register`` callback rather than returning values, so the core validates what
each plugin contributes and names the plugin when two of them clash.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from ._vocabulary import Fact, Operator

__all__ = ["PROJECT"]

PROJECT = "followup"

_hookspec = pluggy.HookspecMarker(PROJECT)

# ---------------------------------------------------------------------------
# Rulebook vocabulary
# ---------------------------------------------------------------------------


@_hookspec
def followup_register_operators(register: Callable[[Operator], None]) -> None:
    """Add condition operators that rulebooks can use as ``{fact: NAME, OPERATOR: operand}``.

    Each operator brings the JSON Schema of its operand, so rulebooks that use it are
    validated as strictly as with a built-in one; a rulebook naming an operator that
    no installed plugin registers is rejected with the operator's name.

    :param register: call once per :class:`followup.Operator`; a name registered
        twice is an error naming both plugins.

    All implementations are called; the return value is ignored.
    """


@_hookspec
def followup_register_facts(register: Callable[[Fact], None]) -> None:
    """Add facts that rules can read, such as ``application.recruiter_email``.

    A fact's name starts with the level it needs (``candidate``, ``application``,
    ``interview``, ``interviewer`` or ``reference``); its getter receives a
    :class:`followup.Scope` and returns the value, or ``None`` when unset. Getters
    must be pure: the engine calls them in its loop and expects the same answer
    for the same state and instant.

    :param register: call once per :class:`followup.Fact`.

    All implementations are called; the return value is ignored.
    """
