"""The dispatcher: retries and backoff, permanent failures, hanging channels, dry runs,
message checks, lifecycle events and task reminders, on a real in-memory store."""

from __future__ import annotations

import copy
import datetime as dt
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from followup import Engine, hookimpl, load_state
from followup.delivery import Block, Config, DeliveryError, Dispatcher, Message
from followup.stores import Store
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


@pytest.fixture
def store() -> Iterator[Store]:
    store = open_memory("memory:")
    store.import_state(sample_state())
    yield store
    store.close()


def dispatcher(store: Store, channel: Any, *plugins: object, idempotent: bool = True, **options: Any) -> Dispatcher:
    pm = plugin_manager_with(channel_plugin(channel, idempotent=idempotent), *plugins)
    return Dispatcher(store, config=Config(), plugin_manager=pm, **options)


def logged_keys(store: Store) -> set[str]:
    state = store.load_state()
    return {c.action for a in state.applications for c in a.contacts if c.action}


def test_a_channel_failing_transiently_then_recovering_delivers_everything_once(store: Store) -> None:
    failures: dict[str, int] = {}

    def flaky(message: Message) -> DeliveryError | None:
        failures[message.key] = failures.get(message.key, 0) + 1
        return DeliveryError("503 Service Unavailable", transient=True) if failures[message.key] <= 2 else None

    channel = RecordingChannel(fail=flaky)
    worker = dispatcher(store, channel, backoff=MINUTE)
    first = worker.run_once(SAMPLE_NOW)
    assert sorted(first.keys("retrying")) == sorted(SAMPLE_DUE)
    retrying = store.outbox(("retrying",))
    assert {e.next_attempt_at for e in retrying} == {SAMPLE_NOW + MINUTE}
    assert all("503" in (e.error or "") for e in retrying)
    # the failed attempts still count against caps: their contacts stay in the log
    assert logged_keys(store) >= SAMPLE_DUE
    assert worker.run_once(SAMPLE_NOW + 30 * dt.timedelta(seconds=1)).outcomes == []  # not before the backoff
    second = worker.run_once(SAMPLE_NOW + MINUTE)
    assert sorted(second.keys("retrying")) == sorted(SAMPLE_DUE)
    assert {e.next_attempt_at for e in store.outbox(("retrying",))} == {SAMPLE_NOW + 3 * MINUTE}  # doubled
    third = worker.run_once(SAMPLE_NOW + 3 * MINUTE)
    assert sorted(third.delivered) == sorted(SAMPLE_DUE)
    assert sorted(channel.keys) == sorted(SAMPLE_DUE)  # each exactly once
    assert {(e.status, e.attempts) for e in store.outbox()} == {("delivered", 3)}
    assert worker.run_once(SAMPLE_NOW + dt.timedelta(days=1)).delivered == []


def test_transient_failures_give_up_after_the_last_attempt(store: Store) -> None:
    channel = RecordingChannel(fail=lambda m: DeliveryError("connection refused", transient=True))
    worker = dispatcher(store, channel, backoff=MINUTE, max_attempts=3)
    moment = SAMPLE_NOW
    for _ in range(3):
        worker.run_once(moment)
        moment += dt.timedelta(hours=1)
    failed = store.outbox(("failed",))
    assert {e.key for e in failed} == SAMPLE_DUE
    assert all(e.error == "gave up after 3 attempts: connection refused" and e.attempts == 3 for e in failed)
    assert not SAMPLE_DUE & logged_keys(store)  # it never happened: the log says so
    attempts = channel.attempts
    worker.run_once(moment + dt.timedelta(days=1))
    assert channel.attempts == attempts  # never tried again by itself


def test_a_permanent_failure_is_recorded_once_with_its_error(store: Store) -> None:
    channel = RecordingChannel(fail=lambda m: DeliveryError(f"no such mailbox for {m.key}", transient=False))
    worker = dispatcher(store, channel)
    report = worker.run_once(SAMPLE_NOW)
    assert sorted(report.keys("failed")) == sorted(SAMPLE_DUE)
    entry = store.outbox_entry("thank-you-note:acme:onsite:sam")
    assert entry is not None and entry.status == "failed" and entry.attempts == 1
    assert entry.error == "no such mailbox for thank-you-note:acme:onsite:sam"
    assert worker.run_once(SAMPLE_NOW + dt.timedelta(hours=5)).outcomes == []
    assert channel.attempts == len(SAMPLE_DUE)


