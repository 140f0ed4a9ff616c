"""Load a rulebook: read it, follow ``extends:``, merge overlays, validate, compile.

Overlay semantics: a rule or cap in an overlay whose ``id`` exists in the base
changes it field by field; ``window`` changes moment by moment (``opens``, ``due``,
``expires``); every other field, including each moment, ``when`` and ``done_when``,
is replaced whole. ``enabled: false`` switches a rule or cap off. New ids are added.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._errors import InvalidInput, Problem
from ..state import (
    LocatedDict,
    LocatedList,
    Mark,
    excerpt,
    load_document,
    locate,
    parse_document,
    schema_problems,
)
from ._compiler import CompiledCap, CompiledRule, Compiler
from ._schema import rules_schema
from ._vocabulary import Vocabulary

__all__ = ["DEFAULT_RULEBOOK", "Rulebook", "default_rulebook_path", "load_rulebook", "read_rulebook"]

DEFAULT_RULEBOOK = "default"


def default_rulebook_path() -> str:
    """Where the packaged default rulebook lives (``followup/rules/default.yaml``)."""
    beside = Path(__file__).with_name("default.yaml")
    if beside.is_file():  # an installed package on disk (importlib.resources costs an import)
        return str(beside)
    from importlib import resources

    return str(resources.files("followup") / "rules" / "default.yaml")


@dataclass(frozen=True)
class Rulebook:
    """A validated, compiled rulebook.

    :ivar rules: the enabled rules, in file order.
    :ivar caps: the enabled caps by id.
    :ivar sources: the files it was built from, base first.
    :ivar document: the merged document (for tools that want to show it).
    """

    rules: tuple[CompiledRule, ...]
    caps: Mapping[str, CompiledCap]
    sources: tuple[str, ...]
    description: str = ""
    document: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    vocabulary: Vocabulary = field(default_factory=Vocabulary, repr=False, compare=False)

    def rule(self, rule_id: str) -> CompiledRule | None:
        return next((r for r in self.rules if r.id == rule_id), None)

    @property
    def kinds(self) -> frozenset[str]:
        return frozenset(r.kind for r in self.rules)


def _copy(value: Any) -> Any:
    """A deep copy that keeps positions."""
    if isinstance(value, LocatedDict):
        out = LocatedDict(value.mark)
        for key, item in value.items():
            out[key] = _copy(item)
        out.key_marks.update(value.key_marks)
        out.value_marks.update(value.value_marks)
        return out
    if isinstance(value, LocatedList):
        seq = LocatedList(value.mark)
        seq.extend(_copy(item) for item in value)
        seq.item_marks.extend(value.item_marks)
        return seq
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value


def _set(target: dict[str, Any], key: str, value: Any, source: Any) -> None:
    target[key] = _copy(value)
    if isinstance(target, LocatedDict) and isinstance(source, LocatedDict) and key in source.key_marks:
        target.key_marks[key] = source.key_marks[key]
        target.value_marks[key] = source.value_marks[key]


def _merge_item(base: dict[str, Any], change: Mapping[str, Any], nested: Sequence[str]) -> dict[str, Any]:
    merged: dict[str, Any] = _copy(base)
    for key, value in change.items():
        if key in nested and isinstance(value, dict) and isinstance(merged.get(key), dict):
            inner = merged[key]
            for inner_key, inner_value in value.items():
                _set(inner, inner_key, inner_value, value)
        else:
            _set(merged, key, value, change)
    return merged


def _merge_by_id(base: list[Any], change: list[Any], nested: Sequence[str]) -> LocatedList:
    out = LocatedList(getattr(change, "mark", None) or getattr(base, "mark", None) or Mark("<rulebook>", 0, 0))
    positions: dict[str, int] = {}
    for index, item in enumerate(base):
        positions[item["id"]] = len(out)
        out.append(_copy(item))
        out.item_marks.append(base.item_marks[index] if isinstance(base, LocatedList) else out.mark)
    for index, item in enumerate(change):
        mark = change.item_marks[index] if isinstance(change, LocatedList) else out.mark
        if item["id"] in positions:
            at = positions[item["id"]]
            out[at] = _merge_item(out[at], item, nested)
        else:
            positions[item["id"]] = len(out)
            out.append(_copy(item))
            out.item_marks.append(mark)
    return out


def merge_overlay(base: Mapping[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    """The document ``overlay`` describes on top of ``base`` (both already parsed)."""
    merged: dict[str, Any] = _copy(base)
    for key, value in overlay.items():
        if key == "extends":
            continue
        if key == "rules":
            merged["rules"] = _merge_by_id(merged.get("rules", []), value, nested=("window",))
        elif key == "caps":
            merged["caps"] = _merge_by_id(merged.get("caps", []), value, nested=())
        else:
            _set(merged, key, value, overlay)
    return merged


#: how many rulebooks one ``extends`` chain may hold
MAX_EXTENDS = 16


def _read(source: str | Path, vocabulary: Vocabulary, chain: tuple[str, ...]) -> tuple[Any, tuple[str, ...]]:
    """Parse ``source`` and everything it extends; return the merged, unchecked document.

    A file reached through ``extends`` is someone else's content: when it is not a
    rulebook, the error says so without quoting it.
    """
    name = default_rulebook_path() if str(source) == DEFAULT_RULEBOOK else str(source)
    try:
        resolved = str(Path(name).resolve())
    except (OSError, RuntimeError) as exc:
        raise InvalidInput.single(excerpt(name, 80), f"cannot be used as a rulebook path: {exc}") from None
    if resolved in chain:
        raise InvalidInput.single(name, "rulebook extends itself: " + " -> ".join([*chain, resolved]), 1, 1)
    if len(chain) >= MAX_EXTENDS:
        raise InvalidInput.single(
            name, f"the extends chain is longer than {MAX_EXTENDS} rulebooks (from {chain[0]})", 1, 1
        )
    try:
        document = load_document(name)
    except InvalidInput as exc:
        if not chain:
            raise
        first = exc.problems[0]
        if first.message.startswith(_SAFE_REASONS):
            reason = first.message
        elif first.message.startswith("not valid"):
            reason = first.message.split(":")[0]  # the parser's words may quote the file
        else:
            reason = "is not a rulebook"
        raise InvalidInput.single(name, f"{reason} (extended by {chain[-1]})", first.line, first.column) from None
    if not isinstance(document, dict) or (chain and not {"rules", "caps", "extends"} & set(document)):
        what = f" (extended by {chain[-1]})" if chain else ""
        raise InvalidInput.single(name, f"a rulebook is a mapping with 'rules' (and 'caps', 'extends'){what}", 1, 1)
    parent = document.get("extends")
    problems = schema_problems(document, rules_schema(vocabulary, partial=parent is not None), name)
    _unknown_operators(document, vocabulary, name, problems)
    if problems:
        raise InvalidInput(problems)
    if parent is None:
        return document, (name,)
    if parent != DEFAULT_RULEBOOK:
        parent = str(Path(name).parent / parent)
        try:
            exists = Path(parent).exists()
        except OSError:
            exists = False
        if not exists:
            mark = locate(document, ["extends"])
            raise InvalidInput(
                [Problem(name, mark.line if mark else 0, mark.column if mark else 0,
                         f"extends {excerpt(document['extends'], 80)}, which does not exist; use 'default' or a path relative to this file")]
            )
    base, sources = _read(parent, vocabulary, (*chain, resolved))
    return merge_overlay(base, document), (*sources, name)


def read_rulebook(source: str | Path, vocabulary: Vocabulary) -> tuple[Any, tuple[str, ...]]:
    """The merged document of rulebook ``source`` and everything it ``extends``, checked but not compiled.

    Also the file names it was read from, base first (for compiling it later with
    :func:`compile_document`, as rule tests do with an inline overlay on top).
    """
    return _read(source, vocabulary, ())


#: problems of a file reached through ``extends`` that say nothing of its content
_SAFE_REASONS = ("no such file", "is ", "not UTF-8", "cannot be read", "the document nests", "aliases")


def _unknown_operators(document: Any, vocabulary: Vocabulary, name: str, problems: list[Problem]) -> None:
    """Name unknown operators clearly, instead of the schema's generic 'unknown field'."""
    compiler = Compiler(vocabulary, document, name)
    for index, rule in enumerate(document.get("rules") or []):
        if isinstance(rule, dict) and isinstance(rule.get("when"), dict):
            compiler.unknown_operators(rule["when"], ["rules", index, "when"])
    if compiler.problems:
        spots = {(p.path, p.line) for p in compiler.problems}
        problems[:] = [p for p in problems if (p.path, p.line) not in spots] + compiler.problems


