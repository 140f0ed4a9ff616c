"""Evaluation: from a state, a compiled rulebook and an instant to an :class:`Agenda`.

Owns :class:`Action` and :class:`Agenda` (``_agenda``), the cap ledger (``_caps``),
:class:`Engine` (``_engine``: the core loop; pure, no I/O, no clock), ``explain``
(``_explain``: why one action is what it is) and ``simulate`` (``_simulate``: walking a
state forward in time, change by change).

``explain`` lives here rather than in :mod:`followup.rules` because it evaluates: it
needs the engine, and the rules must not depend on the engine.

May import: ``followup.rules``, ``followup.state``, ``followup._errors``,
``followup._time``.
"""

from __future__ import annotations

from ._agenda import STATUSES, Action, Agenda
from ._engine import Engine
from ._explain import Explanation, explain, explanation
from ._simulate import DEFAULT_MAX_STEPS, SimulationTooLong, Timeline, print_table, render_html, simulate

__all__ = [
    "DEFAULT_MAX_STEPS",
    "STATUSES",
    "Action",
    "Agenda",
    "Engine",
    "Explanation",
    "SimulationTooLong",
    "Timeline",
    "explain",
    "explanation",
    "print_table",
    "render_html",
    "simulate",
]
