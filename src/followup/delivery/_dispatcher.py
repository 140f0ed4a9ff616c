"""The dispatcher: due actions out of the store, through the channels, into the log, once.

Each :meth:`Dispatcher.tick` leases the *subjects* (applications, and the candidate's
own log) whose ``next_wake_at`` has come, so concurrent workers take disjoint
shares, and works on each in three named steps:

1. :meth:`~Dispatcher._finish_earlier_work`: what earlier ticks left. A claim whose
   worker died is tried again through an idempotent channel and marked
   ``uncertain`` for any other; a retry whose backoff has passed is weighed against
   the subject evaluated afresh: still asked for, it is delivered (under whichever
   rule now asks for the same message); asked for later, held by a cap, or no longer
   asked for, it is *parked*; its window expired, the application ended, or already
   done, it is dropped for good. A parked claim is dropped on the same grounds.
2. :meth:`~Dispatcher._deliver_due_work`: new work, **one action at a time**: under
   the lock of everything its caps count, reload the subject, evaluate it (every cap
   re-checked against the contacts recorded so far, in-flight claims included),
   claim the first due action whose identity (what the person receives) was never
   claimed, or take a parked one up again, then render, check and deliver it within
   the delivery timeout and record the outcome, and only then look for the next.
   A kill leaves at most the action in flight claimed.
3. release the subject with its next wake: the last evaluation's, or an earlier
   retry, lease expiry or parked window's end.

A subject that fails (a store row followup cannot read, an instant out of range, a
plugin's bug) is recorded as a :class:`~followup.stores.SubjectFault`, listed by
``followup outbox``, and the tick goes on with the others; a channel that the
configuration no longer provides stops the run (:class:`ChannelUnavailable`), since
it concerns every subject routed to it.

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
import queue
import socket
import threading
import uuid
import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from .._errors import FollowupError, InvalidInput
from ..engine import Action, Engine
from ..state import ACTIVE_STATUSES, Contact, State
from ..stores import JOURNAL, OutboxEntry, Store, SubjectFault, action_from_dict, action_to_dict, utc
from ._channel import TASK_MEDIA, Channel, ChannelSpec, DeliveryError, Message, Receipt
from ._routing import DEFAULT_CHANNEL, route

if TYPE_CHECKING:
    import pluggy

    from ._config import Config

__all__ = ["ChannelUnavailable", "Dispatcher", "Outcome", "TickReport"]


#: how long a subject that failed waits before it is tried again (a change to it wakes it at once)
FAULT_RETRY = dt.timedelta(hours=1)


class ChannelUnavailable(FollowupError):
    """A channel an action is (or was claimed) for cannot be used with this
    configuration: the run stops, and the action stays as it is until it can."""


@dataclass(frozen=True)
class Outcome:
    """What happened to one action in a tick.

    :ivar result: ``delivered``, ``retrying``, ``parked``, ``failed``,
        ``uncertain`` or, in a dry run, ``would-send`` / ``would-block`` /
        ``would-fail``.
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
    #: subjects that could not be worked on in this tick, and why
    faults: list[SubjectFault] = field(default_factory=list)

    def keys(self, result: str) -> list[str]:
        return [o.key for o in self.outcomes if o.result == result]

    @property
    def delivered(self) -> list[str]:
        return self.keys("delivered")

    def merge(self, other: TickReport) -> None:
        self.subjects += other.subjects
        self.outcomes += other.outcomes
        self.faults += other.faults

    def summary(self) -> str:
        counts: dict[str, int] = {}
        for outcome in self.outcomes:
            counts[outcome.result] = counts.get(outcome.result, 0) + 1
        faults = f"; {len(self.faults)} subject(s) could not be worked on" if self.faults else ""
        if not counts:
            return f"nothing to send ({len(set(self.subjects))} subject(s) evaluated){faults}"
        return ", ".join(f"{n} {result}" for result, n in sorted(counts.items())) + faults


class _Hung(Exception):
    def __init__(self, handed_over: bool) -> None:
        super().__init__()
        self.handed_over = handed_over


