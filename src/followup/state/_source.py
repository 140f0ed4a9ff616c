"""Read YAML and JSON documents while remembering where every value came from.

Mappings and sequences are built as :class:`LocatedDict` and :class:`LocatedList`,
ordinary ``dict`` and ``list`` subclasses that also carry the file, line and column
of themselves, of their keys and of their items. Every later error (schema,
semantics, naive datetimes) can then name the exact spot in the file, even after a
rulebook overlay has been merged onto its base.

YAML timestamps are kept as the strings they were written as: the state loader
parses them itself so that a datetime without an offset is an error, not a guess.

Hostile documents are refused with an error, never expanded or followed: a file is
at most :data:`MAX_BYTES` long and must be a regular file (a FIFO or ``/dev/zero``
is refused before it is opened); values nest at most :data:`MAX_DEPTH` deep;
aliases (``*name``) and merge keys (``<<``) may repeat at most :data:`ALIAS_BUDGET`
values in all (a "billion laughs" document stops there); integers have at most
:data:`MAX_INT_DIGITS` digits. Error messages quote at most a short excerpt of a value.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from .._errors import InvalidInput, Problem

__all__ = [
    "ALIAS_BUDGET",
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_INT_DIGITS",
    "LocatedDict",
    "LocatedList",
    "Mark",
    "excerpt",
    "load_document",
    "locate",
    "parse_document",
    "parse_plain_json",
    "read_text_file",
]

#: the largest document read, in bytes (UTF-8)
MAX_BYTES = 16 * 1024 * 1024
#: how deep mappings and sequences may nest
MAX_DEPTH = 200
#: how many values aliases and merge keys may repeat, in all, in one document
ALIAS_BUDGET = 10_000
#: the most digits an integer may have
MAX_INT_DIGITS = 30
_EXCERPT = 60


def excerpt(value: Any, limit: int = _EXCERPT) -> str:
    """``repr(value)``, cut to about ``limit`` characters (with the full length said) when longer."""
    if isinstance(value, str) and len(value) > limit:
        return f"{value[:limit]!r}… ({len(value):,} characters)"
    if isinstance(value, dict | list) and len(value) > 8:
        kind = "mapping" if isinstance(value, dict) else "list"
        return f"<a {kind} of {len(value):,} items>"
    try:
        text = repr(value)
    except (ValueError, RecursionError):  # an enormous integer, a self-referencing list
        return f"<a {type(value).__name__}>"
    return text if len(text) <= limit else text[:limit] + "…"


class _Refused(Exception):
    """A document too big or too nested to build: stop at once with this problem."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem

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
_MERGE = "tag:yaml.org,2002:merge"
_INT = "tag:yaml.org,2002:int"


class _Builder:
    def __init__(self, path: str, loader: yaml.SafeLoader) -> None:
        self.path = path
        self.loader = loader
        self.problems: list[Problem] = []
        self.seen: set[int] = set()
        self.repeated = 0

    def mark(self, node: yaml.Node) -> Mark:
        return Mark(self.path, node.start_mark.line + 1, node.start_mark.column + 1)

    def refuse(self, node: yaml.Node, message: str) -> _Refused:
        return _Refused(Problem(self.path, *self.mark(node)[1:], message))

    def build(self, node: yaml.Node, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            raise self.refuse(node, f"the document nests deeper than {MAX_DEPTH} levels")
        if id(node) in self.seen:  # reached again through an alias or a merge key
            self.repeated += 1
            if self.repeated > ALIAS_BUDGET:
                raise self.refuse(
                    node,
                    f"aliases (*name) and merge keys (<<) repeat more than {ALIAS_BUDGET:,} values; "
                    "write the values out instead",
                )
        else:
            self.seen.add(id(node))
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
        if node.tag == _INT and sum(ch.isalnum() for ch in node.value) > MAX_INT_DIGITS:
            line, column = self.mark(node)[1:]
            self.problems.append(
                Problem(
                    self.path,
                    line,
                    column,
                    f"the integer {excerpt(node.value, 20)} has more than {MAX_INT_DIGITS} digits",
                )
            )
            return None
        if node.tag in _SCALAR_TAGS:
            try:
                return self.loader.construct_object(node, deep=True)
            except (ValueError, OverflowError, yaml.YAMLError) as exc:  # pragma: no cover - guarded above
                line, column = self.mark(node)[1:]
                self.problems.append(Problem(self.path, line, column, f"cannot read {excerpt(node.value)}: {exc}"))
                return None
        line, column = self.mark(node)[1:]
        self.problems.append(
            Problem(self.path, line, column, f"unsupported YAML tag {excerpt(node.tag)}; use plain values")
        )
        return None

    def _merged(self, node: yaml.Node, depth: int) -> list[tuple[str, Any, Mark, Mark]]:
        """The entries a merge key (``<<: *base`` or ``<<: [*a, *b]``) brings in, first source first."""
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        entries: list[tuple[str, Any, Mark, Mark]] = []
        for source in sources:
            if not isinstance(source, yaml.MappingNode):
                raise self.refuse(
                    source,
                    "a merge key (<<) takes a mapping or a list of mappings (usually aliases: <<: *base)",
                )
            value = self.build(source, depth + 1)
            for key, item in value.items():
                entries.append((key, item, value.key_marks[key], value.value_marks[key]))
        return entries

    def _mapping(self, node: yaml.MappingNode, depth: int) -> LocatedDict:
        out = LocatedDict(self.mark(node))
        merged: list[tuple[str, Any, Mark, Mark]] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                merged += self._merged(value_node, depth)
                continue
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
                        f"duplicate key {excerpt(key)} (first written at line {first.line})",
                    )
                )
                continue
            out[key] = self.build(value_node, depth + 1)
            out.key_marks[key] = key_mark
            out.value_marks[key] = self.mark(value_node)
        for key, value, key_mark, value_mark in merged:  # explicit keys win, then earlier sources
            if key not in out:
                out[key] = value
                out.key_marks[key] = key_mark
                out.value_marks[key] = value_mark
        return out


