"""The dispatcher's bookkeeping, one decision at a time: when a subject is looked at
again, which lock a claim is made under, what is loaded for it, what a claim records
in the outbox and the log, and what observers and the report hear of each outcome."""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from followup import Agenda, Contact, Engine, FollowupError, Interview, hookimpl, load_rulebook, load_state
from followup.delivery import Config, DeliveryError, Dispatcher, Message
from followup.delivery._activation import plain
from followup.rules._rulebook import default_rulebook_path
from followup.stores import JOURNAL, OutboxEntry, Store, action_to_dict
from followup.stores.memory import open_memory
from followup.testing.stores import (
    SAMPLE_DUE,
    SAMPLE_NOW,
    SAMPLE_STATE,
    RecordingChannel,
    channel_plugin,
    plugin_manager_with,
    sample_state,
)

MINUTE = dt.timedelta(minutes=1)
ENGINE = Engine()
NOTE = "thank-you-note:acme:onsite:sam"
OFFER = "leverage-offer:acme:20261125T1500Z"


def at(minutes: float) -> dt.datetime:
    return SAMPLE_NOW + dt.timedelta(minutes=minutes)


@pytest.fixture
def store() -> Iterator[Store]:
    store = open_memory("memory:")
    store.import_state(sample_state())
    yield store
    store.close()


def dispatcher(store: Store, channel: Any, *plugins: object, engine: Engine = ENGINE, **options: Any) -> Dispatcher:
    pm = plugin_manager_with(channel_plugin(channel), *plugins)
    return Dispatcher(store, engine=engine, config=options.pop("config", Config()), plugin_manager=pm, **options)


def engine_with_caps(per: str) -> Engine:
    """The default rules with every cap counting ``per`` (application, company or everything)."""
    document = yaml.safe_load(Path(default_rulebook_path()).read_text(encoding="utf-8"))
    document["caps"] = [{**cap, "per": per} for cap in document["caps"]]
    return Engine(load_rulebook(document))


# -- the defaults -------------------------------------------------------------------------


