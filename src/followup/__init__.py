"""followup: a rules engine for job-interview follow-ups.

Load a state and a rulebook, evaluate, read the agenda::

    from followup import Engine, load_rulebook, load_state

    agenda = Engine(load_rulebook()).evaluate(load_state("state.yaml"), now)
    for action in agenda.pending:
        print(action.key, action.due_at, action.reason)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import lazy_attributes

if TYPE_CHECKING:
    from ._errors import FollowupError, InvalidInput, Problem
    from ._time import Calendar
    from .delivery import Block, Channel, ChannelSpec, Config, DeliveryError, Dispatcher, Message, Party, Receipt
    from .engine import STATUSES, Action, Agenda, Engine
    from .plugins import hookimpl
    from .rules import Fact, Operator, Rulebook, Scope, Vocabulary, load_rulebook, load_rulebooks
    from .state import (
        Application,
        Candidate,
        Contact,
        Interview,
        Interviewer,
        Offer,
        Reference,
        State,
        load_state,
        parse_instant,
    )
    from .stores import OutboxEntry, Store, StoreError, open_store

# Public names -> the private module defining them. Importing followup stays cheap
# (the command line starts fast); each name is imported on first use.
_LAZY = {
    "STATUSES": ".engine",
    "Action": ".engine",
    "Agenda": ".engine",
    "Block": ".delivery",
    "Channel": ".delivery",
    "ChannelSpec": ".delivery",
    "Config": ".delivery",
    "DeliveryError": ".delivery",
    "Message": ".delivery",
    "Party": ".delivery",
    "Receipt": ".delivery",
    "StoreSpec": ".stores",
    "Engine": ".engine",
    "FollowupError": "._errors",
    "InvalidInput": "._errors",
    "Problem": "._errors",
    "Scope": ".rules",
    "Application": ".state",
    "Candidate": ".state",
    "Contact": ".state",
    "Interview": ".state",
    "Interviewer": ".state",
    "Offer": ".state",
    "Reference": ".state",
    "State": ".state",
    "Rulebook": ".rules",
    "load_rulebook": ".rules",
    "load_rulebooks": ".rules",
    "load_state": ".state",
    "parse_instant": ".state",
    "OutboxEntry": ".stores",
    "Store": ".stores",
    "StoreError": ".stores",
    "open_store": ".stores",
    "Dispatcher": ".delivery",
    "Calendar": "._time",
    "Fact": ".rules",
    "Operator": ".rules",
    "Vocabulary": ".rules",
    "hookimpl": ".plugins",
}


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
    "Config",
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

__getattr__, __dir__ = lazy_attributes(__name__, _LAZY, __all__)