def compile_document(document: Any, vocabulary: Vocabulary, sources: tuple[str, ...]) -> Rulebook:
    """Validate a merged rulebook document in full and compile it."""
    path = sources[-1]
    problems = schema_problems(document, rules_schema(vocabulary), path)
    _unknown_operators(document, vocabulary, path, problems)
    if problems:
        raise InvalidInput(problems)
    compiler = Compiler(vocabulary, document, path)
    caps: dict[str, CompiledCap] = {}
    disabled: set[str] = set()
    seen_caps: set[str] = set()
    for index, spec in enumerate(document.get("caps", [])):
        if spec["id"] in seen_caps:
            compiler.problem(["caps", index, "id"], f"duplicate cap id {spec['id']!r}")
            continue
        seen_caps.add(spec["id"])
        if not spec.get("enabled", True):
            disabled.add(spec["id"])
            continue
        cap = compiler.cap(spec, ["caps", index])
        if cap is not None:
            caps[cap.id] = cap
        else:
            disabled.add(spec["id"])  # already reported; do not report every rule naming it
    compiler.disabled_caps = frozenset(disabled)
    rules: list[CompiledRule] = []
    seen_rules: set[str] = set()
    for index, spec in enumerate(document.get("rules", [])):
        if spec["id"] in seen_rules:
            compiler.problem(["rules", index, "id"], f"duplicate rule id {spec['id']!r}")
            continue
        seen_rules.add(spec["id"])
        if not spec.get("enabled", True):
            continue
        rule = compiler.rule(spec, ["rules", index], caps)
        if rule is not None:
            rules.append(rule)
    if compiler.problems:
        raise InvalidInput(compiler.problems)
    return Rulebook(
        rules=tuple(rules),
        caps=caps,
        sources=sources,
        description=document.get("description", ""),
        document=document,
        vocabulary=vocabulary,
    )