def test_a_dispatcher_left_to_its_defaults(store: Store, monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """Fifty subjects a tick, five attempts, thirty seconds a delivery, the user's
    configuration and the process's plugins, and a worker name unique to the process."""
    from followup.plugins import get_plugin_manager

    (tmp_path / "config.toml").write_text('[sender]\nemail = "robin@work.example"\n', encoding="utf-8")
    monkeypatch.setenv("FOLLOWUP_CONFIG", str(tmp_path / "config.toml"))
    worker = Dispatcher(store, engine=ENGINE)
    assert (worker.batch, worker.max_attempts, worker.timeout) == (50, 5, 30.0)
    assert worker.backoff == MINUTE and worker.max_backoff == dt.timedelta(hours=6)
    assert isinstance(worker.config, Config) and worker.config.data["sender"] == {"email": "robin@work.example"}
    assert worker.pm is get_plugin_manager()
    host, pid, tag = worker.worker.split(":")
    assert host and pid.isdigit() and len(tag) == 6 and int(tag, 16) >= 0
    assert Dispatcher(store, engine=ENGINE).worker != worker.worker


# -- when a subject is looked at again ------------------------------------------------------

TEMPLATE = ENGINE.evaluate(sample_state(), SAMPLE_NOW).get(NOTE)
assert TEMPLATE is not None


def act(status: str, application: str | None = "acme", **fields: Any) -> Any:
    """An action of ``application`` in ``status`` whose times all lie in the past unless given."""
    times: dict[str, Any] = {"opens_at": at(-60), "due_at": at(-30), "expires_at": None, "frees_at": None, **fields}
    return replace(TEMPLATE, status=status, application=application, reason="a test", **times)  # type: ignore[arg-type]


def wake(worker: Dispatcher, subject: str, actions: Any = (), state: Any = None) -> dt.datetime | None:
    state = state if state is not None else worker.store.load_state()
    return worker._next_wake(subject, state, Agenda(SAMPLE_NOW, tuple(actions), None), SAMPLE_NOW)


def test_a_subject_wakes_when_one_of_its_own_actions_can_change(store: Store) -> None:
    worker = dispatcher(store, RecordingChannel())
    assert wake(worker, "acme") is None  # nothing of acme's lies ahead
    assert wake(worker, "acme", [act("upcoming", opens_at=at(5), due_at=at(50))]) == at(5)  # it opens
    assert wake(worker, "acme", [act("due", due_at=at(7))]) == at(7)  # it falls overdue
    assert wake(worker, "acme", [act("suppressed", frees_at=at(9))]) == at(9)  # its cap lets go
    assert wake(worker, "acme", [act("overdue", expires_at=at(11))]) == at(11)  # its window closes
    assert wake(worker, "acme", [act("suppressed", expires_at=at(12))]) == at(12)  # a cap freeing at no set time
    assert wake(worker, "acme", [act("upcoming", opens_at=at(-5))]) is None  # the past wakes nobody
    # a done action changes no more; another application's actions are its own to wake
    assert wake(worker, "acme", [act("done", expires_at=at(3)), act("upcoming", opens_at=at(20))]) == at(20)
    assert wake(worker, "acme", [act("upcoming", application="initech", opens_at=at(2)), act("due", due_at=at(13))]) == at(13)
    assert wake(worker, "initech", [act("upcoming", application="initech", opens_at=at(2)), act("due", due_at=at(13))]) == at(2)


def test_the_candidates_log_wakes_for_the_candidates_own_tasks(store: Store) -> None:
    worker = dispatcher(store, RecordingChannel())
    task = act("upcoming", application=None, opens_at=at(4))
    assert wake(worker, JOURNAL, [task, act("upcoming", opens_at=at(1))]) == at(4)
    assert wake(worker, "acme", [task, act("upcoming", opens_at=at(6))]) == at(6)


def test_what_the_log_and_the_interviews_bring_wakes_their_own_subject_only(store: Store) -> None:
    worker = dispatcher(store, RecordingChannel())
    state = store.load_state()
    acme = state.application("acme")
    assert acme is not None
    ahead = replace(acme, contacts=(*acme.contacts, Contact(at=at(30), kind="status_call")))
    snoozed = replace(acme, contacts=(*acme.contacts, Contact(at=at(-10), kind="snoozed", action=NOTE, until=at(40))))
    final = Interview(id="final", starts_at=at(50), ended_at=at(70))
    booked = replace(acme, interviews=(*acme.interviews, final))
    unbooked = replace(acme, interviews=(*acme.interviews, replace(final, ended_at=None)))

    def with_acme(application: Any) -> Any:
        return replace(state, applications=tuple(application if a.id == "acme" else a for a in state.applications))

    assert wake(worker, "acme", state=with_acme(ahead)) == at(30)  # an entry dated ahead comes into effect
    assert wake(worker, "acme", state=with_acme(snoozed)) == at(40)  # a snooze runs out
    assert wake(worker, "acme", state=with_acme(booked)) == at(70)  # an interview ends
    assert wake(worker, "acme", state=with_acme(unbooked)) is None  # an interview with no end brings no time
    assert wake(worker, "initech", state=with_acme(ahead)) is None and wake(worker, JOURNAL, state=with_acme(booked)) is None
    journal = replace(state, contacts=(Contact(at=at(25), kind="note"),))
    assert wake(worker, JOURNAL, state=journal) == at(25) and wake(worker, "acme", state=journal) is None
    assert wake(worker, "gone", [act("upcoming", application="gone", opens_at=at(8))]) == at(8)  # not in the store any more


def _outbox(store: Store, key: str, status: str, *, lease_until: dt.datetime | None = None, **changes: Any) -> None:
    """An outbox entry for the action ``key`` (as evaluated at SAMPLE_NOW), moved on to ``status``."""
    action = ENGINE.evaluate(store.load_state(), SAMPLE_NOW).get(key)
    assert action is not None and action.application is not None
    entry = OutboxEntry(key=key, identity=action.identity, application=action.application, status="claimed", attempts=1,
                        channel="console", idempotent=True, claimed_at=SAMPLE_NOW, updated_at=SAMPLE_NOW,
                        action=plain(action.to_dict()), lease_until=lease_until)  # fmt: skip
    assert store.claim(entry, None)
    if status != "claimed":
        store.update_outbox(key, status=status, now=SAMPLE_NOW, error="421 try later", **changes)


def test_the_outbox_wakes_a_subject_for_a_retry_a_lease_and_a_parked_window(store: Store) -> None:
    worker = dispatcher(store, RecordingChannel())
    _outbox(store, NOTE, "claimed", lease_until=at(7))
    assert wake(worker, "acme") == at(7)  # the claim's lease runs out
    assert wake(worker, "acme", [act("upcoming", opens_at=at(3))]) == at(3)  # the earlier of the two
    store.update_outbox(NOTE, status="retrying", now=SAMPLE_NOW, error="421 try later", next_attempt_at=at(8))
    assert wake(worker, "acme") == at(8)  # its next attempt
    assert wake(worker, "acme", [act("upcoming", opens_at=at(4))]) == at(4)
    assert wake(worker, "initech") is None  # acme's outbox is acme's
    store.update_outbox(NOTE, status="delivered", now=SAMPLE_NOW, receipt={"channel": "console", "reference": None, "detail": ""})
    _outbox(store, OFFER, "parked")
    offer = ENGINE.evaluate(store.load_state(), SAMPLE_NOW).get(OFFER)
    assert offer is not None and offer.expires_at is not None
    assert wake(worker, "acme") == offer.expires_at  # a parked claim's window closes
    assert wake(worker, "acme", [act("upcoming", opens_at=at(5))]) == at(5)
    store.update_outbox(OFFER, status="failed", now=SAMPLE_NOW, error="dropped")
    assert wake(worker, "acme") is None  # what is settled wakes nobody


def test_an_outbox_entry_with_no_time_of_its_own_adds_none(store: Store) -> None:
    worker = dispatcher(store, RecordingChannel())
    _outbox(store, NOTE, "claimed", lease_until=None)  # a claim recorded without a lease
    _outbox(store, "alert-references:acme::ref-a", "retrying", next_attempt_at=None)
    assert wake(worker, "acme") is None
    assert wake(worker, "acme", [act("upcoming", opens_at=at(6))]) == at(6)
    store.update_outbox(NOTE, status="parked", now=SAMPLE_NOW, error="parked")  # the note's window never closes
    assert wake(worker, "acme", [act("upcoming", opens_at=at(6))]) == at(6)


# -- which lock a claim is made under ---------------------------------------------------------


def test_the_lock_of_a_claim_is_as_wide_as_its_caps_count(store: Store) -> None:
    state = store.load_state()
    by_company = dispatcher(store, RecordingChannel())  # the default rules space out calls to one company
    assert by_company._lock_name("acme", state) == "*company*:acme"
    assert by_company._lock_name("gone", state) == "gone"  # no company known: its own lock
    assert by_company._lock_name(JOURNAL, state) == JOURNAL
    renamed = replace(state, applications=tuple(replace(a, company="ACME Works") for a in state.applications))
    assert by_company._lock_name("acme", renamed) == "*company*:acme works"
    alone = dispatcher(store, RecordingChannel(), engine=engine_with_caps("application"))
    assert (alone._lock_name("acme", state), alone._lock_name(JOURNAL, state)) == ("acme", JOURNAL)
    everyone = dispatcher(store, RecordingChannel(), engine=engine_with_caps("everything"))
    assert (everyone._lock_name("acme", state), everyone._lock_name(JOURNAL, state)) == ("*everything*", "*everything*")


class _Locks:
    """``store.locked`` watched: the names taken, in order; ``before`` runs once, before the
    first lock named ``on`` is taken (another worker, a moment earlier)."""

    def __init__(self, store: Store, before: Any = None, on: str = "*company*:acme") -> None:
        self.names: list[str] = []
        self.before, self.on = before, on
        self.original = store.locked
        store.locked = self.locked  # type: ignore[method-assign]

    @contextlib.contextmanager
    def locked(self, subject: str) -> Iterator[None]:
        if self.before is not None and subject == self.on:
            self.before()
            self.before = None
        self.names.append(subject)
        with self.original(subject):
            yield


def test_new_work_and_retries_are_claimed_under_the_companys_lock(store: Store) -> None:
    down = RecordingChannel(fail=lambda m: DeliveryError("421 try later", transient=True))
    locks = _Locks(store)
    dispatcher(store, down, backoff=MINUTE).run_once(SAMPLE_NOW)
    assert set(locks.names) == {"*company*:acme", "*company*:initech", "*company*:globex", JOURNAL}
    locks.names.clear()
    dispatcher(store, RecordingChannel()).run_once(SAMPLE_NOW + MINUTE)
    assert set(locks.names) == {"*company*:acme", "*company*:initech"}  # the two with retries due
    # each retry of acme's three, then the last look for new work (nothing left)
    assert locks.names.count("*company*:acme") == 4


def test_a_company_renamed_while_the_lock_is_taken_is_claimed_under_its_new_name(store: Store) -> None:
    document = copy.deepcopy(SAMPLE_STATE)
    document["applications"][0]["company"] = "Acme Works"
    locks = _Locks(store, before=lambda: store.import_state(load_state(document)))
    worker = dispatcher(store, channel := RecordingChannel())
    report = worker.tick(SAMPLE_NOW)
    assert [name for name in locks.names if "acme" in name][:2] == ["*company*:acme", "*company*:acme works"]  # the first was the wrong one: taken again
    assert sorted(channel.keys) == sorted(report.delivered) == sorted(SAMPLE_DUE)


# -- what is loaded for a subject -------------------------------------------------------------


class _Loads:
    """``store.load_state`` watched: the arguments of each call."""

    def __init__(self, store: Store) -> None:
        self.calls: list[tuple[Any, dict[str, Any]]] = []
        original = store.load_state

        def load(applications: Any = None, **options: Any) -> Any:
            self.calls.append((applications, options))
            return original(applications, **options)

        store.load_state = load  # type: ignore[method-assign]


def test_a_subject_loads_its_companys_applications_as_they_stood_then(store: Store) -> None:
    worker = dispatcher(store, RecordingChannel())
    loads = _Loads(store)
    worker._load("acme", SAMPLE_NOW)
    worker._load(JOURNAL, SAMPLE_NOW)
    assert loads.calls == [(["acme"], {"heads": "offers", "as_of": SAMPLE_NOW}), ([], {"heads": "all"})]
    alone = dispatcher(store, RecordingChannel(), engine=engine_with_caps("application"))
    everyone = dispatcher(store, RecordingChannel(), engine=engine_with_caps("everything"))
    loads.calls.clear()
    alone._load("gone", SAMPLE_NOW)
    everyone._load("acme", SAMPLE_NOW)
    everyone._load(JOURNAL, SAMPLE_NOW)
    assert loads.calls == [(["gone"], {"heads": "offers", "as_of": SAMPLE_NOW}), (None, {}), ([], {"heads": "all"})]


def test_an_accepted_offer_loads_every_application(store: Store) -> None:
    """Thanking the references reads who was told of which application."""
    store.set_status("globex", "accepted", SAMPLE_NOW - MINUTE)
    worker = dispatcher(store, RecordingChannel())
    loads = _Loads(store)
    state = worker._load("globex", SAMPLE_NOW)
    assert [call[0] for call in loads.calls] == [["globex"], None]
    assert {a.id for a in state.applications} == {"acme", "globex", "initech"}
    loads.calls.clear()
    worker._load("acme", SAMPLE_NOW)
    assert [call[0] for call in loads.calls] == [["acme"]]


def test_every_tick_loads_with_its_own_instant(store: Store) -> None:
    down = RecordingChannel(fail=lambda m: DeliveryError("421 try later", transient=True))
    dispatcher(store, down, backoff=MINUTE).run_once(SAMPLE_NOW)
    loads = _Loads(store)
    dispatcher(store, RecordingChannel()).run_once(at(1))
    instants = {options.get("as_of") for _, options in loads.calls if options.get("heads") == "offers"}
    assert instants == {at(1)}


# -- what a claim records ------------------------------------------------------------------


def _peek(store: Store, seen: dict[str, Any]) -> Any:
    """A ``fail`` for a RecordingChannel that notes each message's outbox entry as it goes out, then delivers."""

    def look(message: Message) -> None:
        assert message.action is not None
        seen[message.key] = store.outbox_entry_for(message.action.identity)

    return look


def test_a_new_claim_records_what_it_is_and_how_long_it_is_held(store: Store) -> None:
    seen: dict[str, Any] = {}
    dispatcher(store, RecordingChannel(fail=_peek(store, seen)), lease=dt.timedelta(minutes=7)).run_once(SAMPLE_NOW)
    assert TEMPLATE is not None
    entry = seen[NOTE]
    assert (entry.status, entry.attempts, entry.identity, entry.application, entry.channel, entry.idempotent) == (
        "claimed", 1, TEMPLATE.identity, "acme", "console", True,
    )  # fmt: skip
    assert (entry.claimed_at, entry.lease_until, entry.action) == (SAMPLE_NOW, at(7), action_to_dict(TEMPLATE))
    delivered = store.outbox_entry_for(TEMPLATE.identity)
    assert delivered is not None and (delivered.key, delivered.status) == (NOTE, "delivered")


def test_a_retry_is_claimed_again_with_its_error_and_a_new_lease(store: Store) -> None:
    down = RecordingChannel(fail=lambda m: DeliveryError("421 try later", transient=True))
    dispatcher(store, down, backoff=MINUTE).run_once(SAMPLE_NOW)
    seen: dict[str, Any] = {}

    def look_then_fail(message: Message) -> DeliveryError:
        seen[message.key] = store.outbox_entry(message.key)
        return DeliveryError("421 still later", transient=True)

    report = dispatcher(store, RecordingChannel(fail=look_then_fail), backoff=MINUTE, lease=dt.timedelta(minutes=7)).run_once(at(1))
    entry = seen[NOTE]
    assert (entry.status, entry.attempts, entry.error, entry.lease_until) == ("claimed", 2, "421 try later", at(8))
    assert [o.detail for o in report.outcomes if o.key == NOTE] == ["421 still later (attempt 2; next in 0:02:00)"]


OLD_NAME = "thanks-interviewer:acme:onsite:sam"


def _parked_under_an_old_name(store: Store) -> str:
    """The note to sam, claimed an hour ago under a rule's old name and parked since; its key."""
    assert TEMPLATE is not None
    older = plain({**TEMPLATE.to_dict(), "key": OLD_NAME, "rule": "thanks-interviewer", "expires_at": None})
    entry = OutboxEntry(key=OLD_NAME, identity=TEMPLATE.identity, application="acme", status="claimed", attempts=1, channel="console",
                        idempotent=True, claimed_at=at(-60), updated_at=at(-60), action=older, lease_until=at(-55))  # fmt: skip
    assert store.claim(entry, None)
    store.update_outbox(OLD_NAME, status="parked", now=at(-50), error="parked: the active rulebook no longer asks for it")
    return OLD_NAME


def test_a_parked_claim_taken_up_again_keeps_its_key_and_records_the_action_asking_now(store: Store) -> None:
    """A claim made under a rule's old name, parked, is taken up by the rule asking for the
    same message now: the outbox and the log keep the claim's key, the action is the new one."""
    assert TEMPLATE is not None
    old = _parked_under_an_old_name(store)
    seen: dict[str, Any] = {}
    report = dispatcher(store, RecordingChannel(fail=_peek(store, seen)), lease=dt.timedelta(minutes=7)).run_once(SAMPLE_NOW)
    assert [key for key in report.delivered if "sam" in key] == [old] and NOTE not in report.delivered
    taken = seen[NOTE]  # the message is the action's; its outbox entry the claim's
    assert taken.key == old
    assert (taken.status, taken.attempts, taken.lease_until, taken.action) == ("claimed", 2, at(7), action_to_dict(TEMPLATE))
    acme = store.load_state().application("acme")
    assert acme is not None
    assert [(c.at, c.kind, c.to, c.channel) for c in acme.contacts if c.action == old] == [(SAMPLE_NOW, "thank_you_note", "sam", "email")]
    assert not [c for c in acme.contacts if c.action == NOTE]


def test_a_parked_claim_another_worker_took_up_first_is_left_to_it(store: Store) -> None:
    _outbox(store, NOTE, "parked")
    original = store.unpark

    def raced(key: str, **options: Any) -> bool:
        assert original(key, **options)  # the other worker, a moment earlier
        return original(key, **options)  # ours: no longer parked

    store.unpark = raced  # type: ignore[method-assign]
    channel = RecordingChannel()
    report = dispatcher(store, channel).run_once(SAMPLE_NOW)
    assert NOTE not in channel.keys and NOTE not in {o.key for o in report.outcomes}
    assert sorted(channel.keys) == sorted(SAMPLE_DUE - {NOTE})  # the actions after it still go


def test_a_retry_another_worker_moved_on_is_left_to_it(store: Store) -> None:
    down = RecordingChannel(fail=lambda m: DeliveryError("421 try later", transient=True))
    dispatcher(store, down, backoff=MINUTE).run_once(SAMPLE_NOW)
    receipt = {"channel": "console", "reference": None, "detail": "by the other worker"}
    _Locks(store, before=lambda: store.update_outbox(NOTE, status="delivered", now=at(1), receipt=receipt))
    channel = RecordingChannel()
    report = dispatcher(store, channel).run_once(at(1))
    assert NOTE not in channel.keys and NOTE not in {o.key for o in report.outcomes}
    assert sorted(channel.keys) == sorted(SAMPLE_DUE - {NOTE})
    entry = store.outbox_entry(NOTE)
    assert entry is not None and entry.receipt == receipt


def test_a_claim_that_killed_its_worker_every_time_is_given_up_with_the_reason(store: Store) -> None:
    _outbox(store, NOTE, "claimed", lease_until=at(-1))
    store.update_outbox(NOTE, status="claimed", now=SAMPLE_NOW, attempts=5, lease_until=at(-1))
    told = _Told()
    report = dispatcher(store, RecordingChannel(), told).run_once(SAMPLE_NOW)
    (outcome,) = [o for o in report.outcomes if o.key == NOTE]
    assert (outcome.result, outcome.detail, outcome.subject) == ("failed", "gave up after 5 attempts: the dispatcher stopped during each one", "acme")
    assert ("failed", NOTE, True) in told.seen


# -- who hears of each outcome ----------------------------------------------------------------


class _Told:
    """What observers are told: (event, action key, final or receipt or error)."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, Any]] = []
        self.errors: list[tuple[str, str]] = []
        self.receipts: list[Any] = []

    @hookimpl
    def followup_action_delivered(self, action: Any, receipt: Any) -> None:
        self.seen.append(("delivered", action.key, None))
        self.receipts.append(receipt)

    @hookimpl
    def followup_action_failed(self, action: Any, error: str, final: bool) -> None:
        self.seen.append(("failed", action.key, final))
        self.errors.append((action.key, error))


@pytest.mark.parametrize(
    ("raised", "result", "detail"),
    [
        (DeliveryError("connection dropped after DATA", transient=True, maybe_sent=True), "uncertain",
         "connection dropped after DATA; channel 'console' cannot be asked twice safely and the message may have gone out: "
         "check, then `followup outbox --resolve KEY sent|not-sent`"),
        (DeliveryError("421 try later", transient=True), "retrying", "421 try later (attempt 1; next in 0:01:00)"),
        (DeliveryError("550 no such mailbox", transient=False), "failed", "550 no such mailbox"),
        (ValueError("a plugin's bug"), "retrying", "ValueError: a plugin's bug (attempt 1; next in 0:01:00)"),
    ],
)  # fmt: skip
def test_each_failure_names_its_subject_channel_and_action(store: Store, raised: Exception, result: str, detail: str) -> None:
    told = _Told()
    channel = RecordingChannel(fail=lambda m: raised if m.key == NOTE else None)
    pm = plugin_manager_with(channel_plugin(channel, idempotent=False), told)
    report = Dispatcher(store, engine=ENGINE, config=Config(), plugin_manager=pm, backoff=MINUTE).run_once(SAMPLE_NOW)
    (outcome,) = [o for o in report.outcomes if o.key == NOTE]
    assert (outcome.result, outcome.channel, outcome.subject, outcome.detail) == (result, "console", "acme", detail)
    assert ("failed", NOTE, result != "retrying") in told.seen
    assert (NOTE, detail.split(" (attempt")[0]) in told.errors


def test_a_followup_error_from_a_channel_fails_for_good_and_says_so(store: Store) -> None:
    told = _Told()
    channel = RecordingChannel(fail=lambda m: FollowupError("no postal address for sam") if m.key == NOTE else None)  # type: ignore[arg-type,return-value]
    report = dispatcher(store, channel, told, backoff=MINUTE).run_once(SAMPLE_NOW)
    (outcome,) = [o for o in report.outcomes if o.key == NOTE]
    assert (outcome.result, outcome.subject, outcome.detail) == ("failed", "acme", "no postal address for sam")
    assert ("failed", NOTE, True) in told.seen


def test_a_delivery_tells_observers_the_receipt_and_reports_the_message(store: Store) -> None:
    told = _Told()
    channel = RecordingChannel()
    report = dispatcher(store, channel, told).run_once(SAMPLE_NOW)
    (outcome,) = [o for o in report.outcomes if o.key == NOTE]
    assert outcome.message is not None and outcome.message.key == NOTE
    assert outcome.message in channel.delivered
    receipt = told.receipts[told.seen.index(("delivered", NOTE, None))]
    assert receipt is not None and receipt.channel == "recorder"
    entry = store.outbox_entry(NOTE)
    assert entry is not None and entry.receipt == {"channel": receipt.channel, "reference": receipt.reference, "detail": receipt.detail}


def test_a_parked_claim_is_not_an_end_and_observers_are_not_told_of_it(store: Store) -> None:
    down = RecordingChannel(fail=lambda m: DeliveryError("421 try later", transient=True))
    dispatcher(store, down, backoff=MINUTE).run_once(SAMPLE_NOW)
    without_notes = Engine(load_rulebook({"extends": "default", "rules": [{"id": "thank-you-note", "enabled": False}]}))
    told = _Told()
    report = dispatcher(store, RecordingChannel(), told, engine=without_notes).run_once(at(1))
    assert [(o.result, o.subject) for o in report.outcomes if o.key == NOTE] == [("parked", "acme")]
    assert not [event for event in told.seen if event[1] == NOTE]


def test_a_retry_now_snoozed_is_parked_with_its_status_and_reason(store: Store) -> None:
    down = RecordingChannel(fail=lambda m: DeliveryError("421 try later", transient=True))
    dispatcher(store, down, backoff=MINUTE).run_once(SAMPLE_NOW)
    store.record_contact("acme", Contact(at=at(0.5), kind="snoozed", action=NOTE, until=at(600)))
    report = dispatcher(store, RecordingChannel()).run_once(at(1))
    (outcome,) = [o for o in report.outcomes if o.key == NOTE]
    assert outcome.result == "parked" and outcome.detail.startswith("parked: upcoming: "), outcome.detail


# -- the message ---------------------------------------------------------------------------


def test_a_message_is_written_for_the_instant_of_the_run_with_the_users_settings(store: Store) -> None:
    """A letter is dated the day it goes out (not the day it fell due), from the sender the
    configuration names, in the medium the employer prefers."""
    document = copy.deepcopy(SAMPLE_STATE)
    document["applications"][0]["preferred_medium"] = "postal"
    for person in document["applications"][0]["interviews"][0]["interviewers"]:
        person["postal_address"] = "Acme, 2 Short Lane, Hamburg"
    store.import_state(load_state(document))
    later = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
    config = Config(data={"sender": {"email": "robin@work.example", "postal_address": "1 Long Road, Berlin"}})
    channel = RecordingChannel()
    worker = dispatcher(store, channel, config=config)
    preview = {o.key: o.message for o in worker.dry_run(later).outcomes}
    worker.run_once(later)
    (letter,) = [m for m in channel.delivered if m.key == NOTE]
    assert letter.medium == "postal" and letter.html is not None
    assert "30 November 2026" in letter.html and "27 November" not in letter.html
    assert (letter.sender.email, letter.sender.postal_address) == ("robin@work.example", "1 Long Road, Berlin")
    assert preview[NOTE] is not None and preview[NOTE].html == letter.html


def test_a_kind_no_renderer_writes_fails_for_good_with_its_name(store: Store) -> None:
    pm = plugin_manager_with(channel_plugin(channel := RecordingChannel()))
    pm.unregister(name=next(name for name, plugin in pm.list_name_plugin() if name.endswith("messages")))
    report = Dispatcher(store, engine=ENGINE, config=Config(), plugin_manager=pm).run_once(SAMPLE_NOW)
    (outcome,) = [o for o in report.outcomes if o.key == NOTE]
    assert (outcome.result, outcome.detail) == ("failed", "no installed renderer writes messages of kind 'thank_you_note'")
    assert channel.attempts == 0


def test_a_rule_naming_a_channel_sends_through_it(store: Store) -> None:
    from followup.delivery import MEDIA, ChannelSpec

    pigeon = RecordingChannel()
    spec = ChannelSpec(name="pigeon", media=MEDIA, idempotent=True, description="test channel", build=lambda settings: pigeon)

    class Loft:
        @hookimpl
        def followup_register_channels(self, register: Any) -> None:
            register(spec)

    by_pigeon = Engine(load_rulebook({"extends": "default", "rules": [{"id": "thank-you-note", "channel": "pigeon"}]}))
    console = RecordingChannel()
    config = Config(data={"channels": {"pigeon": {}}})
    report = dispatcher(store, console, Loft(), engine=by_pigeon, config=config).run_once(SAMPLE_NOW)
    assert pigeon.keys == [NOTE] and NOTE not in console.keys
    assert [o.channel for o in report.outcomes if o.key == NOTE] == ["pigeon"]
    assert sorted(console.keys) == sorted(SAMPLE_DUE - {NOTE})


def test_a_renamed_claim_taken_up_again_and_failing_is_retried_not_taken_for_done(store: Store) -> None:
    """After a parked claim under a rule's old name is taken up by the new rule, its own
    contact is logged under the claim's key: weighing its retry must set exactly that
    contact aside, or the note would count as written and never go."""
    old = _parked_under_an_old_name(store)
    down = RecordingChannel(fail=lambda m: DeliveryError("421 try later", transient=True) if m.key == NOTE else None)
    first = dispatcher(store, down, backoff=MINUTE).run_once(SAMPLE_NOW)
    assert [(o.key, o.result) for o in first.outcomes if o.key in (old, NOTE)] == [(old, "retrying")]
    up = RecordingChannel()
    second = dispatcher(store, up).run_once(at(2))  # its second attempt failed: the next is two minutes on
    assert [(o.key, o.result) for o in second.outcomes] == [(old, "delivered")] and up.keys == [NOTE]


def test_a_retry_of_the_candidates_own_task_goes_out_without_being_parked_first(store: Store) -> None:
    store.set_status("initech", "withdrawn", SAMPLE_NOW - dt.timedelta(hours=1))
    down = RecordingChannel(fail=lambda m: DeliveryError("421 try later", transient=True))
    first = dispatcher(store, down, backoff=MINUTE).run_once(SAMPLE_NOW)
    own = sorted(o.key for o in first.outcomes if o.subject == JOURNAL)
    assert own
    report = dispatcher(store, RecordingChannel()).run_once(at(1))
    assert sorted((o.key, o.result) for o in report.outcomes if o.subject == JOURNAL) == [(key, "delivered") for key in own]


def test_a_tick_evaluates_each_subject_for_its_own_actions_only(store: Store) -> None:
    """The other applications are facts for the caps, not work: evaluating their actions too
    would cost a tick the whole store's worth of rules for every subject."""
    asked: list[dict[str, Any]] = []

    class Watched(Engine):
        def evaluate(self, state: Any, now: Any, **scope: Any) -> Any:
            asked.append(scope)
            return super().evaluate(state, now, **scope)

    def own(subject: str) -> dict[str, Any]:
        return {"applications": (), "candidate": True} if subject == JOURNAL else {"applications": (subject,), "candidate": False}

    engine = Watched(ENGINE.rulebook)
    dispatcher(store, RecordingChannel(), engine=engine).dry_run(SAMPLE_NOW)
    assert asked == [own(subject) for subject in (JOURNAL, "acme", "globex", "initech")]
    down = RecordingChannel(fail=lambda m: DeliveryError("421 try later", transient=True))
    dispatcher(store, down, engine=engine, backoff=MINUTE).run_once(SAMPLE_NOW)
    asked.clear()
    dispatcher(store, RecordingChannel(), engine=engine).run_once(at(1))  # retries: each weighed on its own subject
    assert asked and all(scope in (own("acme"), own("initech")) for scope in asked)
    assert own("acme") in asked and own("initech") in asked


def test_a_worker_holds_its_subjects_in_its_own_name(tmp_path: Any) -> None:
    import sqlite3

    from followup import open_store

    path = tmp_path / "followup.sqlite3"
    store = open_store(f"sqlite:///{path}")
    store.import_state(sample_state())
    holders: set[Any] = set()

    def look(message: Message) -> None:
        with contextlib.closing(sqlite3.connect(path)) as db:
            holders.update(db.execute("SELECT leased_by FROM followup_schedule WHERE subject = ?", (message.action.application,)))  # type: ignore[union-attr]

    dispatcher(store, RecordingChannel(fail=look), worker="worker-7").run_once(SAMPLE_NOW)
    store.close()
    assert holders == {("worker-7",)}


def test_an_interrupted_tick_hands_back_the_rest_even_when_one_release_fails(store: Store) -> None:
    worker = dispatcher(store, RecordingChannel())
    original_load, original_release = worker._load, store.release

    def load(subject: str, now: dt.datetime) -> Any:
        if subject == "acme":
            raise KeyboardInterrupt
        return original_load(subject, now)

    def release(subject: str, wake: Any, **options: Any) -> None:
        if subject == "acme":
            raise ConnectionError("the database went away for a moment")
        original_release(subject, wake, **options)

    worker._load = load  # type: ignore[method-assign]
    store.release = release  # type: ignore[method-assign,assignment]
    with pytest.raises(KeyboardInterrupt):
        worker.tick(SAMPLE_NOW)
    store.release = original_release  # type: ignore[method-assign]
    assert set(store.peek_due(SAMPLE_NOW, limit=100)) >= {"globex", "initech"}


def test_what_never_comes_back_is_said_in_words(store: Store) -> None:
    assert TEMPLATE is not None
    state = store.load_state()
    without = replace(state, applications=tuple(a for a in state.applications if a.id != "acme"))
    assert Dispatcher._past_hope(TEMPLATE, without, SAMPLE_NOW) == "the application is no longer in the store"
    ended = replace(state, applications=tuple(replace(a, status="rejected") if a.id == "acme" else a for a in state.applications))
    assert Dispatcher._past_hope(TEMPLATE, ended, SAMPLE_NOW) == "the application ended (rejected)"


def _bare_plugin_manager(*plugins: object) -> Any:
    """The built-ins without a single channel, and ``plugins``."""
    pm = plugin_manager_with(*plugins)
    for name, _plugin in list(pm.list_name_plugin()):
        if name == "followup.delivery.channels" or name.startswith("followup.delivery.channels."):
            pm.unregister(name=name)
    return pm


def _for_the_pigeon(store: Store, status: str) -> None:
    """The note claimed for the channel ``pigeon``, now ``status`` (a retry is due at once)."""
    _outbox(store, NOTE, "claimed", lease_until=at(-1))
    entry = store.outbox_entry(NOTE)
    assert entry is not None and store.forget(NOTE)
    assert store.claim(replace(entry, channel="pigeon"), None)
    store.update_outbox(NOTE, status=status, now=SAMPLE_NOW, error="421 try later", next_attempt_at=SAMPLE_NOW)


def test_a_claim_whose_channel_is_gone_stays_pending_and_names_itself(store: Store) -> None:
    from followup.delivery import ChannelUnavailable

    _for_the_pigeon(store, "retrying")
    with pytest.raises(ChannelUnavailable) as caught:
        Dispatcher(store, engine=ENGINE, config=Config(), plugin_manager=_bare_plugin_manager()).run_once(SAMPLE_NOW)
    assert str(caught.value) == (
        f"{NOTE} was claimed for channel 'pigeon' (recorded at claim time), which no installed plugin provides any more "
        "(installed: none); it stays pending: install it again, or settle it with `followup outbox --resolve KEY not-sent` "
        "to let it be claimed afresh"
    )
    store.update_outbox(NOTE, status="parked", now=SAMPLE_NOW, error="parked")  # and a parked one, asked for again
    with pytest.raises(ChannelUnavailable) as parked:
        dispatcher(store, RecordingChannel()).run_once(SAMPLE_NOW)
    assert str(parked.value).startswith(f"{NOTE} was claimed for channel 'pigeon' (recorded at claim time), which no installed")
    entry = store.outbox_entry(NOTE)
    assert entry is not None and entry.status == "parked"


def test_a_claims_channel_that_lost_its_settings_or_cannot_be_set_up_is_named(store: Store) -> None:
    from followup.delivery import MEDIA, ChannelSpec, ChannelUnavailable

    _for_the_pigeon(store, "retrying")

    def broken(settings: Any) -> Any:
        raise FollowupError("the loft has no roof")

    spec = ChannelSpec(name="pigeon", media=MEDIA, idempotent=True, description="test channel", build=broken,
                       is_configured=lambda settings: "loft" in settings)  # fmt: skip

    class Loft:
        @hookimpl
        def followup_register_channels(self, register: Any) -> None:
            register(spec)

    config = Config(data={"channels": {"pigeon": {"loft": "roof"}}})
    with pytest.raises(ChannelUnavailable) as caught:
        Dispatcher(store, engine=ENGINE, config=config, plugin_manager=_bare_plugin_manager(Loft())).run_once(SAMPLE_NOW)
    assert str(caught.value) == (
        f"{NOTE} was claimed for channel 'pigeon' (recorded at claim time), which cannot be set up: the loft has no roof"
    )
    with pytest.raises(ChannelUnavailable) as unset:
        Dispatcher(store, engine=ENGINE, config=Config(), plugin_manager=_bare_plugin_manager(Loft())).run_once(SAMPLE_NOW)
    assert str(unset.value) == (
        f"{NOTE} was claimed for channel 'pigeon' (recorded at claim time), but {Config().where} has no [channels.pigeon] "
        "section any more; it stays pending: restore the section (and activate it), or settle it with "
        "`followup outbox --resolve KEY not-sent` to let it be claimed afresh"
    )
