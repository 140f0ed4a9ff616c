"""followup: a rules engine for job-interview follow-ups.

Load a state and a rulebook, evaluate, read the agenda::

    from followup import Engine, load_rulebook, load_state

    agenda = Engine(load_rulebook()).evaluate(load_state("state.yaml"), now)
    for action in agenda.pending:
        print(action.key, action.due_at, action.reason)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._agenda import STATUSES, Action, Agenda
    from ._delivery import Block, Channel, ChannelSpec, DeliveryError, Message, Party, Receipt, StoreSpec
    from ._engine import Engine
    from ._errors import FollowupError, InvalidInput, Problem
    from ._facts import Scope
    from ._model import Application, Candidate, Contact, Interview, Interviewer, Offer, Reference, State
    from ._rulebook import Rulebook, load_rulebook, load_rulebooks
    from ._state import load_state, parse_instant
    from ._store import OutboxEntry, Store, StoreError, open_store
    from ._time import Calendar
    from ._vocabulary import Fact, Operator, Vocabulary
    from .dispatch import Dispatcher
    from .plugins import hookimpl

# Public names -> the private module defining them. Importing followup stays cheap
# (the command line starts fast); each name is imported on first use.
_LAZY = {
    "STATUSES": "._agenda",
    "Action": "._agenda",
    "Agenda": "._agenda",
    "Block": "._delivery",
    "Channel": "._delivery",
    "ChannelSpec": "._delivery",
    "DeliveryError": "._delivery",
    "Message": "._delivery",
    "Party": "._delivery",
    "Receipt": "._delivery",
    "StoreSpec": "._delivery",
    "Engine": "._engine",
    "FollowupError": "._errors",
    "InvalidInput": "._errors",
    "Problem": "._errors",
    "Scope": "._facts",
    "Application": "._model",
    "Candidate": "._model",
    "Contact": "._model",
    "Interview": "._model",
    "Interviewer": "._model",
    "Offer": "._model",
    "Reference": "._model",
    "State": "._model",
    "Rulebook": "._rulebook",
    "load_rulebook": "._rulebook",
    "load_rulebooks": "._rulebook",
    "load_state": "._state",
    "parse_instant": "._state",
    "OutboxEntry": "._store",
    "Store": "._store",
    "StoreError": "._store",
    "open_store": "._store",
    "Dispatcher": ".dispatch",
    "Calendar": "._time",
    "Fact": "._vocabulary",
    "Operator": "._vocabulary",
    "Vocabulary": "._vocabulary",
    "hookimpl": ".plugins",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'followup' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "STATUSES",
    "Action",
    "Agenda",
    "Application",
    "Block",
    "Calendar",
    "Candidate",
    "Channel",
    "ChannelSpec",
    "Contact",
    "DeliveryError",
    "Dispatcher",
    "Engine",
    "Fact",
    "FollowupError",
    "Interview",
    "Interviewer",
    "InvalidInput",
    "Message",
    "Offer",
    "Operator",
    "OutboxEntry",
    "Party",
    "Problem",
    "Receipt",
    "Reference",
    "Rulebook",
    "Scope",
    "State",
    "Store",
    "StoreError",
    "StoreSpec",
    "Vocabulary",
    "__version__",
    "hookimpl",
    "load_rulebook",
    "load_rulebooks",
    "load_state",
    "open_store",
    "parse_instant",
]

__version__ = "0.1.0"
