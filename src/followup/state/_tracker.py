"""Reading a job tracker's CSV export into applications of a state document.

A CSV row becomes the fields of one application (what ``followup add application``
takes): ``id``, ``company``, ``position``, ``status``, ``applied_at``, ``priority``,
``preferred_medium``, ``decision_expected_by``, ``follow_up_requested_on``, a
``recruiter`` made from the contact columns, and a ``note`` entry in its log for the
notes column. Which header holds which field is a :class:`Preset`: ``generic`` (the
field names themselves and a few common spellings) or ``huntr`` (Huntr's job export);
``columns`` overrides any of them.

Cells are separated by commas, semicolons or tabs: whichever the header line uses
most. Every row is checked before anything is returned, and every problem found is
reported at once, naming the line, the column, the value and what would be valid.
This module only reads: :func:`followup.journal.add_applications` writes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._errors import InvalidInput, Problem
from .._private import safe_name
from ._model import MEDIA, STATUSES
from ._source import excerpt, read_text_file
from ._validation import suggest

__all__ = ["FIELDS", "PRESETS", "Preset", "TrackerRow", "read_tracker_csv"]

#: the fields a column can fill, in the order they are documented
FIELDS = (
    "id",
    "company",
    "position",
    "status",
    "applied_at",
    "priority",
    "preferred_medium",
    "decision_expected_by",
    "follow_up_requested_on",
    "contact",
    "contact_title",
    "contact_email",
    "contact_phone",
    "notes",
)
_DATES = ("applied_at", "decision_expected_by", "follow_up_requested_on")


def _words(header: str) -> str:
    """A header as compared: case, spaces, ``_`` and ``-`` do not matter."""
    return re.sub(r"[\s_\-]+", " ", header.strip().casefold())


@dataclass(frozen=True)
class Preset:
    """How one tracker's export is laid out.

    :ivar columns: for each field, the headers that may hold it (compared without
        regard to case, spaces, ``_`` and ``-``); the first one found is used.
    :ivar statuses: a tracker's stage (compared the same way) -> a followup status,
        or ``None`` for a row that is not an application yet (a wish list); followup's
        own statuses are always understood.
    :ivar blanks: values that mean "empty" in this export.
    :ivar day_only: dates with a time of day keep only the day (an export whose
        times carry no zone).
    """

    name: str
    columns: Mapping[str, tuple[str, ...]]
    statuses: Mapping[str, str | None] = field(default_factory=dict)
    blanks: tuple[str, ...] = ("",)
    description: str = ""


_COMMON_STATUSES: dict[str, str | None] = {
    "wishlist": None,
    "wish list": None,
    "saved": None,
    "bookmarked": None,
    "interview": "interviewing",
    "interviews": "interviewing",
    "offered": "offer",
    "declined": "rejected",
    "ghosted": "stale",
    "no response": "stale",
}

PRESETS: dict[str, Preset] = {
    "generic": Preset(
        "generic",
        {
            "id": ("id",),
            "company": ("company", "company name", "employer", "organization", "organisation"),
            "position": ("position", "job title", "title", "role", "job position"),
            "status": ("status", "stage"),
            "applied_at": ("applied at", "applied on", "applied", "date applied", "applied date"),
            "priority": ("priority",),
            "preferred_medium": ("preferred medium", "medium"),
            "decision_expected_by": ("decision expected by", "decision by"),
            "follow_up_requested_on": ("follow up requested on", "follow up on", "check back on"),
            "contact": ("contact", "contact name", "recruiter"),
            "contact_title": ("contact title",),
            "contact_email": ("contact email", "email"),
            "contact_phone": ("contact phone", "phone"),
            "notes": ("notes", "note", "comments"),
        },
        _COMMON_STATUSES,
        ("",),
        "a spreadsheet whose headers are followup's field names (or the usual spellings of them)",
    ),
    "huntr": Preset(
        "huntr",
        {
            "company": ("companyName",),
            "position": ("title",),
            "status": ("listName",),
            "applied_at": ("createdAt",),
        },
        {**_COMMON_STATUSES, "applied": "applied", "rejected": "rejected"},
        ("", "-"),
        "Huntr's CSV export of a job board (one row per job card; the list it is on is its status)",
    ),
}


@dataclass(frozen=True, slots=True)
class TrackerRow:
    """One row of the file: where it is, and the application it stands for.

    ``application`` is ``None`` for a row skipped on purpose (``skipped`` says why);
    ``named`` says its id came from the file (else it was made from the company and
    position, and may be changed to keep it apart from another application's).
    """

    row: int
    line: int
    application: dict[str, Any] | None
    skipped: str | None = None
    named: bool = False


def read_tracker_csv(
    path: str | Path,
    *,
    preset: str = "generic",
    columns: Mapping[str, str] | None = None,
    statuses: Mapping[str, str | None] | None = None,
    date_format: str | None = None,
) -> list[TrackerRow]:
    """The rows of the CSV file at ``path`` as application fields, in file order.

    :param preset: a key of :data:`PRESETS`.
    :param columns: field -> header, overriding the preset's headers for those fields.
    :param statuses: stage -> status (``None``: skip such rows), added to the preset's.
    :param date_format: a :func:`datetime.datetime.strptime` format for the dates
        (``%d/%m/%Y``); without it dates are ISO 8601 (``2026-11-20``, or a datetime).
    :raises InvalidInput: naming the line, column and value of every problem; the
        file is then not to be imported at all.
    """
    name = str(path)
    if preset not in PRESETS:
        raise InvalidInput.single("--preset", f"unknown preset {preset!r}{suggest(preset, PRESETS)}; valid: {', '.join(PRESETS)}")
    chosen = PRESETS[preset]
    for wanted in columns or {}:
        if wanted not in FIELDS:
            raise InvalidInput.single(
                "--columns", f"{wanted!r} is not a field an import can fill{suggest(wanted, FIELDS)}; valid: {', '.join(FIELDS)}"
            )
    stages = {**{_words(k): v for k, v in chosen.statuses.items()}, **{s: s for s in STATUSES}}
    stages.update({_words(k): v for k, v in (statuses or {}).items()})
    text = read_text_file(path).removeprefix("\ufeff")  # spreadsheets often start UTF-8 with a byte-order mark
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count)  # spreadsheets in many locales write ';'; some exports tabs
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise InvalidInput.single(name, f"not a CSV file: {exc}", reader.line_num) from None
    if not header or not any(h.strip() for h in header):
        raise InvalidInput.single(name, "has no header row; the first line names the columns", 1)
    where = _find_columns(name, header, chosen, columns or {})
    problems: list[Problem] = []
    rows: list[TrackerRow] = []
    number = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(Problem(name, reader.line_num, 0, f"not valid CSV: {exc}"))
            break
        if not any(cell.strip() for cell in cells):
            continue  # a blank line between rows
        number += 1
        context = _Row(name, reader.line_num, number, header, cells, chosen.blanks)
        rows.append(_application(context, where, stages, date_format, problems))
    if problems:
        raise InvalidInput(problems)
    if not rows:
        raise InvalidInput.single(name, "has a header but no rows; nothing to import", 1)
    return _with_ids(name, rows)


def _with_ids(name: str, rows: list[TrackerRow]) -> list[TrackerRow]:
    """Every application with an id: its own, else its company and position as a slug.

    A second row with the same company and position gets ``-2`` (then ``-3``...), in
    file order, so the same file always gives the same ids; an id given twice is an error.
    """
    taken: dict[str, int] = {}
    given = {str(r.application["id"]) for r in rows if r.application is not None and "id" in r.application}
    problems = []
    done = []
    for row in rows:
        application = row.application
        if application is None:
            done.append(row)
            continue
        named = "id" in application
        if named:
            identifier = str(application["id"])
            if identifier in taken:
                problems.append(Problem(name, row.line, 0, f"row {row.row}: the id {identifier!r} is the id of row {taken[identifier]} already"))
        else:
            base = safe_name(" ".join(str(application[k]) for k in ("company", "position") if k in application))
            identifier, count = base, 1
            while identifier in taken or identifier in given:
                count += 1
                identifier = f"{base}-{count}"
            application = {"id": identifier, **application}
        taken[identifier] = row.row
        done.append(TrackerRow(row.row, row.line, application, named=named))
    if problems:
        raise InvalidInput(problems)
    return done


def _find_columns(name: str, header: list[str], preset: Preset, columns: Mapping[str, str]) -> dict[str, int]:
    """Field -> the index of the column holding it; a missing required column is an error."""
    index: dict[str, int] = {}
    for position, title in enumerate(header):
        index.setdefault(_words(title), position)
    found: dict[str, int] = {}
    problems = []
    shown = ", ".join(repr(h) for h in header)
    for wanted in FIELDS:
        if wanted in columns:
            position_of = index.get(_words(columns[wanted]))
            if position_of is None:
                message = f"--columns {wanted}={columns[wanted]}: the file has no column {columns[wanted]!r}"
                problems.append(Problem(name, 1, 0, f"{message}{suggest(columns[wanted], header)}; its columns: {shown}"))
                continue
            found[wanted] = position_of
            continue
        for title in preset.columns.get(wanted, ()):
            if _words(title) in index:
                found[wanted] = index[_words(title)]
                break
    for required in ("company", "status"):
        if required not in found and required not in columns:
            headers = " or ".join(repr(h) for h in preset.columns.get(required, (required,)))
            message = f"no {required} column: the {preset.name} format reads it from {headers}"
            problems.append(Problem(name, 1, 0, f"{message}; its columns: {shown} (map one with --columns {required}=HEADER)"))
    if problems:
        raise InvalidInput(problems)
    return found


@dataclass(frozen=True)
class _Row:
    path: str
    line: int
    number: int
    header: list[str]
    cells: list[str]
    blanks: tuple[str, ...]

    def value(self, position: int) -> str | None:
        text = self.cells[position].strip() if position < len(self.cells) else ""
        return None if text in self.blanks else text

    def problem(self, position: int, message: str) -> Problem:
        return Problem(self.path, self.line, position + 1, f"row {self.number}, column {self.header[position]!r}: {message}")


def _application(
    row: _Row, where: dict[str, int], stages: Mapping[str, str | None], date_format: str | None, problems: list[Problem]
) -> TrackerRow:
    values = {name: row.value(position) for name, position in where.items()}
    found = len(problems)
    if len(row.cells) > len(row.header) and any(cell.strip() for cell in row.cells[len(row.header):]):
        extra = f"row {row.number} has {len(row.cells)} cells but the header names {len(row.header)} columns"
        problems.append(Problem(row.path, row.line, len(row.header) + 1, extra))
    for required in ("company", "status"):
        if not values.get(required):
            problems.append(row.problem(where[required], f"is empty; every application needs its {required}"))
    stage = values.get("status")
    status: str | None = None
    if stage:
        if _words(stage) not in stages:
            words = sorted(k for k in stages if k not in STATUSES)
            also = f"; also understood: {', '.join(words)}" if words else ""
            message = f"{excerpt(stage)} is not a status{suggest(_words(stage), stages)}; valid: {', '.join(STATUSES)}{also}"
            problems.append(row.problem(where["status"], f"{message} (or map it: --status '{stage}=applied')"))
        else:
            status = stages[_words(stage)]
            if status is None:
                return TrackerRow(row.number, row.line, None, f"{excerpt(stage)}: not applied yet")
    fields: dict[str, Any] = {}
    if values.get("id"):
        identifier = str(values["id"])
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}", identifier):
            problems.append(row.problem(where["id"], f"{excerpt(identifier)} is not an id: letters, digits, '.', '_' or '-', starting with a letter or digit"))
        fields["id"] = identifier
    for name in ("company", "position"):
        if values.get(name):
            fields[name] = values[name]
    if status is not None:
        fields["status"] = status
    for name in _DATES:
        text = values.get(name)
        if text:
            day = _date(text, date_format)
            if day is None:
                shape = f"a date in the format {date_format!r}" if date_format else "an ISO 8601 date such as 2026-11-20 (or a datetime)"
                hint = "" if date_format else "; for other shapes give --date-format, e.g. '%d/%m/%Y'"
                problems.append(row.problem(where[name], f"{excerpt(text)} is not a date; valid: {shape}{hint}"))
            else:
                fields[name] = day
    if values.get("priority"):
        text = str(values["priority"])
        if not text.isdigit() or not 1 <= int(text) <= 5:
            problems.append(row.problem(where["priority"], f"{excerpt(text)} is not a priority; valid: 1 (most wanted) to 5"))
        else:
            fields["priority"] = int(text)
    medium = values.get("preferred_medium")
    if medium:
        if medium.casefold() not in MEDIA:
            problems.append(row.problem(where["preferred_medium"], f"{excerpt(medium)} is not a medium{suggest(medium.casefold(), MEDIA)}; valid: {', '.join(MEDIA)}"))
        else:
            fields["preferred_medium"] = medium.casefold()
    recruiter = {
        key: values[column]
        for key, column in (("name", "contact"), ("title", "contact_title"), ("email", "contact_email"), ("phone", "contact_phone"))
        if values.get(column)
    }
    if recruiter:
        fields["recruiter"] = {"id": safe_name(str(recruiter.get("name") or recruiter.get("email") or "contact"), 40), **recruiter}
    if values.get("notes"):
        fields["notes"] = values["notes"]
    if len(problems) > found:
        return TrackerRow(row.number, row.line, None, "refused")
    return TrackerRow(row.number, row.line, fields)


def _date(text: str, date_format: str | None) -> str | None:
    """The state-document text of a date cell, or ``None`` when it is not a date.

    A datetime with an offset is kept as it is; a time of day without one keeps only
    its day (it says nothing of the clock it was read on).
    """
    from ._loading import parse_instant

    if date_format:
        try:
            return dt.datetime.strptime(text, date_format).date().isoformat()
        except ValueError:
            return None
    try:
        parse_instant(text, dt.UTC)
    except ValueError:
        return None
    match = re.fullmatch(r"(\d{4}-\d{2}-\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?", text)
    if match is not None:
        return match[1]
    return text
