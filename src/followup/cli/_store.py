"""Commands that work on a store: ``init``, ``import``, ``export``, ``log``, ``run``, ``outbox``.

The store is ``--store URL``, else ``$FOLLOWUP_STORE``, else a SQLite file in the
user's data directory. Heavy modules are imported inside the commands, so that
``followup --help`` stays fast.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import Any

import click

from .._errors import InvalidInput
from ..state import CALLED_OFF, INTERVIEW_KINDS, INTERVIEW_STATUSES
from ._options import at_option, config_option, instant, now_option, rules_option, store_option

__all__ = ["COMMANDS"]

def _open(url: str | None, *, create: bool = False) -> Any:
    from ..stores import open_store

    return open_store(url or None, create=create)


def _zone(store: Any) -> dt.tzinfo:
    state = store.load_state([])
    return state.candidate.calendar.tz  # type: ignore[no-any-return]


@click.command("init")
@store_option
def init(store_url: str | None) -> None:
    """Create the store (a SQLite file by default) and bring its schema up to date."""
    from ..stores import default_store_url

    url = store_url or default_store_url()
    store = _open(url, create=True)
    try:
        version = getattr(store, "schema_version", None)
        where = f" (schema version {version})" if version is not None else ""
        state = "holds a state" if store.has_state() else "is empty: next, `followup import FILE`"
        click.echo(f"store {url} ready{where}; it {state}")
    finally:
        store.close()

@click.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@store_option
def import_(file: str, store_url: str | None) -> None:
    """Merge the state document FILE into the store (created if missing).

    Applications and the candidate are replaced by the file's version; contacts
    are added unless already logged; nothing is deleted. Importing the same file
    twice changes nothing.
    """
    from ..state import load_state

    state = load_state(file)
    store = _open(store_url, create=True)
    try:
        report = store.import_state(state)
    finally:
        store.close()
    click.echo(f"{file}: {report}")

@click.command("export")
@store_option
@click.option("--format", "fmt", type=click.Choice(["yaml", "json"]), default="yaml", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True), default="-", show_default=True)
def export(store_url: str | None, fmt: str, output: str) -> None:
    """Write the store's state as a state document (what `followup import` and `agenda` read)."""
    store = _open(store_url)
    try:
        document = store.export_document()
    finally:
        store.close()
    if fmt == "json":
        text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    else:
        import yaml

        text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
    if output == "-":
        click.echo(text, nl=False)
    else:
        from pathlib import Path

        from .._private import write_private

        try:
            write_private(Path(output), text.encode("utf-8"))
        except OSError as exc:
            raise InvalidInput.single(output, f"cannot write the export: {exc.strerror or exc}") from None

@click.group("log")
def log_group() -> None:
    """Record what happened: an interview, a contact, a status change."""