def test_a_channel_that_raises_an_unexpected_error_is_retried(store: Store) -> None:
    calls = {"n": 0}

    def buggy(message: Message) -> DeliveryError | None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise KeyError("smtp_port")
        return None

    channel = RecordingChannel(fail=buggy)
    worker = dispatcher(store, channel, backoff=MINUTE)
    report = worker.run_once(SAMPLE_NOW)
    (retry,) = [o for o in report.outcomes if o.result == "retrying"]
    assert "KeyError: 'smtp_port'" in retry.detail
    worker.run_once(SAMPLE_NOW + MINUTE)
    assert sorted(channel.keys) == sorted(SAMPLE_DUE)


class Hanging:
    def __init__(self) -> None:
        self.release = threading.Event()

    def deliver(self, message: Message) -> Any:
        self.release.wait()
        raise DeliveryError("released at the end of the test", transient=False)


@pytest.mark.parametrize("idempotent", [True, False])
def test_a_hanging_channel_is_bounded_by_the_timeout(store: Store, idempotent: bool) -> None:
    channel = Hanging()
    try:
        # long enough to write the message first on a loaded machine (the first one compiles its template)
        worker = dispatcher(store, channel, idempotent=idempotent, timeout=0.5, backoff=MINUTE)
        report = worker.run_once(SAMPLE_NOW)
    finally:
        channel.release.set()
    if idempotent:
        assert sorted(report.keys("retrying")) == sorted(SAMPLE_DUE)
        assert all("did not answer within 0.5 s" in o.detail for o in report.outcomes), report.outcomes
    else:
        # it may still go out: never sent again, shown to the user
        assert sorted(report.keys("uncertain")) == sorted(SAMPLE_DUE)
        assert {e.status for e in store.outbox()} == {"uncertain"}
        assert worker.run_once(SAMPLE_NOW + dt.timedelta(days=1)).outcomes == []


def test_dry_run_shows_what_would_go_and_changes_nothing(store: Store) -> None:
    channel = RecordingChannel()
    worker = dispatcher(store, channel)
    before = (store.export_document(), store.peek_due(SAMPLE_NOW, limit=100), store.next_wake_at())
    report = worker.dry_run(SAMPLE_NOW)
    assert sorted(report.keys("would-send")) == sorted(SAMPLE_DUE)
    assert all(o.message is not None and o.channel == "console" and o.detail == "" for o in report.outcomes)
    assert all(o.subject == (o.key.split(":")[1] if ":" in o.key else "") for o in report.outcomes)
    assert report.now == SAMPLE_NOW and report.subjects == before[1]
    assert (store.export_document(), store.peek_due(SAMPLE_NOW, limit=100), store.next_wake_at()) == before
    assert store.outbox() == [] and channel.attempts == 0


class Events:
    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    @hookimpl
    def followup_action_due(self, action: Any) -> None:
        self.seen.append(("due", action.key))

    @hookimpl
    def followup_action_delivered(self, action: Any, receipt: Any) -> None:
        self.seen.append(("delivered", action.key))

    @hookimpl
    def followup_action_failed(self, action: Any, error: str, final: bool) -> None:
        self.seen.append(("failed-final" if final else "failed", action.key))


class Broken:
    @hookimpl
    def followup_action_delivered(self, action: Any) -> None:
        raise RuntimeError("an audit log that is down")


def test_lifecycle_events_and_a_raising_observer_does_not_stop_delivery(store: Store, caplog: pytest.LogCaptureFixture) -> None:
    events = Events()
    channel = RecordingChannel()
    dispatcher(store, channel, events, Broken()).run_once(SAMPLE_NOW)
    assert sorted(k for e, k in events.seen if e == "due") == sorted(SAMPLE_DUE)
    assert sorted(k for e, k in events.seen if e == "delivered") == sorted(SAMPLE_DUE)
    assert sorted(channel.keys) == sorted(SAMPLE_DUE)
    assert "an audit log that is down" in caplog.text and "followup_action_delivered" in caplog.text


class NoThankYous:
    @hookimpl
    def followup_check_message(self, message: Message, context: Any) -> list[Block]:
        return [Block("house-rule", "no thank-you notes today")] if message.kind == "thank_you_note" else []


