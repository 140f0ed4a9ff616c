"""The mailbox commands: ``followup mail sync`` and ``followup digest``."""

from __future__ import annotations

import datetime as dt
import json

import click

from .._errors import InvalidInput
from ._journal import _Opened
from ._options import config_option, now_option, parse_now, rules_option, state_option, store_option

__all__ = ["COMMANDS"]


@click.group("mail")
def mail_group() -> None:
    """Read your mailbox (IMAP, read-only): the employer's replies and your own notes to them."""


@mail_group.command("sync")
@state_option
@store_option
@config_option
@click.option("--since", metavar="DATE", help="Only messages from this day on (YYYY-MM-DD).")
@click.option("--rescan", is_flag=True, help="Read again from the start (or --since), not just what is new; nothing is logged twice.")
@click.option("--dry-run", is_flag=True, help="List what would be logged; log nothing and remember nothing.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def mail_sync(
    state_path: str | None, store_url: str | None, config_file: str | None, since: str | None, rescan: bool, dry_run: bool, fmt: str
) -> None:
    """Log the employer's replies and your notes to them found in the mailbox of [mail].

    Replies are logged with the meaning they seem to carry as *proposed*
    (`followup agenda` lists them; `followup log confirm` settles them). Only the
    headers of other mail are read; nothing on the server is changed.
    """
    from ..delivery import load_config
    from ..mail import MailError, MailSettings, sync

    day = None
    if since is not None:
        try:
            day = dt.date.fromisoformat(since)
        except ValueError:
            raise InvalidInput.single("--since", f"{since!r} is not a date; use YYYY-MM-DD") from None
    settings = MailSettings.from_config(load_config(config_file))
    with _Opened(state_path, store_url) as opened:
        tz = opened.journal.load().candidate.calendar.tz
        try:
            from pathlib import Path

            target = opened.where if opened.store is not None else str(Path(opened.where).resolve())
            report = sync(opened.journal, settings, target=target, since=day, rescan=rescan, dry_run=dry_run)
        except MailError as exc:
            raise InvalidInput.single("followup mail sync", str(exc)) from None
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "dry_run": report.dry_run,
                    "read": report.read,
                    "recorded": [
                        {"mailbox": r.mailbox, "uid": r.uid, "application": r.application, "contacts": r.contacts} for r in report.recorded
                    ],
                    "replayed": report.replayed,
                    "unrelated": report.unrelated,
                    "skipped": [{"mailbox": m, "uid": u, "reason": why} for m, u, why in report.skipped],
                },
                indent=2,
                ensure_ascii=False,
            )
        )
        return
    for recorded in report.recorded:
        click.echo(("would log " if dry_run else "logged ") + recorded.describe(tz))
    for mailbox, uid, why in report.skipped:
        click.echo(f"skipped {mailbox} #{uid}: {why}", err=True)
    click.echo(report.summary() + ("" if dry_run else f" in {opened.where}"))


@click.command("digest")
@state_option
@store_option
@config_option
@rules_option
@now_option
@click.option("--dry-run", is_flag=True, help="Show the digest; send nothing, claim nothing.")
@click.option("--force", is_flag=True, help="Send even before its time or on a day off (still once a day).")
def digest_command(
    state_path: str | None, store_url: str | None, config_file: str | None, rules: tuple[str, ...], now: str | None, dry_run: bool, force: bool
) -> None:
    """Send today's digest (due, overdue, held back, opening this week) once; run it from cron.

    Settings: [digest] time, days, channel. Sent at most once a day, whatever the
    number of workers; a day with nothing to say sends nothing.
    """
    from ..delivery import load_config
    from ..engine import Engine
    from ..mail import FileClaims, StoreClaims, send_digest
    from ._options import load_rules

    config = load_config(config_file)
    with _Opened(state_path, store_url) as opened:
        state = opened.journal.load()
        moment = parse_now(now, state.candidate.calendar.tz)
        agenda = Engine(load_rules(rules)).evaluate(state, moment)
        claims = StoreClaims(opened.store) if opened.store is not None else FileClaims(opened.where)
        report = send_digest(state, agenda, claims, config, moment, dry_run=dry_run, force=force)
    if dry_run and report.digest is not None:
        click.echo(f"Subject: {report.digest.subject}\n\n{report.digest.body}")
    click.echo(report.detail, err=report.status in ("failed", "uncertain"))
    if report.status in ("failed", "uncertain"):
        raise SystemExit(1)


COMMANDS: tuple[click.Command, ...] = (mail_group, digest_command)