@log_group.command("contact")
@click.argument("application")
@click.argument("kind")
@store_option
@at_option
@click.option("--to", "to", metavar="ID", help="The interviewer or reference contacted (or who replied).")
@click.option("--interview", metavar="ID", help="The interview it is about.")
@click.option("--channel", metavar="MEDIUM", help="email, postal, fax or phone.")
@click.option("--note", help="A few words for later.")
@click.option("--action", metavar="KEY", help="The agenda action this settles, snoozes or dismisses.")
@click.option("--until", metavar="ISO8601", help="For kind 'snoozed': until when.")
@click.option("--in", "incoming", is_flag=True, help="It came from the employer (a reply); kind 'reply' implies it.")
@click.option("--decision-expected-by", "decision_by", metavar="DATE", help="A reply: the date they said they will decide by.")
@click.option(
    "--follow-up-requested-on", "--check-back-on", "check_back", metavar="DATE", help="A reply: the day they asked you to check back (on or after the reply's day)."
)
@click.option("--medium", "medium", metavar="MEDIUM", help="A reply: the medium they asked to be contacted through (email, postal, fax, phone).")
@click.option("--next-round", is_flag=True, help="A reply: a next round of interviews is being booked.")
@click.option("--on-hold", is_flag=True, help="A reply: the hiring process is on hold.")
@click.option("--outcome", metavar="OUTCOME", help="A reply: the decision it brings (rejected, offer); the status follows from the reply on.")
@click.option("--respond-by", metavar="DATE", help="A reply with --outcome offer: when they want an answer.")
def log_contact(
    application: str,
    kind: str,
    store_url: str | None,
    at: str | None,
    to: str | None,
    interview: str | None,
    channel: str | None,
    note: str | None,
    action: str | None,
    until: str | None,
    incoming: bool,
    decision_by: str | None,
    check_back: str | None,
    medium: str | None,
    next_round: bool,
    on_hold: bool,
    outcome: str | None,
    respond_by: str | None,
) -> None:
    """Log a contact of KIND with APPLICATION ('-' for the candidate's own log).

    A reply can say what the employer said: --decision-expected-by,
    --follow-up-requested-on (--check-back-on), --medium, --next-round,
    --on-hold, --outcome (with --respond-by for an offer). A reply with none of
    them is an acknowledgement. Examples: `followup log contact northwind-data
    thank_you_note --to jonas --interview onsite --channel email`,
    `followup log contact atlas-insurance reply --decision-expected-by 2026-12-04`.
    """
    import re

    from ..state import MEDIA, OUTCOMES, Contact

    if not re.fullmatch(r"[a-z][a-z0-9_]*", kind):
        raise InvalidInput.single("KIND", f"{kind!r} is not a contact kind; use snake_case such as thank_you_note or reply")
    if channel is not None and channel not in MEDIA:
        raise InvalidInput.single("--channel", f"unknown medium {channel!r}; valid: {', '.join(MEDIA)}")
    if medium is not None and medium not in MEDIA:
        raise InvalidInput.single("--medium", f"unknown medium {medium!r}; valid: {', '.join(MEDIA)}")
    if outcome is not None and outcome not in OUTCOMES:
        raise InvalidInput.single("--outcome", f"unknown outcome {outcome!r}; valid: {', '.join(OUTCOMES)}")
    direction = "in" if incoming or kind == "reply" else "out"
    said = {
        "--decision-expected-by": decision_by,
        "--follow-up-requested-on": check_back,
        "--medium": medium,
        "--next-round": next_round or None,
        "--on-hold": on_hold or None,
        "--outcome": outcome,
        "--respond-by": respond_by,
    }
    given = [name for name, value in said.items() if value is not None]
    if given and direction != "in":
        raise InvalidInput.single(given[0], f"says what the employer said, so it needs a reply: kind 'reply' or --in (this is an outbound {kind!r})")
    if respond_by is not None and outcome != "offer":
        raise InvalidInput.single("--respond-by", "is the deadline of an offer; give it with --outcome offer")
    store = _open(store_url)
    try:
        tz = _zone(store)
        moment = instant("--at", at, tz)
        decision = instant("--decision-expected-by", decision_by, tz) if decision_by else None
        again = instant("--follow-up-requested-on", check_back, tz) if check_back else None
        deadline = instant("--respond-by", respond_by, tz) if respond_by else None
        if again is not None and again.astimezone(tz).date() < moment.astimezone(tz).date():
            raise InvalidInput.single(
                "--follow-up-requested-on",
                f"{check_back!r} is before the reply itself ({moment.astimezone(tz).date().isoformat()}); "
                "a check-back day is on or after the day the employer said it",
            )
        contact = Contact(
            at=moment, kind=kind, direction=direction, to=to, interview=interview, channel=channel, note=note,
            action=action, until=instant("--until", until, tz) if until else None,
            # what the reply said
            decision_expected_by=decision, follow_up_requested_on=again, medium=medium,
            next_round=next_round, on_hold=on_hold, outcome=outcome, respond_by=deadline,
        )  # fmt: skip
        store.record_contact(None if application == "-" else application, contact)
    finally:
        store.close()
    click.echo(f"logged {kind} for {application}")

@log_group.command("status")
@click.argument("application")
@click.argument("status")
@store_option
@at_option
def log_status(application: str, status: str, store_url: str | None, at: str | None) -> None:
    """Set APPLICATION's STATUS (applied, interviewing, offer, rejected, accepted, withdrawn, stale)."""
    store = _open(store_url)
    try:
        store.set_status(application, status, instant("--at", at, _zone(store)))
    finally:
        store.close()
    click.echo(f"{application} is now {status}")