def test_a_message_check_blocks_delivery_for_good(store: Store) -> None:
    events = Events()
    channel = RecordingChannel()
    report = dispatcher(store, channel, NoThankYous(), events).run_once(SAMPLE_NOW)
    assert report.keys("failed") == ["thank-you-note:acme:onsite:sam"]
    entry = store.outbox_entry("thank-you-note:acme:onsite:sam")
    assert entry is not None and entry.error == "blocked by a message check: house-rule: no thank-you notes today"
    assert ("failed-final", "thank-you-note:acme:onsite:sam") in events.seen
    assert "thank-you-note:acme:onsite:sam" not in channel.keys


def test_reminders_contact_nobody_and_are_sent_once(store: Store) -> None:
    channel = RecordingChannel()
    worker = dispatcher(store, channel)
    worker.run_once(SAMPLE_NOW)
    call_due = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)  # a week after the interview: the status call
    report = worker.run_once(call_due)
    calls = sorted(report.delivered)
    assert [key.rsplit(":", 1)[0] for key in calls] == ["status-call:acme", "status-call:initech"]
    assert {m.medium for m in channel.delivered[-2:]} <= {"phone", "reminder"}
    assert not set(calls) & logged_keys(store)  # the candidate has not called yet
    assert worker.run_once(call_due + dt.timedelta(hours=1)).outcomes == []


def test_the_next_wake_is_the_agendas(store: Store) -> None:
    """The store wakes the dispatcher exactly when the whole agenda can change, not before."""
    dispatcher(store, RecordingChannel()).run_once(SAMPLE_NOW)
    expected = Engine().evaluate(store.load_state(), SAMPLE_NOW).next_wake_at
    assert expected is not None and store.next_wake_at() == expected
    assert store.peek_due(SAMPLE_NOW, limit=10) == []


def test_an_offer_wakes_the_other_applications(store: Store) -> None:
    """A new offer is leverage with the applications wanted more: they are evaluated again."""
    channel = RecordingChannel()
    worker = dispatcher(store, channel)
    worker.run_once(SAMPLE_NOW)
    later = SAMPLE_NOW + dt.timedelta(hours=2)
    document = copy.deepcopy(SAMPLE_STATE)
    initech = document["applications"][2]
    initech.update(status="offer", status_changed_at="2026-11-27T13:00:00+01:00")
    initech["offer"] = {"received_at": "2026-11-27T13:00:00+01:00", "respond_by": "2026-12-11"}
    assert store.import_state(load_state(document)).changed_subjects == ("", "initech")
    assert set(store.peek_due(later, limit=10)) == {"", "acme", "globex", "initech"}
    report = worker.run_once(later)
    assert "leverage-offer:acme:20261127T1200Z" in report.delivered


def test_a_tick_only_loads_what_is_due(store: Store) -> None:
    worker = dispatcher(store, RecordingChannel())
    worker.run_once(SAMPLE_NOW)
    from followup import Contact

    store.record_contact("initech", Contact(at=SAMPLE_NOW, kind="reply", direction="in"))
    loaded: list[Any] = []
    original = store.load_state

    def spy(applications: Any = None, **options: Any) -> Any:
        loaded.append(applications)
        return original(applications, **options)

    store.load_state = spy  # type: ignore[method-assign]
    report = worker.tick(SAMPLE_NOW + MINUTE)
    assert report.subjects == ["initech"]
    assert loaded and all(ids == ["initech"] for ids in loaded)


@pytest.mark.parametrize(
    ("options", "message"),
    [({"max_attempts": 0}, "0 attempts"), ({"batch": 0}, "batch of 0"), ({"timeout": 0}, "timeout of 0")],
)
def test_bad_settings_are_refused(store: Store, options: dict[str, Any], message: str) -> None:
    from followup import InvalidInput

    with pytest.raises(InvalidInput, match=message):
        dispatcher(store, RecordingChannel(), **options)


class Suppressed:
    def __init__(self) -> None:
        self.keys: list[str] = []

    @hookimpl
    def followup_action_suppressed(self, action: Any) -> None:
        self.keys.append(action.key)


