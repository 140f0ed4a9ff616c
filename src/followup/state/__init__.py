"""The candidate's world as data: the model, reading it from YAML/JSON, and its schema.

Owns the frozen dataclasses of a state (:class:`State`, :class:`Candidate`,
:class:`Application`, :class:`Interview`, :class:`Contact`...), the document reader that
keeps source positions (``_source``), schema validation with "did you mean" hints
(``_validation``), the published state schema (``_schema``) and :func:`load_state`
(``_loading``), which turns a document into a :class:`State` or an
:class:`~followup.InvalidInput` naming file, line and value.

May import: ``followup._errors``, ``followup._time``. Nothing else of followup: every
other area builds on this one.
"""

from __future__ import annotations

from . import _model
from ._loading import load_state, parse_instant, state_from_checked_document, state_from_document
from ._model import *  # noqa: F403  (the model's names are this package's; _model.__all__ lists them)
from ._schema import SCHEMA_BASE, STATE_SCHEMA
from ._source import LocatedDict, LocatedList, Mark, excerpt, load_document, locate, parse_document, read_text_file
from ._validation import schema_problems, suggest

__all__ = [
    *_model.__all__,
    "SCHEMA_BASE",
    "STATE_SCHEMA",
    "LocatedDict",
    "LocatedList",
    "Mark",
    "excerpt",
    "load_document",
    "load_state",
    "locate",
    "parse_document",
    "parse_instant",
    "read_text_file",
    "schema_problems",
    "state_from_checked_document",
    "state_from_document",
    "suggest",
]