@log_group.command("interview")
@click.argument("application")
@click.argument("interview_id")
@store_option
@click.option("--starts-at", metavar="ISO8601", help="When it starts (without an offset: on the candidate's clock).")
@click.option("--ended-at", metavar="ISO8601", help="When it ended, once it has; enough on its own.")
@click.option("--kind", type=click.Choice(INTERVIEW_KINDS), help="What kind of interview it is.")
@click.option("--status", type=click.Choice(INTERVIEW_STATUSES), default="scheduled", show_default=True, help="Where it stands.")
@click.option("--rescheduled-to", metavar="ID", help="With --status rescheduled: the id of the interview replacing it.")
@click.option(
    "--interviewer",
    "interviewers",
    multiple=True,
    metavar="MAPPING",
    help="One interviewer as a YAML mapping, e.g. '{id: priya, name: Priya Raman, title: Head of Data, email: priya@example.com}'; repeat for each.",
)
@click.option("--topic", "topics", multiple=True, help="A subject discussed; repeat for each.")
def log_interview(
    application: str,
    interview_id: str,
    store_url: str | None,
    starts_at: str | None,
    ended_at: str | None,
    kind: str | None,
    status: str,
    rescheduled_to: str | None,
    interviewers: tuple[str, ...],
    topics: tuple[str, ...],
) -> None:
    """Add (or update, by id) interview INTERVIEW_ID of APPLICATION."""
    import yaml

    from ..state import Interview, Interviewer

    fields = ("id", "name", "title", "email", "postal_address", "fax", "phone")
    people = []
    for index, text in enumerate(interviewers, start=1):
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise InvalidInput.single(f"--interviewer #{index}", f"{text!r} is not a YAML mapping: {exc}") from None
        if not isinstance(data, dict) or not isinstance(data.get("id"), str):
            raise InvalidInput.single(f"--interviewer #{index}", f"{text!r} needs at least an id, e.g. '{{id: priya, name: Priya Raman}}'")
        unknown = sorted(set(data) - set(fields))
        if unknown:
            raise InvalidInput.single(f"--interviewer #{index}", f"unknown field {unknown[0]!r}; valid: {', '.join(fields)}")
        details = {k: str(v) for k, v in data.items() if k != "id" and v is not None}
        people.append(Interviewer(id=str(data["id"]), **details))
    store = _open(store_url)
    try:
        tz = _zone(store)
        if starts_at is None and ended_at is None:
            raise InvalidInput.single("--starts-at", "an interview needs --starts-at, --ended-at or both")
        if rescheduled_to is not None and status != "rescheduled":
            raise InvalidInput.single("--rescheduled-to", f"only for --status rescheduled; the status is {status!r}")
        start = instant("--starts-at", starts_at, tz) if starts_at else None
        end = instant("--ended-at", ended_at, tz) if ended_at else None
        if end is not None and start is not None and end < start:
            raise InvalidInput.single("--ended-at", f"{ended_at!r} is before --starts-at {starts_at!r}")
        if end is not None and status in CALLED_OFF:
            raise InvalidInput.single("--ended-at", f"an interview that is {status} has no end")
        store.add_interview(
            application,
            Interview(
                id=interview_id,
                starts_at=start,
                ended_at=end,
                interviewers=tuple(people),
                topics=topics,
                kind=kind,
                status="happened" if end is not None and status == "scheduled" else status,
                rescheduled_to=rescheduled_to,
            ),
        )
    finally:
        store.close()
    click.echo(f"interview {interview_id} of {application} recorded")

