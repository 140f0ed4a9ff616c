"""Read YAML and JSON documents while remembering where every value came from.

Mappings and sequences are built as :class:`LocatedDict` and :class:`LocatedList`,
ordinary ``dict`` and ``list`` subclasses that also carry the file, line and column
of themselves, of their keys and of their items. Every later error (schema,
semantics, naive datetimes) can then name the exact spot in the file, even after a
rulebook overlay has been merged onto its base.

YAML timestamps are kept as the strings they were written as: the state loader
parses them itself so that a datetime without an offset is an error, not a guess.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from .._errors import InvalidInput, Problem

__all__ = ["LocatedDict", "LocatedList", "Mark", "load_document", "locate", "parse_document"]

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Mark(NamedTuple):
    """Where a value was written: file, 1-based line and column."""

    path: str
    line: int
    column: int


class LocatedDict(dict[str, Any]):
    """A mapping read from a file, with the position of itself, its keys and values."""

    mark: Mark
    key_marks: dict[str, Mark]
    value_marks: dict[str, Mark]

    def __init__(self, mark: Mark) -> None:
        super().__init__()
        self.mark = mark
        self.key_marks = {}
        self.value_marks = {}


class LocatedList(list[Any]):
    """A sequence read from a file, with the position of itself and its items."""

    mark: Mark
    item_marks: list[Mark]

    def __init__(self, mark: Mark) -> None:
        super().__init__()
        self.mark = mark
        self.item_marks = []


_SCALAR_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}
_TIMESTAMP = "tag:yaml.org,2002:timestamp"


class _Builder:
    def __init__(self, path: str, loader: yaml.SafeLoader) -> None:
        self.path = path
        self.loader = loader
        self.problems: list[Problem] = []

    def mark(self, node: yaml.Node) -> Mark:
        return Mark(self.path, node.start_mark.line + 1, node.start_mark.column + 1)

    def build(self, node: yaml.Node, depth: int = 0) -> Any:
        if depth > 200:
            self.problems.append(Problem(self.path, *self.mark(node)[1:], "document nests too deeply"))
            return None
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, depth)
        if isinstance(node, yaml.SequenceNode):
            seq = LocatedList(self.mark(node))
            for item in node.value:
                seq.append(self.build(item, depth + 1))
                seq.item_marks.append(self.mark(item))
            return seq
        assert isinstance(node, yaml.ScalarNode)
        if node.tag == _TIMESTAMP:
            return node.value
        if node.tag in _SCALAR_TAGS:
            return self.loader.construct_object(node, deep=True)
        line, column = self.mark(node)[1:]
        self.problems.append(
            Problem(self.path, line, column, f"unsupported YAML tag {node.tag!r}; use plain values")
        )
        return None

    def _mapping(self, node: yaml.MappingNode, depth: int) -> LocatedDict:
        self.loader.flatten_mapping(node)  # type: ignore[attr-defined]  # resolves `<<` merge keys
        out = LocatedDict(self.mark(node))
        for key_node, value_node in node.value:
            key = self.build(key_node, depth + 1)
            key_mark = self.mark(key_node)
            if not isinstance(key, str):
                if isinstance(key, bool | int | float) or key is None:
                    key = "null" if key is None else str(key).lower() if isinstance(key, bool) else str(key)
                else:
                    self.problems.append(
                        Problem(self.path, key_mark.line, key_mark.column, "mapping keys must be plain strings")
                    )
                    continue
            if key in out:
                first = out.key_marks[key]
                self.problems.append(
                    Problem(
                        self.path,
                        key_mark.line,
                        key_mark.column,
                        f"duplicate key {key!r} (first written at line {first.line})",
                    )
                )
                continue
            out[key] = self.build(value_node, depth + 1)
            out.key_marks[key] = key_mark
            out.value_marks[key] = self.mark(value_node)
        return out


def parse_document(text: str, path: str) -> Any:
    """Parse YAML (or JSON, which YAML reads too) from ``text``; ``path`` names it in errors."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        what = exc.problem or exc.context or "cannot be parsed"
        if path.endswith(".json"):
            return _parse_json(text, path)
        raise InvalidInput([Problem(path, line, column, f"not valid YAML: {what}")]) from None
    except yaml.YAMLError as exc:  # pragma: no cover - reader errors without marks
        raise InvalidInput([Problem(path, 0, 0, f"not valid YAML: {exc}")]) from None
    finally:
        loader.dispose()
    if node is None:
        raise InvalidInput([Problem(path, 1, 1, "the document is empty")])
    builder = _Builder(path, yaml.SafeLoader(""))
    value = builder.build(node)
    if builder.problems:
        raise InvalidInput(builder.problems)
    return value


def _parse_json(text: str, path: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput([Problem(path, exc.lineno, exc.colno, f"not valid JSON: {exc.msg}")]) from None


def load_document(path: str | Path) -> Any:
    """Read and parse the YAML or JSON file at ``path``."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInput.single(name, "no such file") from None
    except IsADirectoryError:
        raise InvalidInput.single(name, "is a directory, expected a YAML or JSON file") from None
    except UnicodeDecodeError as exc:
        raise InvalidInput.single(name, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise InvalidInput.single(name, f"cannot be read: {exc.strerror}") from None
    return parse_document(text, name)


def locate(root: Any, path: Iterable[str | int], *, key: bool = False) -> Mark | None:
    """Find where the value at ``path`` (a JSON-pointer-like sequence) was written.

    Falls back to the nearest enclosing value that has a position. With ``key=True``
    the position of the last key, rather than its value, is returned.
    """
    steps: Sequence[str | int] = list(path)
    node = root
    best: Mark | None = getattr(root, "mark", None)
    for index, step in enumerate(steps):
        last = index == len(steps) - 1
        if isinstance(node, LocatedDict) and isinstance(step, str) and step in node:
            marks = node.key_marks if (key and last) else node.value_marks
            best = marks.get(step, best)
            node = node[step]
        elif isinstance(node, LocatedList) and isinstance(step, int) and 0 <= step < len(node):
            if step < len(node.item_marks):
                best = node.item_marks[step]
            node = node[step]
        elif isinstance(node, dict) and step in node:
            node = node[step]
        elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
            node = node[step]
        else:
            break
    return best
