"""The dispatcher: due actions out of the store, through the channels, into the log, once.

Each :meth:`Dispatcher.tick`:

1. leases the *subjects* (applications, and the candidate's own log) whose
   ``next_wake_at`` has come, so concurrent workers take disjoint shares;
2. for each subject, first finishes what earlier ticks left: claims whose worker
   died (an idempotent channel is tried again, a non-idempotent one is marked
   ``uncertain`` and never sent again without a person deciding) and transient
   failures whose backoff has passed;
3. then, in one transaction holding the subject's lock, reloads the subject,
   evaluates it with the :class:`followup.Engine` (which re-checks every cap
   against the contacts recorded so far, in-flight claims included) and claims
   each due action by its key, logging the contact it will be;
4. renders each claimed action (hook ``followup_render_message``), runs the
   message checks (``followup_check_message``), delivers it through its channel
   with a timeout, and records the outcome: ``delivered``; ``retrying`` with
   exponential backoff after a transient failure, ``failed`` after a permanent one
   or the last attempt (its contact is taken out of the log again);
5. releases the subject with its next wake: the agenda's ``next_wake_at``, or an
   earlier retry or lease expiry.

Lifecycle hooks (``followup_action_due``, ``_delivered``, ``_failed``,
``_suppressed``) are called for each event; a hook that raises is logged and
ignored. Reminders and calls (media ``phone`` and ``reminder``) are tasks for the
candidate: delivering the reminder contacts nobody, so it is recorded in the
outbox but not as a contact; the candidate logs the call once made.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from .._errors import FollowupError, InvalidInput
from ..engine import Action, Engine
from ..state import Contact, State
from ..stores import JOURNAL, OutboxEntry, Store, action_from_dict, action_to_dict, utc
from ._channel import TASK_MEDIA, Channel, ChannelSpec, DeliveryError, Message, Receipt
from ._routing import route

if TYPE_CHECKING:
    import pluggy

    from ._config import Config

__all__ = ["Dispatcher", "Outcome", "TickReport"]


#: media whose "delivery" is a task for the candidate, not a contact with anyone
#: the channel used when the configuration routes a medium nowhere that works


@dataclass(frozen=True)
class Outcome:
    """What happened to one action in a tick.

    :ivar result: ``delivered``, ``retrying``, ``failed``, ``uncertain``,
        ``suppressed`` or, in a dry run, ``would-send`` / ``would-block``.
    """

    key: str
    result: str
    channel: str | None = None
    detail: str = ""
    subject: str = ""
    message: Message | None = None


@dataclass
class TickReport:
    """Everything one tick (or one ``run --once``) did."""

    now: dt.datetime
    subjects: list[str] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)

    def keys(self, result: str) -> list[str]:
        return [o.key for o in self.outcomes if o.result == result]

    @property
    def delivered(self) -> list[str]:
        return self.keys("delivered")

    def merge(self, other: TickReport) -> None:
        self.subjects += other.subjects
        self.outcomes += other.outcomes

    def summary(self) -> str:
        counts: dict[str, int] = {}
        for outcome in self.outcomes:
            counts[outcome.result] = counts.get(outcome.result, 0) + 1
        if not counts:
            return f"nothing to send ({len(set(self.subjects))} subject(s) evaluated)"
        return ", ".join(f"{n} {result}" for result, n in sorted(counts.items()))


class _Hung(Exception):
    pass


def _deliver_bounded(channel: Channel, message: Message, timeout: float) -> Receipt:
    """``channel.deliver(message)`` in a daemon thread; :class:`_Hung` after ``timeout`` seconds."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["receipt"] = channel.deliver(message)
        except BaseException as exc:  # noqa: BLE001 - handed to the dispatcher thread
            box["error"] = exc

    thread = threading.Thread(target=target, name=f"followup-deliver-{message.key}", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise _Hung
    if "error" in box:
        raise box["error"]
    return box["receipt"]  # type: ignore[no-any-return]


def _only(subject: str) -> dict[str, Any]:
    """Evaluate one subject's actions only: the others are facts, not work."""
    if subject == JOURNAL:
        return {"applications": (), "candidate": True}
    return {"applications": (subject,), "candidate": False}


class Dispatcher:
    """Delivers the due actions of one store.

    :param store: from :func:`followup.open_store` (or any :class:`followup.Store`).
    :param engine: the engine to evaluate with (default: the default rulebook).
    :param config: the user's configuration (routes, channel settings, templates);
        default: :func:`followup.delivery.load_config`.
    :param plugin_manager: where channels, renderers, checks and event hooks come
        from (default: the process-wide one).
    :param worker: a name for this worker in leases (default: host and process id).
    :param batch: subjects taken per tick.
    :param max_attempts: delivery attempts before a transient failure becomes final.
    :param backoff: the wait after the first transient failure; it doubles after
        each further one, up to ``max_backoff``.
    :param timeout: seconds a channel may take to deliver one message; longer is a
        failure (transient for an idempotent channel, ``uncertain`` for another:
        the message may still go out).
    :param lease: how long a worker holds a subject or a claim before another one
        may take it over (it must exceed the time a tick spends on one subject).
    """

    def __init__(
        self,
        store: Store,
        *,
        engine: Engine | None = None,
        config: Config | None = None,
        plugin_manager: pluggy.PluginManager | None = None,
        worker: str | None = None,
        batch: int = 50,
        max_attempts: int = 5,
        backoff: dt.timedelta = dt.timedelta(minutes=1),
        max_backoff: dt.timedelta = dt.timedelta(hours=6),
        timeout: float = 30.0,
        lease: dt.timedelta | None = None,
    ) -> None:
        if max_attempts < 1:
            raise InvalidInput.single("max_attempts", f"{max_attempts} attempts would never deliver anything; use 1 or more")
        if batch < 1:
            raise InvalidInput.single("batch", f"a batch of {batch} takes nothing; use 1 or more")
        if timeout <= 0:
            raise InvalidInput.single("timeout", f"a delivery timeout of {timeout} s leaves no time; use a positive number")
        from ..plugins import get_plugin_manager
        from ._config import load_config

        self.store = store
        self.engine = engine if engine is not None else Engine()
        self.config = config if config is not None else load_config()
        self.pm = plugin_manager if plugin_manager is not None else get_plugin_manager()
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.batch = batch
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.timeout = timeout
        self.lease = lease if lease is not None else max(dt.timedelta(minutes=5), dt.timedelta(seconds=4 * timeout))
        self.specs = self._collect_channels()
        self._channels: dict[str, Channel] = {}
        caps = self.engine.rulebook.caps.values()
        self._per = {cap.per for cap in caps}

    # -- channels -------------------------------------------------------------

    def _collect_channels(self) -> dict[str, ChannelSpec]:
        from ._channel import collect_channels

        return collect_channels(self.pm)

    def channel_for(self, action: Action, medium: str) -> ChannelSpec:
        """The channel an action goes through.

        Decided by :func:`followup.delivery.route` (the decision ``followup
        channels`` shows). A channel chosen this way whose settings are wrong stops
        the run with a message before anything is claimed, rather than falling back
        silently.
        """
        return route(medium, self.config, self.specs, requested=action.channel)

    def _channel(self, spec: ChannelSpec) -> Channel:
        channel = self._channels.get(spec.name)
        if channel is None:
            from .channels import build_channel

            try:
                channel = build_channel(spec, self.config)
            except FollowupError:
                raise
            except Exception as exc:  # noqa: BLE001 - a plugin's bug, reported with its name
                raise FollowupError(
                    f"channel {spec.name!r} (plugin {spec.plugin!r}) could not be set up: {type(exc).__name__}: {exc}"
                ) from None
            self._channels[spec.name] = channel
        return channel

    # -- events -----------------------------------------------------------------

    def _notify(self, hook_name: str, **kwargs: Any) -> None:
        from ..plugins import notify

        notify(hook_name, pm=self.pm, **kwargs)

    # -- the loop -----------------------------------------------------------------

    def run_once(self, now: dt.datetime, *, progress: Callable[[int, int], None] | None = None) -> TickReport:
        """Tick until nothing is due at ``now``: everything due is delivered or settled."""
        report = TickReport(now)
        for _ in range(10_000):
            tick = self.tick(now)
            report.merge(tick)
            if progress is not None:
                progress(len(report.outcomes), len(tick.subjects))
            if not tick.subjects:
                break
        return report

    def dry_run(self, now: dt.datetime) -> TickReport:
        """What :meth:`run_once` would send at ``now``, changing nothing anywhere."""
        now = utc(now)
        report = TickReport(now)
        subjects = self.store.peek_due(now, limit=1_000_000)
        report.subjects = list(subjects)
        for subject in subjects:
            state = self._load(subject, now)
            agenda = self.engine.evaluate(state, now, **_only(subject))
            for action in self._pending(agenda.actions, subject):
                if self.store.outbox_entry(action.key) is not None:
                    continue
                spec = self.channel_for(action, self._medium(action, state))
                try:
                    message, context = self._render(action, state, now)
                    blocks = self._blocks(message, context)
                except DeliveryError as exc:
                    report.outcomes.append(Outcome(action.key, "would-fail", spec.name, str(exc), subject))
                    continue
                if blocks:
                    report.outcomes.append(Outcome(action.key, "would-block", spec.name, blocks, subject, message))
                else:
                    report.outcomes.append(Outcome(action.key, "would-send", spec.name, "", subject, message))
        return report

    def tick(self, now: dt.datetime) -> TickReport:
        """Lease what is due at ``now``, deliver it, and set each subject's next wake."""
        now = utc(now)
        report = TickReport(now)
        subjects = self.store.lease_due(now, limit=self.batch, worker=self.worker, lease=self.lease)
        report.subjects = list(subjects)
        for index, subject in enumerate(subjects):
            try:
                self._process(subject, now, report)
            except BaseException:
                # a configuration mistake, a lost database, Ctrl-C: hand back what this
                # worker holds, so the next run (after the fix) finds it due at once
                for left in subjects[index:]:
                    with contextlib.suppress(Exception):
                        self.store.release(left, now)
                raise
        return report

    # -- one subject -----------------------------------------------------------------

    def _load(self, subject: str, now: dt.datetime) -> State:
        if subject == JOURNAL:
            return self.store.load_state([], heads="all")
        if "everything" in self._per:
            return self.store.load_state(None)
        wanted = [subject]
        if "company" in self._per:
            wanted = self.store.applications_of_company(subject) or [subject]
        return self.store.load_state(wanted, heads="offers", as_of=now)

    def _no_longer_wanted(self, action: Action, subject: str, now: dt.datetime) -> str | None:
        """Why a claim waiting to be tried again should not go out any more, or ``None``.

        The subject is evaluated afresh as if this claim had never been logged; the
        action must still be due or overdue.
        """
        state = self._load(subject, now)
        if subject == JOURNAL:
            state = replace(state, contacts=tuple(c for c in state.contacts if c.action != action.key))
        else:
            state = replace(
                state,
                applications=tuple(
                    replace(a, contacts=tuple(c for c in a.contacts if c.action != action.key)) if a.id == subject else a
                    for a in state.applications
                ),
            )
        current = self.engine.evaluate(state, now, **_only(subject)).get(action.key)
        if current is None:
            return "the rulebook no longer asks for it"
        if current.status in ("due", "overdue"):
            return None
        return f"{current.status}: {current.reason}"

    def _lock_name(self, subject: str, state: State) -> str:
        """The lock a claim for ``subject`` needs: a cap counting contacts across
        applications needs the company's (or everyone's) lock, not just the subject's."""
        if subject == JOURNAL or "everything" in self._per:
            return "*everything*" if "everything" in self._per else JOURNAL
        if "company" in self._per:
            application = state.application(subject)
            if application is not None:
                return "*company*:" + application.company.casefold()
        return subject

    @staticmethod
    def _pending(actions: Iterable[Action], subject: str) -> list[Action]:
        own = None if subject == JOURNAL else subject
        return [a for a in actions if a.status in ("due", "overdue") and a.application == own]

    @staticmethod
    def _medium(action: Action, state: State) -> str:
        from .messages import medium_of

        application = state.application(action.application) if action.application else None
        return medium_of(action, application)

    def _process(self, subject: str, now: dt.datetime, report: TickReport) -> None:
        state = self._load(subject, now)
        work: list[tuple[Action, OutboxEntry]] = []
        # 1. what earlier ticks left: abandoned claims and retries whose time has come
        for entry in self.store.outbox(("claimed", "retrying"), application=subject):
            if entry.status == "claimed" and (entry.lease_until is None or entry.lease_until > now):
                continue  # another worker is delivering it right now
            if entry.status == "retrying" and entry.next_attempt_at is not None and entry.next_attempt_at > now:
                continue
            with self.store.locked(self._lock_name(subject, state)):
                current = self.store.outbox_entry(entry.key)
                if current is None or (current.status, current.attempts) != (entry.status, entry.attempts):
                    continue  # someone else moved it on
                action = action_from_dict(entry.action)
                if entry.status == "claimed" and not entry.idempotent:
                    error = (
                        "the dispatcher stopped between claiming and recording this delivery (a crash or a kill); "
                        f"channel {entry.channel!r} cannot be asked twice safely, so it is not sent again: check whether "
                        "it went out, then `followup outbox --resolve KEY sent` or `... not-sent`"
                    )
                    self.store.update_outbox(entry.key, status="uncertain", now=now, error=error)
                    report.outcomes.append(Outcome(entry.key, "uncertain", entry.channel, error, subject))
                    self._notify("followup_action_failed", action=action, error=error, final=True)
                    continue
                if entry.attempts >= self.max_attempts:
                    # a message whose delivery keeps killing its worker must not kill them all forever
                    error = f"gave up after {entry.attempts} attempts: {entry.error or 'the dispatcher stopped during each one'}"
                    self.store.update_outbox(entry.key, status="failed", now=now, error=error)
                    report.outcomes.append(Outcome(entry.key, "failed", entry.channel, error, subject))
                    self._notify("followup_action_failed", action=action, error=error, final=True)
                    continue
                moot = self._no_longer_wanted(action, subject, now)
                if moot is not None:
                    # the employer replied, the application closed, a cap filled up meanwhile
                    error = f"not sent: no longer needed ({moot})"
                    self.store.update_outbox(entry.key, status="failed", now=now, error=error)
                    report.outcomes.append(Outcome(entry.key, "failed", entry.channel, error, subject))
                    self._notify("followup_action_failed", action=action, error=error, final=True)
                    continue
                self.store.update_outbox(
                    entry.key, status="claimed", now=now, attempts=entry.attempts + 1, error=entry.error, lease_until=now + self.lease
                )
            work.append((action, replace(entry, attempts=entry.attempts + 1, status="claimed")))
        # 2. new claims, the caps re-checked under the lock of everything they count
        with self.store.locked(self._lock_name(subject, state)):
            state = self._load(subject, now)
            agenda = self.engine.evaluate(state, now, **_only(subject))
            for action in agenda.actions:
                if action.status == "suppressed" and action.application == (None if subject == JOURNAL else subject):
                    self._notify("followup_action_suppressed", action=action)
            for action in self._pending(agenda.actions, subject):
                if self.store.outbox_entry(action.key) is not None:
                    continue  # claimed before: delivered, failed, uncertain or under way
                medium = self._medium(action, state)
                spec = self.channel_for(action, medium)
                # a channel whose configuration is wrong stops the run before this application's claims
                self._channel(spec)
                self._notify("followup_action_due", action=action)
                entry = OutboxEntry(
                    key=action.key,
                    application=subject,
                    status="claimed",
                    attempts=1,
                    channel=spec.name,
                    idempotent=spec.idempotent,
                    claimed_at=now,
                    updated_at=now,
                    action=action_to_dict(action),
                    lease_until=now + self.lease,
                )
                contact = None
                if medium not in TASK_MEDIA:
                    contact = Contact(
                        at=now,
                        kind=action.kind,
                        to=action.recipient,
                        interview=action.interview,
                        channel=medium,
                        action=action.key,
                    )
                if self.store.claim(entry, contact):
                    work.append((action, entry))
        # 3. render, check, deliver, record
        for action, entry in work:
            report.outcomes.append(self._deliver(action, entry, state, now, subject))
        # 4. when to look at this subject again
        wake = self._next_wake(subject, now)
        for entry in self.store.outbox(("claimed", "retrying"), application=subject):
            when = entry.lease_until if entry.status == "claimed" else entry.next_attempt_at
            if when is not None and when > now and (wake is None or when < wake):
                wake = when
        self.store.release(subject, wake)

    def _next_wake(self, subject: str, now: dt.datetime) -> dt.datetime | None:
        """When ``subject``'s agenda can next change by itself.

        The times its own actions can change status (opening, falling due, a cap
        freeing, expiring) and the times its own log and interviews bring (an
        entry dated ahead, an interview ending, a snooze running out), the same
        sources the engine's ``next_wake_at`` draws on, for this subject only: the
        other applications' wakes are theirs to keep.
        """
        own = None if subject == JOURNAL else subject
        times: list[dt.datetime] = []
        state = self._load(subject, now)
        for action in self.engine.evaluate(state, now, **_only(subject)).actions:
            if action.application != own or action.status == "done":
                continue
            if action.status == "upcoming":
                times.append(action.opens_at)
            elif action.status == "due":
                times.append(action.due_at)
            elif action.status == "suppressed" and action.frees_at is not None:
                times.append(action.frees_at)
            if action.expires_at is not None:
                times.append(action.expires_at)
        if own is None:
            log = state.contacts
        else:
            application = state.application(own)
            log = application.contacts if application is not None else ()
            if application is not None:
                times += [i.ended_at for i in application.interviews if i.ended_at is not None]
        times += [c.at for c in log]  # an entry logged ahead of time comes into effect
        times += [c.until for c in log if c.until is not None]  # a snooze runs out
        future = [t for t in times if t > now]
        return min(future) if future else None

    def _render(self, action: Action, state: State, now: dt.datetime) -> tuple[Message, dict[str, Any]]:
        from .messages import build_context

        context = build_context(state, action, self.config.as_context(), now=now)
        message = self.pm.hook.followup_render_message(action=action, context=context)
        if message is None:
            raise DeliveryError(f"no installed renderer writes messages of kind {action.kind!r}", transient=False)
        return message, context

    def _blocks(self, message: Message, context: Mapping[str, Any]) -> str:
        results = self.pm.hook.followup_check_message(message=message, context=context) or []
        return "; ".join(f"{block.check}: {block.reason}" for result in results for block in result or [])

    def _deliver(self, action: Action, entry: OutboxEntry, state: State, now: dt.datetime, subject: str) -> Outcome:
        spec = self.specs.get(entry.channel)
        try:
            if spec is None:
                raise DeliveryError(f"channel {entry.channel!r} is no longer installed", transient=True)
            try:
                message, context = self._render(action, state, now)
            except InvalidInput as exc:
                raise DeliveryError(f"cannot write the message: {exc}", transient=False) from None
            blocked = self._blocks(message, context)
            if blocked:
                raise DeliveryError(f"blocked by a message check: {blocked}", transient=False)
            channel = self._channel(spec)
            try:
                receipt = _deliver_bounded(channel, message, self.timeout)
            except _Hung:
                if not entry.idempotent:
                    error = (
                        f"channel {entry.channel!r} did not answer within {self.timeout:g} s and cannot be asked twice "
                        "safely; the message may still go out: check, then `followup outbox --resolve KEY sent|not-sent`"
                    )
                    self.store.update_outbox(entry.key, status="uncertain", now=now, error=error)
                    self._notify("followup_action_failed", action=action, error=error, final=True)
                    return Outcome(entry.key, "uncertain", entry.channel, error, subject)
                raise DeliveryError(f"channel {entry.channel!r} did not answer within {self.timeout:g} s", transient=True) from None
        except DeliveryError as exc:
            return self._failed(action, entry, now, subject, str(exc), exc.transient)
        except FollowupError as exc:
            return self._failed(action, entry, now, subject, str(exc), False)
        except Exception as exc:  # noqa: BLE001 - a plugin's bug is a failure of that delivery, recorded
            return self._failed(action, entry, now, subject, f"{type(exc).__name__}: {exc}", True)
        if not isinstance(receipt, Receipt):
            receipt = Receipt(channel=entry.channel, detail=f"the channel returned {type(receipt).__name__}")
        self.store.update_outbox(
            entry.key,
            status="delivered",
            now=now,
            receipt={"channel": receipt.channel, "reference": receipt.reference, "detail": receipt.detail},
        )
        self._notify("followup_action_delivered", action=action, receipt=receipt)
        return Outcome(entry.key, "delivered", entry.channel, receipt.reference or receipt.detail, subject, message)

    def _failed(self, action: Action, entry: OutboxEntry, now: dt.datetime, subject: str, error: str, transient: bool) -> Outcome:
        if transient and entry.attempts < self.max_attempts:
            delay = min(self.backoff * (2 ** (entry.attempts - 1)), self.max_backoff)
            self.store.update_outbox(entry.key, status="retrying", now=now, error=error, next_attempt_at=now + delay)
            self._notify("followup_action_failed", action=action, error=error, final=False)
            return Outcome(entry.key, "retrying", entry.channel, f"{error} (attempt {entry.attempts}; next in {delay})", subject)
        if transient:
            error = f"gave up after {entry.attempts} attempts: {error}"
        self.store.update_outbox(entry.key, status="failed", now=now, error=error)
        self._notify("followup_action_failed", action=action, error=error, final=True)
        return Outcome(entry.key, "failed", entry.channel, error, subject)