@click.command("run")
@store_option
@config_option
@rules_option
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit (for cron).")
@click.option("--dry-run", is_flag=True, help="Show what would be sent; change nothing.")
@now_option
@click.option("--batch", type=click.IntRange(min=1), default=50, show_default=True, help="Applications taken per tick.")
@click.option("--poll", type=click.FloatRange(min=1), default=60.0, show_default=True, help="Without --once: the longest wait between ticks, in seconds.")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=30.0, show_default=True, help="Seconds a channel may take to deliver one message.")
@click.option("--max-attempts", type=click.IntRange(min=1), default=5, show_default=True, help="Delivery attempts before a transient failure is final.")
@click.option(
    "--activate",
    "activate_own",
    is_flag=True,
    help="Make this worker's --rules and configuration the store's active ones (for every worker) if they differ.",
)
def run(
    store_url: str | None,
    config_file: str | None,
    rules: tuple[str, ...],
    once: bool,
    dry_run: bool,
    now: str | None,
    batch: int,
    poll: float,
    timeout: float,
    max_attempts: int,
    activate_own: bool,
) -> None:
    """Deliver due follow-ups through the configured channels, each exactly once.

    Safe to run from cron and from several processes or machines against one
    PostgreSQL store: each takes a distinct share of what is due. Without
    --once it keeps running, waking when something next falls due.

    Every worker runs with the store's active rulebook and configuration
    (`followup rules activate`, `followup config activate`); one started with
    others refuses to run, unless --activate makes its own the active ones.
    Exit status 1 when an application could not be worked on (it is listed by
    `followup outbox`) or a channel a claim needs is gone.
    """
    import logging
    import math
    import time

    from ..delivery import ActivationChanged, Dispatcher, guard_for, load_config, resolve_config, resolve_rules
    from ..engine import Engine

    for option, seconds, longest in (("--timeout", timeout, 3600.0), ("--poll", poll, 86400.0)):
        if not (math.isfinite(seconds) and seconds <= longest):
            raise InvalidInput.single(option, f"{seconds!r} is not a number of seconds up to {longest:g}")
    logging.basicConfig(level=logging.WARNING, format="followup: %(message)s")
    store = _open(store_url)

    def worker(activate: bool) -> Dispatcher:
        """A dispatcher with what this worker runs with: the store's active rulebook
        and configuration, or its own (refused when they differ, unless activated)."""
        config = load_config(config_file)
        if dry_run:  # a dry run changes nothing, activations included
            return Dispatcher(store, engine=Engine(resolve_rules(store, rules, activate_own=False, dry=True)), config=config,
                              batch=batch, timeout=timeout, max_attempts=max_attempts)  # fmt: skip
        rulebook = resolve_rules(store, rules, activate_own=activate)
        config = resolve_config(store, config, activate_own=activate)
        return Dispatcher(store, engine=Engine(rulebook), config=config, batch=batch, timeout=timeout,
                          max_attempts=max_attempts, guard=guard_for(store, rulebook, config))  # fmt: skip

    try:
        tz = _zone(store)
        dispatcher = worker(activate_own)
        follower = not rules and load_config(config_file).path is None
        if dry_run:
            report = dispatcher.dry_run(instant("--now", now, tz))
            _print_dry_run(report)
            return
        while True:
            moment = instant("--now", now, tz)
            try:
                report = _run_once(dispatcher, moment)
            except ActivationChanged:
                if not follower or once or now is not None:
                    raise
                dispatcher = worker(False)  # it follows what is active: take up the new one
                continue
            _print_report(report)
            if once or now is not None:
                if report.faults:
                    raise SystemExit(1)
                return
            wake = store.next_wake_at()
            current = dt.datetime.now(dt.UTC)
            wait = poll if wake is None else max(0.0, min(poll, (wake - current).total_seconds()))
            try:
                time.sleep(wait)
            except KeyboardInterrupt:
                return
    finally:
        store.close()