def load_rulebook(
    source: str | Path | Mapping[str, Any] = DEFAULT_RULEBOOK,
    *,
    vocabulary: Vocabulary | None = None,
) -> Rulebook:
    """Load, validate and compile a rulebook.

    :param source: ``"default"`` (the packaged rulebook), a path to a YAML or JSON
        file, or an already-parsed mapping. ``extends:`` in a file is resolved
        relative to that file.
    :param vocabulary: the facts and operators rules may use; by default those of
        the installed plugins (built-ins included).
    :raises InvalidInput: listing every problem with file, line and column.
    """
    if vocabulary is None:
        from ._installed import get_vocabulary

        vocabulary = get_vocabulary()
    if isinstance(source, Mapping):
        import json

        name = "<rulebook>"
        document = parse_document(json.dumps(dict(source), default=str), name)
        parent = document.get("extends") if isinstance(document, dict) else None
        if parent is not None:
            problems = schema_problems(document, rules_schema(vocabulary, partial=True), name)
            if problems:
                raise InvalidInput(problems)
            base, sources = _read(parent, vocabulary, ())
            return compile_document(merge_overlay(base, document), vocabulary, (*sources, name))
        return compile_document(document, vocabulary, (name,))
    document, sources = _read(source, vocabulary, ())
    return compile_document(document, vocabulary, sources)


def load_rulebooks(sources: Sequence[str | Path], *, vocabulary: Vocabulary | None = None) -> Rulebook:
    """Several ``--rules`` files: each later one is an overlay on those before it.

    The first may stand alone or extend another; every later one is merged onto the
    result whether or not it says ``extends:``.
    """
    if not sources:
        return load_rulebook(DEFAULT_RULEBOOK, vocabulary=vocabulary)
    if vocabulary is None:
        from ._installed import get_vocabulary

        vocabulary = get_vocabulary()
    document, names = _read(sources[0], vocabulary, ())
    for source in sources[1:]:
        overlay = load_document(source)
        if not isinstance(overlay, dict):
            raise InvalidInput.single(str(source), "a rulebook is a mapping", 1, 1)
        problems = schema_problems(overlay, rules_schema(vocabulary, partial=True), str(source))
        _unknown_operators(overlay, vocabulary, str(source), problems)
        if problems:
            raise InvalidInput(problems)
        document = merge_overlay(document, overlay)
        names = (*names, str(source))
    return compile_document(document, vocabulary, names)