def test_a_ceiling_holds_and_what_it_holds_back_is_reported() -> None:
    """Eight notes due at one company, a ceiling of five per company: five go, three are
    held back (and the hook says so), across the company's two applications."""
    from followup.rules import load_rulebook
    from followup.testing.stores import CEILING, CONCURRENCY_RULES, concurrency_state

    store = open_memory("memory:")
    store.import_state(load_state(concurrency_state(1)))
    channel, held = RecordingChannel(), Suppressed()
    engine = Engine(load_rulebook(CONCURRENCY_RULES))
    pm = plugin_manager_with(channel_plugin(channel), held)
    worker = Dispatcher(store, engine=engine, config=Config(), plugin_manager=pm)
    worker.run_once(SAMPLE_NOW)
    assert len(channel.keys) == CEILING == 5
    assert len(set(held.keys) - set(channel.keys)) == 3
    assert len(held.keys) == 3  # each said once, in the first round of its application's turn
    state = store.load_state()
    assert sum(1 for a in state.applications for c in a.contacts if c.kind == "thank_you_note") == CEILING
    # the store wakes the dispatcher when the ceiling frees, a week later, and the rest go out
    assert store.next_wake_at() == SAMPLE_NOW + dt.timedelta(days=7)
    assert worker.run_once(SAMPLE_NOW + dt.timedelta(days=7) - MINUTE).outcomes == []
    worker.run_once(SAMPLE_NOW + dt.timedelta(days=7))
    assert len(channel.keys) == len(set(channel.keys)) == 8


def test_a_delivery_that_keeps_killing_its_worker_is_given_up(store: Store) -> None:
    """Claims left behind by dead workers are retried only up to the attempt limit."""
    from followup.stores import OutboxEntry, action_to_dict

    key = "thank-you-note:acme:onsite:sam"
    action = Engine().evaluate(store.load_state(), SAMPLE_NOW).get(key)
    assert action is not None
    abandoned = OutboxEntry(
        key, "acme", "claimed", 3, "console", True, SAMPLE_NOW, SAMPLE_NOW, action_to_dict(action), lease_until=SAMPLE_NOW + MINUTE
    )
    assert store.claim(abandoned, None)
    channel = RecordingChannel()
    worker = dispatcher(store, channel, max_attempts=3)
    report = worker.run_once(SAMPLE_NOW + 2 * MINUTE)
    entry = store.outbox_entry(key)
    assert entry is not None and entry.status == "failed" and entry.error is not None
    assert entry.error.startswith("gave up after 3 attempts")
    assert key in report.keys("failed") and key not in channel.keys


def test_a_retry_that_is_no_longer_needed_is_not_sent(store: Store) -> None:
    """A note failing transiently is not sent later if, meanwhile, the employer turned the
    candidate withdrew the application."""
    down = {"on": True}
    channel = RecordingChannel(fail=lambda m: DeliveryError("server down", transient=True) if down["on"] else None)
    worker = dispatcher(store, channel, backoff=MINUTE)
    worker.run_once(SAMPLE_NOW)
    assert {e.status for e in store.outbox()} == {"retrying"}
    store.set_status("initech", "withdrawn", SAMPLE_NOW + dt.timedelta(seconds=30))
    down["on"] = False
    worker.run_once(SAMPLE_NOW + MINUTE)
    leverage = store.outbox_entry("leverage-offer:initech:20261125T1500Z")
    assert leverage is not None and leverage.status == "failed"
    assert leverage.error is not None and leverage.error.startswith("not sent: no longer needed (")
    assert "leverage-offer:initech:20261125T1500Z" not in channel.keys
    # the others are still wanted and go out, once (with the nudge to keep searching the withdrawal brought)
    assert set(channel.keys) >= SAMPLE_DUE - {"leverage-offer:initech:20261125T1500Z"}
    assert len(channel.keys) == len(set(channel.keys))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"routes": {"email": "pigeon"}}, "routes.email names channel 'pigeon', which no installed plugin provides"),
        ({"channels": {"email": {"port": 25}}}, "'host' is a required property"),
    ],
)
def test_a_channel_configuration_mistake_stops_the_run_before_any_claim(
    store: Store, data: dict[str, Any], message: str
) -> None:
    from followup import FollowupError

    pm = plugin_manager_with()
    worker = Dispatcher(store, config=Config(data=data), plugin_manager=pm)
    with pytest.raises(FollowupError, match=message):
        worker.run_once(SAMPLE_NOW)
    assert store.outbox() == []
    assert not logged_keys(store)
    # once the configuration is fixed, the next run finds everything due at once
    channel = RecordingChannel()
    fixed = dispatcher(store, channel)
    fixed.run_once(SAMPLE_NOW + MINUTE)
    assert sorted(channel.keys) == sorted(SAMPLE_DUE)