def parse_document(text: str, path: str) -> Any:
    """Parse YAML (or JSON, which YAML reads too) from ``text``; ``path`` names it in errors."""
    if len(text) > MAX_BYTES:
        raise InvalidInput.single(path, f"is {len(text):,} characters long; the limit is {MAX_BYTES:,} bytes")
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        what = exc.problem or exc.context or "cannot be parsed"
        if "nesting depth" in what:
            what = f"the document nests too deeply ({what})"
        elif path.endswith(".json"):
            return _parse_json(text, path)
        raise InvalidInput([Problem(path, line, column, f"not valid YAML: {what}")]) from None
    except yaml.YAMLError as exc:  # pragma: no cover - reader errors without marks
        raise InvalidInput([Problem(path, 0, 0, f"not valid YAML: {exc}")]) from None
    finally:
        loader.dispose()
    if node is None:
        raise InvalidInput([Problem(path, 1, 1, "the document is empty")])
    builder = _Builder(path, yaml.SafeLoader(""))
    try:
        value = builder.build(node)
    except _Refused as refused:
        raise InvalidInput([refused.problem]) from None
    if builder.problems:
        raise InvalidInput(builder.problems)
    return value


def _parse_json(text: str, path: str) -> Any:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput([Problem(path, exc.lineno, exc.colno, f"not valid JSON: {exc.msg}")]) from None
    except RecursionError:
        raise InvalidInput.single(path, f"the document nests deeper than {MAX_DEPTH} levels") from None
    except ValueError as exc:  # an integer past Python's digit limit
        raise InvalidInput.single(path, f"not valid JSON: {excerpt(str(exc), 120)}") from None
    _check_plain(value, path)
    return value


class _Duplicate(Exception):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise _Duplicate  # the positioned reading says which key, where
    return out


def parse_plain_json(text: str) -> Any:
    """``text`` read by :mod:`json` alone, without positions; ``None`` unless it is
    plainly fine (valid JSON, no duplicate key, within the depth and integer limits),
    for :func:`parse_document` to read it again and say what is wrong, where."""
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicates)
        _check_plain(value, "")
    except (ValueError, RecursionError, _Duplicate, InvalidInput):
        return None
    return value


def _check_plain(value: Any, path: str) -> None:
    """Depth and integer size of a document read by the JSON parser (no alias can occur there)."""
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise InvalidInput.single(path, f"the document nests deeper than {MAX_DEPTH} levels")
        if isinstance(item, dict):
            pending.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            pending.extend((v, depth + 1) for v in item)
        elif isinstance(item, int) and not isinstance(item, bool) and abs(item) >= 10**MAX_INT_DIGITS:
            raise InvalidInput.single(path, f"an integer has more than {MAX_INT_DIGITS} digits")


def read_text_file(path: str | Path, *, limit: int = MAX_BYTES) -> str:
    """The UTF-8 text of the regular file at ``path``, at most ``limit`` bytes.

    The file type is checked before the file is opened, so a FIFO, a device such as
    ``/dev/zero`` or a socket is refused instead of read forever. Errors never
    quote the file's content.
    """
    name = str(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise InvalidInput.single(name, "no such file") from None
    except OSError as exc:
        raise InvalidInput.single(name, f"cannot be read: {exc.strerror}") from None
    if stat.S_ISDIR(info.st_mode):
        raise InvalidInput.single(name, "is a directory, expected a YAML or JSON file")
    if not stat.S_ISREG(info.st_mode):
        kind = (
            "a FIFO (named pipe)"
            if stat.S_ISFIFO(info.st_mode)
            else "a device"
            if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode)
            else "a socket"
            if stat.S_ISSOCK(info.st_mode)
            else "not a regular file"
        )
        raise InvalidInput.single(name, f"is {kind}, expected a regular YAML or JSON file")
    if info.st_size > limit:
        raise InvalidInput.single(name, f"is {info.st_size:,} bytes; the limit is {limit:,}")
    try:
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise InvalidInput.single(name, f"cannot be read: {exc.strerror}") from None
    if len(data) > limit:
        raise InvalidInput.single(name, f"is larger than the limit of {limit:,} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput.single(name, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def load_document(path: str | Path) -> Any:
    """Read and parse the YAML or JSON file at ``path``."""
    return parse_document(read_text_file(path), str(path))


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
