"""Rulebooks: the vocabulary rules are written in, their schema, and the compiler.

Owns the :class:`Vocabulary` of facts and operators (``_vocabulary``; the installed
one, :func:`get_vocabulary`, in ``_installed``), the
:class:`Scope` a fact reads (``_scope``: indexed views over a state), the built-in
facts and operators (``_facts``, ``_operators``, registered by the plugin
:mod:`followup.rules.plugin`), the rulebook schema (``_schema``), the compiler that
turns validated YAML into plain callables (``_compiler``), the code generator that
writes a compiled rulebook's fan-out as Python source (``_codegen``), and loading with
``extends:`` and overlays (``_rulebook``). The shipped rulebook is ``default.yaml`` in
this package.

May import: ``followup.state``, ``followup._errors``, ``followup._time``; and
``followup.plugins`` (to collect the installed vocabulary, :func:`get_vocabulary`).
"""

from __future__ import annotations

from ._codegen import Program, Window, generate
from ._compiler import Check, CompiledCap, CompiledRule, Compiler, RuleTrace, Traced
from ._installed import collect_vocabulary, get_vocabulary
from ._rulebook import (
    DEFAULT_RULEBOOK,
    Rulebook,
    compile_document,
    load_rulebook,
    load_rulebooks,
    merge_overlay,
    read_rulebook,
)
from ._schema import published_rules_schema, rules_schema
from ._scope import ApplicationView, LogView, Patience, Scope, StateView, as_of_replies
from ._vocabulary import Fact, Operator, Vocabulary, VocabularyConflict

__all__ = [
    "DEFAULT_RULEBOOK",
    "ApplicationView",
    "Check",
    "CompiledCap",
    "CompiledRule",
    "Compiler",
    "Fact",
    "LogView",
    "Operator",
    "Patience",
    "Program",
    "RuleTrace",
    "Rulebook",
    "Scope",
    "StateView",
    "Traced",
    "Vocabulary",
    "VocabularyConflict",
    "Window",
    "as_of_replies",
    "collect_vocabulary",
    "compile_document",
    "generate",
    "get_vocabulary",
    "load_rulebook",
    "load_rulebooks",
    "merge_overlay",
    "published_rules_schema",
    "read_rulebook",
    "rules_schema",
]
