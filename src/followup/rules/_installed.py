"""The vocabulary of the installed plugins: every fact and operator they register."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pluggy

from ..plugins import PluginLoadError, collect, registry
from ._vocabulary import Fact, Operator, Vocabulary, VocabularyConflict

__all__ = ["collect_vocabulary", "get_vocabulary"]


def _not_a(kind: type) -> Callable[[Any], str | None]:
    def problem(item: Any) -> str | None:
        return None if isinstance(item, kind) else f"registered {item!r}, which is not a followup.{kind.__name__}"

    return problem


def collect_vocabulary(pm: pluggy.PluginManager) -> Vocabulary:
    """Every operator and fact the plugins of ``pm`` register.

    :raises PluginLoadError: something registered is not an Operator/Fact, or a
        name is registered twice (naming both plugins).
    """
    vocabulary = Vocabulary()
    problems: list[str] = []
    hooks: tuple[tuple[str, type, Callable[[Any], None]], ...] = (
        ("followup_register_operators", Operator, vocabulary.add_operator),
        ("followup_register_facts", Fact, vocabulary.add_fact),
    )
    for hook_name, kind, add in hooks:
        try:
            items = collect(pm, hook_name, problem=_not_a(kind))
        except PluginLoadError as exc:
            problems.extend(exc.problems)
            continue
        for item in items:
            try:
                add(item)
            except VocabularyConflict as exc:
                problems.append(str(exc))
    if problems:
        raise PluginLoadError(*problems)
    return vocabulary


def get_vocabulary() -> Vocabulary:
    """The facts and operators of the installed plugins (built-ins included)."""
    return registry("vocabulary", collect_vocabulary)
