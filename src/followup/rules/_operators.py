"""The comparison operators every rulebook can use, registered like any plugin's.

Every predicate is false for an unset fact, except ``is: unset`` and ``ne``.
"""

from __future__ import annotations

import operator as op
from collections.abc import Callable
from typing import Any

from ._vocabulary import Operator, Predicate

__all__ = ["OPERATORS"]

_SCALAR = {"type": ["string", "number", "integer", "boolean"]}


def _compare(function: Callable[[Any, Any], bool]) -> Callable[[Any], Predicate]:
    def build(operand: Any) -> Predicate:
        def predicate(value: Any) -> bool:
            if value is None:
                return False
            try:
                return function(value, operand)
            except TypeError:
                return False

        return predicate

    return build


def _ne(operand: Any) -> Predicate:
    return lambda value: value != operand


def _member(negate: bool) -> Callable[[Any], Predicate]:
    def build(operand: Any) -> Predicate:
        options = frozenset(operand)
        if negate:
            return lambda value: value is not None and value not in options
        return lambda value: value in options

    return build


def _is(operand: Any) -> Predicate:
    if operand == "set":
        return lambda value: value is not None
    return lambda value: value is None


OPERATORS: tuple[Operator, ...] = (
    Operator("eq", _SCALAR, _compare(op.eq), "The fact equals the operand."),
    Operator("ne", _SCALAR, _ne, "The fact differs from the operand (an unset fact differs from everything)."),
    Operator("lt", {"type": "number"}, _compare(op.lt), "The fact is less than the operand."),
    Operator("le", {"type": "number"}, _compare(op.le), "The fact is less than or equal to the operand."),
    Operator("gt", {"type": "number"}, _compare(op.gt), "The fact is greater than the operand."),
    Operator("ge", {"type": "number"}, _compare(op.ge), "The fact is greater than or equal to the operand."),
    Operator(
        "in",
        {"type": "array", "items": _SCALAR, "minItems": 1},
        _member(False),
        "The fact is one of the listed values.",
    ),
    Operator(
        "not_in",
        {"type": "array", "items": _SCALAR, "minItems": 1},
        _member(True),
        "The fact is set and none of the listed values.",
    ),
    Operator("is", {"enum": ["set", "unset"]}, _is, "The fact has a value (set) or has none (unset)."),
)
