"""The words a rulebook may use: facts it can read and operators it can compare with.

A :class:`Vocabulary` is filled by plugins through the ``followup_register_operators``
and ``followup_register_facts`` hooks (the built-in ones register exactly the same
way) and handed to the rulebook loader, which builds the JSON Schema from it and
compiles rules against it. Nothing in the engine knows a fact or operator by name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._scope import Scope

__all__ = ["LEVELS", "Fact", "Operator", "Predicate", "Vocabulary", "VocabularyConflict"]

#: fan-out levels and the levels each one makes available to facts
LEVELS: dict[str, frozenset[str]] = {
    "candidate": frozenset({"candidate"}),
    "application": frozenset({"candidate", "application"}),
    "interview": frozenset({"candidate", "application", "interview"}),
    "interviewer": frozenset({"candidate", "application", "interview", "interviewer"}),
    "reference": frozenset({"candidate", "application", "reference"}),
}

Predicate = Callable[[Any], bool]


class VocabularyConflict(ValueError):
    """Two plugins tried to register the same fact or operator name."""


@dataclass(frozen=True, slots=True)
class Operator:
    """A comparison a condition can make: ``{fact: some.fact, NAME: operand}``.

    :param name: the key used in YAML, e.g. ``gt`` or ``matches``.
    :param operand_schema: JSON Schema of the operand; rulebooks are validated with it.
    :param build: turns the (validated) operand into a predicate over the fact's value.
        The predicate receives ``None`` when the fact is unset.
    :param description: one line for the docs and ``followup schema rules``.
    """

    name: str
    operand_schema: dict[str, Any]
    build: Callable[[Any], Predicate]
    description: str
    plugin: str = "followup"


@dataclass(frozen=True, slots=True)
class Fact:
    """A named value a rule can read, such as ``interview.ended_at``.

    :param name: dotted name used in YAML; its first part is the level it needs.
    :param get: reads the value from a :class:`followup.Scope`; ``None`` means unset.
    :param type: ``datetime``, ``string``, ``integer`` or ``boolean``.
    :param description: one line for the docs.
    """

    name: str
    get: Callable[[Scope], Any]
    type: str
    description: str
    plugin: str = "followup"

    @property
    def level(self) -> str:
        return self.name.split(".", 1)[0]


@dataclass
class Vocabulary:
    """Every fact and operator known to one plugin manager."""

    operators: dict[str, Operator] = field(default_factory=dict)
    facts: dict[str, Fact] = field(default_factory=dict)

    def add_operator(self, operator: Operator) -> None:
        existing = self.operators.get(operator.name)
        if existing is not None:
            raise VocabularyConflict(
                f"operator {operator.name!r} from {operator.plugin} is already registered by {existing.plugin}"
            )
        self.operators[operator.name] = operator

    def add_fact(self, fact: Fact) -> None:
        existing = self.facts.get(fact.name)
        if existing is not None:
            raise VocabularyConflict(
                f"fact {fact.name!r} from {fact.plugin} is already registered by {existing.plugin}"
            )
        if fact.level not in LEVELS:
            raise VocabularyConflict(
                f"fact {fact.name!r} from {fact.plugin} must start with one of {', '.join(LEVELS)}"
            )
        self.facts[fact.name] = fact

    def facts_for(self, for_each: str) -> Iterator[Fact]:
        """The facts a rule fanning out over ``for_each`` may read."""
        levels = LEVELS[for_each]
        return (fact for fact in self.facts.values() if fact.level in levels)