class _Courier:
    """One daemon thread that runs each delivery handed to it, within a timeout.

    The thread is kept from one delivery to the next (starting a thread costs more
    than a delivery to a local outbox). A delivery that overruns its timeout keeps
    its thread busy: that thread is left to finish it and stop, and the next
    delivery gets a new one. The thread ends when its dispatcher is collected.
    """

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[Any] | None = None

    def run(self, work: Callable[[Callable[[], None]], Any], timeout: float) -> Any:
        """``work(handing_over)`` in the courier thread; :class:`_Hung` after ``timeout``
        seconds, saying whether ``work`` had called ``handing_over()`` by then (the
        message was being given to the channel)."""
        if self._jobs is None:
            self._jobs = queue.SimpleQueue()
            threading.Thread(target=self._serve, args=(self._jobs,), name="followup-deliver", daemon=True).start()
            weakref.finalize(self, self._jobs.put, None)  # the thread ends with its dispatcher
        box: dict[str, Any] = {}
        done = threading.Event()
        self._jobs.put((work, box, done))
        if not done.wait(timeout):
            self._jobs.put(None)  # the thread stops once the overrunning delivery returns
            self._jobs = None
            raise _Hung(bool(box.get("handed_over")))
        if "error" in box:
            raise box["error"]
        return box["result"]

    @staticmethod
    def _serve(jobs: queue.SimpleQueue[Any]) -> None:
        while True:
            job = jobs.get()
            if job is None:
                return
            work, box, done = job

            def handing_over(box: dict[str, Any] = box) -> None:
                box["handed_over"] = True

            try:
                box["result"] = work(handing_over)
            except BaseException as exc:  # noqa: BLE001 - handed to the dispatcher thread
                box["error"] = exc
            finally:
                done.set()
            # the finished job holds its dispatcher (``work`` is one of its methods): let go of
            # it while waiting for the next, so that a dispatcher no longer used is collected
            # and its finalizer ends this thread
            del job, work, box, done, handing_over


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
    :param guard: called before each tick; an exception it raises stops the run
        before anything is leased (``followup run`` uses it to stop when another
        rulebook or configuration is activated while it runs).
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
        guard: Callable[[], None] | None = None,
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
        self.guard = guard
        self.specs = self._collect_channels()
        self._channels: dict[str, Channel] = {}
        self._courier = _Courier()
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
                if self.store.outbox_entry_for(action.identity) is not None:
                    continue
                spec = self.channel_for(action, self._medium(action, state))
                try:
                    message, context = self._render(action, state, now)
                    blocks = self._blocks(message, context)
                except DeliveryError as exc:
                    report.outcomes.append(Outcome(action.key, "would-fail", spec.name, str(exc), subject))
                    continue
                except InvalidInput as exc:  # as a delivery would fail: a template that does not render
                    report.outcomes.append(Outcome(action.key, "would-fail", spec.name, f"cannot write the message: {exc}", subject))
                    continue
                if blocks:
                    report.outcomes.append(Outcome(action.key, "would-block", spec.name, blocks, subject, message))
                else:
                    report.outcomes.append(Outcome(action.key, "would-send", spec.name, "", subject, message))
        return report

    def tick(self, now: dt.datetime) -> TickReport:
        """Lease what is due at ``now``, deliver it, and set each subject's next wake.

        A subject that fails is recorded (:meth:`followup.Store.faults`, the tick's
        ``faults``) and the others go on; :class:`ChannelUnavailable`, a lost store or
        an interruption stop the tick, handing back every subject not yet done.
        """
        now = utc(now)
        report = TickReport(now)
        if self.guard is not None:
            self.guard()  # e.g. another rulebook was activated meanwhile: stop before taking anything
        subjects = self.store.lease_due(now, limit=self.batch, worker=self.worker, lease=self.lease)
        report.subjects = list(subjects)
        for index, subject in enumerate(subjects):
            try:
                self._process(subject, now, report)
            except ChannelUnavailable:
                self._hand_back(subjects[index:], now)
                raise
            except Exception as exc:  # noqa: BLE001 - one subject's trouble is recorded, the others go on
                fault = SubjectFault(subject, _describe(exc), now)
                try:
                    self.store.release(subject, now + FAULT_RETRY, fault=fault)
                except Exception:  # noqa: BLE001 - the original error is the one to report
                    # the store itself is gone: nothing more can be done in this tick
                    self._hand_back(subjects[index:], now)
                    raise exc from None
                report.faults.append(fault)
            except BaseException:
                # Ctrl-C, a kill signal turned into an exception: hand back what this
                # worker holds, so the next run finds it due at once
                self._hand_back(subjects[index:], now)
                raise
        return report

    def _hand_back(self, subjects: Iterable[str], now: dt.datetime) -> None:
        for subject in subjects:
            with contextlib.suppress(Exception):
                self.store.release(subject, now)

    # -- one subject -----------------------------------------------------------------

    def _load(self, subject: str, now: dt.datetime) -> State:
        if subject == JOURNAL:
            return self.store.load_state([], heads="all")
        if "everything" in self._per:
            return self.store.load_state(None)
        wanted = [subject]
        if "company" in self._per:
            wanted = self.store.applications_of_company(subject) or [subject]
        state = self.store.load_state(wanted, heads="offers", as_of=now)
        mine = state.application(subject)
        if mine is not None and mine.status == "accepted":
            # thanking the references reads every application's log (who was alerted)
            return self.store.load_state(None)
        return state

    def _process(self, subject: str, now: dt.datetime, report: TickReport) -> None:
        """One subject: earlier work, then new work one action at a time, then its next wake."""
        self._finish_earlier_work(subject, now, report)
        state, agenda = self._deliver_due_work(subject, now, report)
        self.store.release(subject, self._next_wake(subject, state, agenda, now))

    # -- step 1: what earlier ticks left ----------------------------------------------

    def _finish_earlier_work(self, subject: str, now: dt.datetime, report: TickReport) -> None:
        """Abandoned claims, retries whose time has come, and parked claims past hope."""
        for entry in self.store.outbox(("claimed", "retrying", "parked"), application=subject):
            if entry.status == "claimed" and (entry.lease_until is None or entry.lease_until > now):
                continue  # another worker is delivering it right now
            if entry.status == "retrying" and entry.next_attempt_at is not None and entry.next_attempt_at > now:
                continue
            state = self._load(subject, now)
            with self.store.locked(self._lock_name(subject, state)):
                wanted = self._take_up(entry, subject, state, now, report)
            if wanted is not None:
                report.outcomes.append(self._deliver(wanted, self._claimed(entry.key), state, now, subject))

    def _take_up(self, entry: OutboxEntry, subject: str, state: State, now: dt.datetime, report: TickReport) -> Action | None:
        """Inside the subject's lock: settle what earlier work left in ``entry``, or claim it
        again and return the action to deliver now."""
        current = self.store.outbox_entry(entry.key)
        if current is None or (current.status, current.attempts) != (entry.status, entry.attempts):
            return None  # someone else moved it on
        action = action_from_dict(entry.action)
        if entry.status == "parked":
            gone = self._past_hope(action, state, now)
            if gone is not None:
                report.outcomes.append(self._settle(action, entry, now, subject, "failed", f"dropped while parked: {gone}"))
            return None
        if entry.status == "claimed" and not entry.idempotent:
            error = (
                "the dispatcher stopped between claiming and recording this delivery (a crash or a kill); "
                f"channel {entry.channel!r} cannot be asked twice safely, so it is not sent again: check whether "
                "it went out, then `followup outbox --resolve KEY sent` or `... not-sent`"
            )
            report.outcomes.append(self._settle(action, entry, now, subject, "uncertain", error))
            return None
        if entry.attempts >= self.max_attempts:
            # a message whose delivery keeps killing its worker must not kill them all forever
            error = f"gave up after {entry.attempts} attempts: {entry.error or 'the dispatcher stopped during each one'}"
            report.outcomes.append(self._settle(action, entry, now, subject, "failed", error))
            return None
        verdict, reason, wanted = self._weigh(action, entry.key, subject, now)
        if verdict != "send":
            status = {"park": "parked", "drop": "failed"}[verdict]
            report.outcomes.append(self._settle(action, entry, now, subject, status, reason))
            return None
        assert wanted is not None
        self._usable(entry.channel, entry.key)  # a retry goes through the channel it was claimed for
        self.store.update_outbox(
            entry.key, status="claimed", now=now, attempts=entry.attempts + 1, error=entry.error, lease_until=now + self.lease
        )
        return wanted

    def _claimed(self, key: str) -> OutboxEntry:
        """The outbox entry ``key`` as this worker just claimed it."""
        entry = self.store.outbox_entry(key)
        assert entry is not None and entry.status == "claimed", f"{key} was claimed a moment ago"
        return entry

    def _weigh(self, action: Action, key: str, subject: str, now: dt.datetime) -> tuple[str, str, Action | None]:
        """Whether a claim waiting to be tried again should go out now: ``("send", "", the
        action now asking for it)``, ``("park", why, None)`` or ``("drop", why, None)``.

        The subject is evaluated afresh as if this claim (outbox ``key``) had never been
        logged, and the action is looked for by identity, so a renamed rule still sends
        the same message.
        """
        state = self._without_claim(self._load(subject, now), subject, key, action.kind)
        agenda = self.engine.evaluate(state, now, **_only(subject))
        own = None if subject == JOURNAL else subject
        current = next((a for a in agenda.actions if a.identity == action.identity and a.application == own), None)
        if current is None:
            gone = self._past_hope(action, state, now)
            if gone is not None:
                return "drop", f"not sent: no longer needed ({gone})", None
            return "park", "parked: the active rulebook no longer asks for it", None
        if current.status in ("due", "overdue"):
            return "send", "", current
        if current.status == "done":
            return "drop", f"not sent: no longer needed (done: {current.reason})", None
        return "park", f"parked: {current.status}: {current.reason}", None

    @staticmethod
    def _without_claim(state: State, subject: str, key: str, kind: str) -> State:
        """``state`` without the contact that claiming ``key`` logged; what a person logged of
        the action by hand (snoozed it, dismissed it) stays, and counts."""

        def log(contacts: tuple[Contact, ...]) -> tuple[Contact, ...]:
            return tuple(c for c in contacts if c.action != key or c.kind != kind)

        if subject == JOURNAL:
            return replace(state, contacts=log(state.contacts))
        # a key names its application: no other application's log has it
        return replace(state, applications=tuple(replace(a, contacts=log(a.contacts)) for a in state.applications))

    @staticmethod
    def _past_hope(action: Action, state: State, now: dt.datetime) -> str | None:
        """Why a parked (or unwanted) action can never be wanted again, or ``None``."""
        if action.expires_at is not None and action.expires_at <= now:
            return f"its window expired at {action.expires_at.isoformat(timespec='minutes')}"
        if action.application is not None:
            application = state.application(action.application)
            if application is None:
                return "the application is no longer in the store"
            if application.status not in ACTIVE_STATUSES:
                return f"the application ended ({application.status})"
        return None

    # -- step 2: new work, one action at a time ----------------------------------------

    def _deliver_due_work(self, subject: str, now: dt.datetime, report: TickReport) -> tuple[State, Any]:
        """Claim one due action, deliver and record it, and again, until none is left;
        returns the last evaluation (which has seen every outcome recorded)."""
        first = True
        lock: str | None = None  # known from the previous round: no load outside the lock again
        while True:
            if lock is None:
                lock = self._lock_name(subject, self._load(subject, now))
            with self.store.locked(lock):
                state = self._load(subject, now)
                if self._lock_name(subject, state) != lock:  # its company changed meanwhile: take the right lock
                    lock = None
                    continue
                agenda = self.engine.evaluate(state, now, **_only(subject))
                if first:
                    for action in agenda.actions:
                        if action.status == "suppressed" and action.application == (None if subject == JOURNAL else subject):
                            self._notify("followup_action_suppressed", action=action)
                    first = False
                claimed = self._claim_next(agenda.actions, subject, state, now)
            if claimed is None:
                return state, agenda
            action, entry = claimed
            report.outcomes.append(self._deliver(action, entry, state, now, subject))

    def _claim_next(self, actions: Iterable[Action], subject: str, state: State, now: dt.datetime) -> tuple[Action, OutboxEntry] | None:
        """Inside the subject's lock: claim the first due action nobody claimed (or take
        up a parked claim of the same message again), or ``None`` when there is none."""
        for action in self._pending(actions, subject):
            existing = self.store.outbox_entry_for(action.identity)
            if existing is not None and existing.status != "parked":
                continue  # delivered, failed, uncertain or under way, maybe under another rule's name
            medium = self._medium(action, state)
            contact = None
            if medium not in TASK_MEDIA:
                contact = Contact(at=now, kind=action.kind, to=action.recipient, interview=action.interview, channel=medium, action=action.key)
            if existing is not None:
                self._usable(existing.channel, existing.key)  # a parked claim keeps the channel it was claimed for
                if contact is not None:
                    contact = replace(contact, action=existing.key)
                if self.store.unpark(existing.key, now=now, lease_until=now + self.lease, action=action_to_dict(action), contact=contact):
                    return action, self._claimed(existing.key)
                continue  # another worker took it up first
            try:
                spec = self.channel_for(action, medium)
                self._channel(spec)
            except FollowupError as exc:
                # a channel whose configuration is wrong stops the run before this application's claims
                raise ChannelUnavailable(str(exc)) from None
            self._notify("followup_action_due", action=action)
            entry = OutboxEntry(
                key=action.key,
                identity=action.identity,
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
            if self.store.claim(entry, contact):
                return action, entry
        return None

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

    def _next_wake(self, subject: str, state: State, agenda: Any, now: dt.datetime) -> dt.datetime | None:
        """When ``subject`` needs looking at again.

        The times its own actions can change status (opening, falling due, a cap
        freeing, expiring) and the times its own log and interviews bring (an
        entry dated ahead, an interview ending, a snooze running out), the same
        sources the engine's ``next_wake_at`` draws on, for this subject only (the
        other applications' wakes are theirs to keep); and the outbox's own times: a
        retry's next attempt, a claim's lease running out, a parked claim's window
        closing.
        """
        own = None if subject == JOURNAL else subject
        times: list[dt.datetime] = []
        for action in agenda.actions:
            if action.application != own or action.status == "done":
                continue
            if action.status == "upcoming":
                times.append(action.opens_at)
            elif action.status == "due":
                times.append(action.due_at)
            # a cap lets go (only a suppressed action has ``frees_at``), its window closes
            times += [t for t in (action.frees_at, action.expires_at) if t is not None]
        if own is None:
            log = state.contacts
        else:
            application = state.application(own)
            log = application.contacts if application is not None else ()
            if application is not None:
                times += [i.ended_at for i in application.interviews if i.ended_at is not None]
        times += [c.at for c in log]  # an entry logged ahead of time comes into effect
        times += [c.until for c in log if c.until is not None]  # a snooze runs out
        for entry in self.store.outbox(("claimed", "retrying", "parked"), application=subject):
            if entry.status == "claimed":
                times += [entry.lease_until] if entry.lease_until is not None else []
            elif entry.status == "retrying":
                times += [entry.next_attempt_at] if entry.next_attempt_at is not None else []
            else:
                expires = entry.action.get("expires_at")
                times += [dt.datetime.fromisoformat(expires)] if expires else []
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

    def _usable(self, name: str, key: str) -> Channel:
        """The channel ``name``, recorded when ``key`` was claimed, ready to use; or
        :class:`ChannelUnavailable`: a claim never moves to another channel silently."""
        spec = self.specs.get(name)
        if spec is None:
            raise ChannelUnavailable(
                f"{key} was claimed for channel {name!r} (recorded at claim time), which no installed plugin provides "
                f"any more (installed: {', '.join(sorted(self.specs)) or 'none'}); it stays pending: install it again, "
                "or settle it with `followup outbox --resolve KEY not-sent` to let it be claimed afresh"
            )
        if not self.config.has_channel_section(name) and name != DEFAULT_CHANNEL and not spec.is_configured({}):
            raise ChannelUnavailable(
                f"{key} was claimed for channel {name!r} (recorded at claim time), but {self.config.where} has no "
                f"[channels.{name}] section any more; it stays pending: restore the section (and activate it), or settle "
                "it with `followup outbox --resolve KEY not-sent` to let it be claimed afresh"
            )
        try:
            return self._channel(spec)
        except FollowupError as exc:
            raise ChannelUnavailable(f"{key} was claimed for channel {name!r} (recorded at claim time), which cannot be set up: {exc}") from None

    def _deliver(self, action: Action, entry: OutboxEntry, state: State, now: dt.datetime, subject: str) -> Outcome:
        """Render, check and hand over one claimed action within the timeout; record what happened."""
        try:
            channel = self._channel(self.specs[entry.channel])  # claimed through it, or found usable again

            def attempt(handing_over: Callable[[], None]) -> tuple[Message, Receipt]:
                try:
                    message, context = self._render(action, state, now)
                except InvalidInput as exc:
                    raise DeliveryError(f"cannot write the message: {exc}", transient=False) from None
                blocked = self._blocks(message, context)
                if blocked:
                    raise DeliveryError(f"blocked by a message check: {blocked}", transient=False)
                handing_over()
                return message, channel.deliver(message)

            try:
                message, receipt = self._courier.run(attempt, self.timeout)
            except _Hung as hung:
                if not hung.handed_over:
                    raise DeliveryError(f"writing and checking the message took longer than {self.timeout:g} s", transient=True) from None
                raise DeliveryError(
                    f"channel {entry.channel!r} did not answer within {self.timeout:g} s", transient=True, maybe_sent=True
                ) from None
            except TimeoutError as exc:  # a channel's own socket timeout, not turned into a DeliveryError
                raise DeliveryError(f"channel {entry.channel!r} timed out: {exc}", transient=True, maybe_sent=True) from None
        except DeliveryError as exc:
            if exc.maybe_sent and not entry.idempotent:
                error = (
                    f"{exc}; channel {entry.channel!r} cannot be asked twice safely and the message may have gone out: "
                    "check, then `followup outbox --resolve KEY sent|not-sent`"
                )
                return self._settle(action, entry, now, subject, "uncertain", error)
            return self._failed(action, entry, now, subject, str(exc), exc.transient)
        except FollowupError as exc:
            return self._settle(action, entry, now, subject, "failed", str(exc))
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
            return self._settle(action, entry, now, subject, "retrying", error)
        if transient:
            error = f"gave up after {entry.attempts} attempts: {error}"
        return self._settle(action, entry, now, subject, "failed", error)

    def _settle(self, action: Action, entry: OutboxEntry, now: dt.datetime, subject: str, status: str, error: str) -> Outcome:
        """The one way a claim ends up anything but delivered: recorded, observers told, reported."""
        if status == "retrying":
            delay = min(self.backoff * (2 ** (entry.attempts - 1)), self.max_backoff)
            self.store.update_outbox(entry.key, status="retrying", now=now, error=error, next_attempt_at=now + delay)
            self._notify("followup_action_failed", action=action, error=error, final=False)
            return Outcome(entry.key, "retrying", entry.channel, f"{error} (attempt {entry.attempts}; next in {delay})", subject)
        self.store.update_outbox(entry.key, status=status, now=now, error=error)
        if status != "parked":  # parked is not an end: it is sent once asked for again
            self._notify("followup_action_failed", action=action, error=error, final=True)
        return Outcome(entry.key, status, entry.channel, error, subject)


def _describe(exc: BaseException) -> str:
    """A subject's failure in one line a person can act on (bounded in length)."""
    text = str(exc) if isinstance(exc, FollowupError) else f"{type(exc).__name__}: {exc}"
    text = " ".join(text.split())
    return text if len(text) <= 500 else text[:497] + "..."
