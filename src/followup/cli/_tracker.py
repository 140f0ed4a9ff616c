"""``followup import FILE.csv``: a job tracker's CSV export, added to a state file or a store.

The rows are read by :func:`followup.state.read_tracker_csv` and written by
:func:`followup.journal.add_applications`, through the same locked, atomic writer as
``followup add application``: every row is checked first, and nothing is written
when one is refused.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import click

from .._errors import InvalidInput

__all__ = ["import_tracker_csv", "tracker_options"]


def _pairs(option: str, values: tuple[str, ...]) -> dict[str, str]:
    """``("company=Employer,position=Role", ...)`` as a mapping; a pair without ``=`` is an error."""
    pairs: dict[str, str] = {}
    for value in values:
        for pair in value.split(","):
            if not pair.strip():
                continue
            name, equals, header = pair.partition("=")
            if not equals or not name.strip() or not header.strip():
                raise InvalidInput.single(option, f"{pair!r} is not NAME=VALUE (e.g. {option} company=Employer)")
            pairs[name.strip()] = header.strip()
    return pairs


def tracker_options(function: Callable[..., None]) -> Callable[..., None]:
    """The options of a CSV import, as decorators of ``function`` (a click command callback)."""
    from ..state import PRESETS  # the state package is loaded by the store commands beside this one anyway

    presets = sorted(PRESETS)
    for option in reversed(
        [
            click.option("--preset", type=click.Choice(presets), default="generic", show_default=True,
                         help="A CSV: whose export it is (generic: a spreadsheet with followup's field names as headers)."),
            click.option("--columns", "columns", multiple=True, metavar="FIELD=HEADER[,...]",
                         help="A CSV: read FIELD from the column HEADER (e.g. company=Employer); repeat, or separate pairs with commas."),
            click.option("--status", "status_map", multiple=True, metavar="STAGE=STATUS",
                         help="A CSV: the tracker's STAGE means followup's STATUS (or 'skip'); repeat for each."),
            click.option("--date-format", metavar="FORMAT", help="A CSV: how its dates are written, as for strptime ('%d/%m/%Y'). Default: ISO 8601."),
            click.option("--dry-run", is_flag=True, help="A CSV: show what would be added; write nothing."),
            click.option("--state", "state_path", type=click.Path(dir_okay=False), envvar="FOLLOWUP_STATE",
                         help="A CSV: add to this state file (YAML or JSON) instead of the store [env FOLLOWUP_STATE]."),
        ]
    ):
        function = option(function)
    return function


def import_tracker_csv(
    file: str,
    *,
    state_path: str | None,
    store_url: str | None,
    preset: str,
    columns: tuple[str, ...],
    status_map: tuple[str, ...],
    date_format: str | None,
    dry_run: bool,
) -> None:
    """Read ``file`` as a tracker's CSV export and add its applications (see the module)."""
    from ..journal import add_applications
    from ..state import STATUSES, read_tracker_csv
    from ._journal import _Opened

    stages: dict[str, str | None] = {}
    for stage, status in _pairs("--status", status_map).items():
        if status != "skip" and status not in STATUSES:
            raise InvalidInput.single("--status", f"{stage}={status}: {status!r} is not a status; valid: {', '.join(STATUSES)}, or skip")
        stages[stage] = None if status == "skip" else status
    if date_format is not None and "%" not in date_format:
        raise InvalidInput.single("--date-format", f"{date_format!r} has no % directive; e.g. '%d/%m/%Y' or '%m/%d/%Y'")
    rows = read_tracker_csv(file, preset=preset, columns=_pairs("--columns", columns), statuses=stages, date_format=date_format)
    with _Opened(state_path, store_url) as opened:
        now = dt.datetime.now(opened.journal.load().candidate.calendar.tz)  # a note's time, on the candidate's clock
        report = add_applications(opened.journal, rows, at=now.replace(microsecond=0), where=file, dry_run=dry_run)
        where = opened.where
    by_row = {row.row: row for row in rows}
    said: list[tuple[int, str]] = []
    for number, identifier in report.added:
        fields = by_row[number].application or {}
        what = ", ".join(str(fields[k]) for k in ("company", "position", "status", "applied_at") if fields.get(k))
        said.append((number, f"{'would add' if dry_run else 'added'} {identifier} ({what})"))
    said += [(number, f"already there as {identifier}; left as it is") for number, identifier in report.present]
    said += [(number, f"skipped ({why})") for number, why in report.skipped]
    for number, text in sorted(said):
        click.echo(f"row {number}: {text}")
    tail = "; nothing was written (dry run)" if dry_run else ""
    click.echo(f"{file}: {report.summary()} in {where}{tail}")
