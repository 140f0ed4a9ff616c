"""The built-in facts and comparison operators."""

from __future__ import annotations

from collections.abc import Callable

from ..plugins import hookimpl
from . import _facts as _builtin_facts
from . import _operators as _builtin_operators
from ._vocabulary import Fact, Operator


@hookimpl
def followup_register_operators(register: Callable[[Operator], None]) -> None:
    for operator in _builtin_operators.OPERATORS:
        register(operator)


@hookimpl
def followup_register_facts(register: Callable[[Fact], None]) -> None:
    for fact in _builtin_facts.FACTS:
        register(fact)