@click.command("outbox")
@store_option
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice(["uncertain", "failed", "retrying", "parked", "claimed", "delivered"]),
    help="Only these statuses (repeat). Default: everything that needs attention (uncertain, failed, retrying, parked, claimed).",
)
@click.option("--all", "show_all", is_flag=True, help="Every claim, delivered ones included.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option(
    "--resolve",
    nargs=2,
    metavar="KEY sent|not-sent",
    help="Settle an uncertain, failed, retrying or parked action: 'sent' records it as delivered; 'not-sent' forgets the claim so the next run may send it.",
)
def outbox(store_url: str | None, statuses: tuple[str, ...], show_all: bool, fmt: str, resolve: tuple[str, str] | None) -> None:
    """List the actions the dispatcher claimed that need a person: uncertain, failed, retrying, parked;
    and the applications it could not work on, with why."""
    store = _open(store_url)
    try:
        if resolve:
            _resolve(store, *resolve)
            return
        wanted = None if show_all else (statuses or ("uncertain", "failed", "retrying", "parked", "claimed"))
        entries = store.outbox(wanted)
        faults = store.faults()
    finally:
        store.close()
    if fmt == "json":
        click.echo(json.dumps([e.to_dict() for e in entries], indent=2, ensure_ascii=False))
        return
    from ._table import new_table

    if faults:
        console, problems = new_table(
            "applications the dispatcher could not work on (tried again within the hour, and after any change)",
            ("application", "since", "why"),
            width=200,
        )
        for fault in faults:
            problems.add_row(fault.subject or "(candidate's own log)", fault.at.isoformat(timespec="seconds"), fault.error)
        console.print(problems)
    if not entries:
        click.echo("the outbox has nothing that needs you" if not show_all else "the outbox is empty")
        return
    console, table = new_table(
        f"outbox ({store_url or 'default store'})",
        ("status", "action", "channel", "attempts", "updated", "why / receipt"),
        width=200,
    )
    for entry in entries:
        why = entry.error or ""
        if entry.status == "parked":
            why = f"{why} (sent when the rulebook asks for it again; dropped when its window expires or the application ends)"
        if entry.status == "retrying" and entry.next_attempt_at is not None:
            why = f"next attempt {entry.next_attempt_at.isoformat(timespec='seconds')}: {why}"
        if entry.status == "delivered" and entry.receipt:
            why = str(entry.receipt.get("reference") or entry.receipt.get("detail") or "")
        table.add_row(entry.status, entry.key, entry.channel, str(entry.attempts), entry.updated_at.isoformat(timespec="seconds"), why)
    console.print(table)


def _resolve(store: Any, key: str, outcome: str) -> None:
    entry = store.outbox_entry(key)
    if entry is None:
        raise InvalidInput.single("--resolve", f"no claim with key {key!r} in the outbox; `followup outbox --all` lists them")
    if outcome not in ("sent", "not-sent"):
        raise InvalidInput.single("--resolve", f"{outcome!r} is not an outcome; use sent or not-sent")
    if entry.status not in ("uncertain", "failed", "retrying", "parked"):
        raise InvalidInput.single("--resolve", f"{key!r} is {entry.status}; only uncertain, failed, retrying or parked claims can be resolved")
    now = dt.datetime.now(dt.UTC)
    if outcome == "sent":
        if entry.status in ("failed", "parked"):
            raise InvalidInput.single("--resolve", f"{key!r} is {entry.status} and its contact was taken out of the log; log it with `followup log contact` instead")
        store.update_outbox(key, status="delivered", now=now, receipt={"channel": entry.channel, "reference": None, "detail": "confirmed by a person"})
        click.echo(f"{key}: recorded as delivered")
    else:
        store.forget(key)
        click.echo(f"{key}: claim forgotten; the next `followup run` may send it")


def _run_once(dispatcher: Any, moment: dt.datetime) -> Any:
    if not sys.stderr.isatty():
        return dispatcher.run_once(moment)
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    due = len(dispatcher.store.peek_due(moment, limit=1_000_000))
    columns = (TextColumn("followup run"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[sent]} sent"))
    # on standard error, so that what the console channel prints on standard output stays clean
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("run", total=due or None, sent=0)
        done = 0

        def advance(outcomes: int, subjects: int) -> None:
            nonlocal done
            done += subjects
            progress.update(task, completed=min(done, due) if due else done, sent=outcomes)

        return dispatcher.run_once(moment, progress=advance)


def _print_report(report: Any) -> None:
    for outcome in report.outcomes:
        if outcome.result in ("failed", "uncertain", "retrying", "parked"):
            click.echo(f"{outcome.result}: {outcome.key} via {outcome.channel}: {outcome.detail}", err=True)
    for fault in report.faults:
        click.echo(f"could not work on {fault.subject or 'the candidate’s own log'}: {fault.error}", err=True)
    click.echo(f"followup run: {report.summary()}")


def _print_dry_run(report: Any) -> None:
    if not report.outcomes:
        click.echo("dry run: nothing would be sent")
        return
    for outcome in report.outcomes:
        message = outcome.message
        what = f" — {message.medium}: {message.subject}" if message is not None else ""
        line = f"{outcome.result}: {outcome.key} via {outcome.channel}{what}"
        if outcome.detail:
            line += f" ({outcome.detail})"
        click.echo(line)
    click.echo(f"dry run: {report.summary()}; nothing was changed")


COMMANDS: tuple[click.Command, ...] = (init, import_, export, log_group, run, outbox)
