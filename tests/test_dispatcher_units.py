"""The dispatcher's small decisions one by one: its settings, the words of a tick's
summary and of each failure, the backoff between retries, what a channel hands back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from followup import Engine, FollowupError, InvalidInput, hookimpl
from followup.delivery import Block, Config, DeliveryError, Dispatcher, Message
from followup.delivery._dispatcher import Outcome, TickReport, _describe
from followup.stores import Store, SubjectFault
from followup.stores.memory import open_memory
from followup.testing.stores import (
    SAMPLE_DUE,
    SAMPLE_NOW,
    RecordingChannel,
    channel_plugin,
    plugin_manager_with,
    sample_state,
)

MINUTE = dt.timedelta(minutes=1)
#: the default rules, compiled once: these tests are about the dispatcher
ENGINE = Engine()
NOTE = "thank-you-note:acme:onsite:sam"


@pytest.fixture
def store() -> Iterator[Store]:
    store = open_memory("memory:")
    store.import_state(sample_state())
    yield store
    store.close()


def dispatcher(store: Store, channel: Any, *, idempotent: bool = True, **options: Any) -> Dispatcher:
    pm = plugin_manager_with(channel_plugin(channel, idempotent=idempotent))
    return Dispatcher(store, engine=ENGINE, config=Config(), plugin_manager=pm, **options)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"max_attempts": 0}, "max_attempts: 0 attempts would never deliver anything; use 1 or more"),
        ({"batch": 0}, "batch: a batch of 0 takes nothing; use 1 or more"),
        ({"timeout": 0}, "timeout: a delivery timeout of 0 s leaves no time; use a positive number"),
        ({"timeout": -1.5}, "timeout: a delivery timeout of -1.5 s leaves no time; use a positive number"),
    ],
)
def test_settings_that_could_never_deliver_are_refused(store: Store, options: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        dispatcher(store, RecordingChannel(), **options)
    assert [str(p) for p in caught.value.problems] == [message]


def test_the_smallest_settings_that_work_are_taken(store: Store) -> None:
    worker = dispatcher(store, RecordingChannel(), max_attempts=1, batch=1, timeout=0.5)
    assert (worker.max_attempts, worker.batch, worker.timeout) == (1, 1, 0.5)


def test_a_lease_outlasts_four_delivery_timeouts_and_five_minutes(store: Store) -> None:
    assert dispatcher(store, RecordingChannel()).lease == dt.timedelta(minutes=5)
    assert dispatcher(store, RecordingChannel(), timeout=100).lease == dt.timedelta(seconds=400)
    assert dispatcher(store, RecordingChannel(), timeout=75).lease == dt.timedelta(minutes=5)
    assert dispatcher(store, RecordingChannel(), lease=dt.timedelta(minutes=1)).lease == dt.timedelta(minutes=1)
    named = dispatcher(store, RecordingChannel(), worker="w1")
    assert named.worker == "w1" and dispatcher(store, RecordingChannel()).worker.count(":") == 2


def test_a_tick_sums_itself_up() -> None:
    report = TickReport(SAMPLE_NOW, subjects=["acme", "acme", "globex"])
    assert report.summary() == "nothing to send (2 subject(s) evaluated)"
    report.outcomes += [Outcome("a", "retrying"), Outcome("b", "delivered"), Outcome("c", "delivered")]
    assert report.summary() == "2 delivered, 1 retrying"
    assert report.delivered == ["b", "c"] and report.keys("retrying") == ["a"]
    report.faults.append(SubjectFault("initech", "boom", SAMPLE_NOW))
    assert report.summary() == "2 delivered, 1 retrying; 1 subject(s) could not be worked on"
    assert TickReport(SAMPLE_NOW, faults=[SubjectFault("x", "boom", SAMPLE_NOW)]).summary() == (
        "nothing to send (0 subject(s) evaluated); 1 subject(s) could not be worked on"
    )
    other = TickReport(SAMPLE_NOW, subjects=["initech"], outcomes=[Outcome("d", "failed")], faults=[SubjectFault("y", "", SAMPLE_NOW)])
    report.merge(other)
    assert (report.subjects[-1], report.outcomes[-1].key, len(report.faults)) == ("initech", "d", 2)


def test_a_subjects_failure_is_one_bounded_line() -> None:
    assert _describe(FollowupError("the row  is\nunreadable")) == "the row is unreadable"
    assert _describe(KeyError("smtp_port")) == "KeyError: 'smtp_port'"
    long = _describe(ValueError("x" * 600))
    assert len(long) == 500 and long.endswith("x...") and long.startswith("ValueError: xx")
    exactly = "y" * 500
    assert _describe(FollowupError(exactly)) == exactly
    assert _describe(FollowupError("z" * 501)) == "z" * 497 + "..."


def test_a_retry_waits_twice_as_long_each_time_up_to_the_most(store: Store) -> None:
    channel = RecordingChannel(fail=lambda m: DeliveryError("421 try later", transient=True))
    worker = dispatcher(store, channel, backoff=MINUTE, max_backoff=3 * MINUTE, max_attempts=5)
    first = worker.run_once(SAMPLE_NOW)
    (note,) = [o for o in first.outcomes if o.key == NOTE]
    assert note.detail == "421 try later (attempt 1; next in 0:01:00)"
    second = worker.run_once(SAMPLE_NOW + MINUTE)
    assert [o.detail for o in second.outcomes if o.key == NOTE] == ["421 try later (attempt 2; next in 0:02:00)"]
    third = worker.run_once(SAMPLE_NOW + 3 * MINUTE)
    assert [o.detail for o in third.outcomes if o.key == NOTE] == ["421 try later (attempt 3; next in 0:03:00)"]
    entry = store.outbox_entry(NOTE)
    assert entry is not None and entry.next_attempt_at == SAMPLE_NOW + 6 * MINUTE


class _Returns:
    """A channel whose ``deliver`` hands back ``value`` (or raises it)."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def deliver(self, message: Message) -> Any:
        if isinstance(self.value, BaseException):
            raise self.value
        return self.value


def test_a_channel_that_hands_back_no_receipt_is_delivered_with_a_note(store: Store) -> None:
    report = dispatcher(store, _Returns("sent!")).run_once(SAMPLE_NOW)
    assert sorted(report.delivered) == sorted(SAMPLE_DUE)
    assert {o.detail for o in report.outcomes} == {"the channel returned str"}
    entry = store.outbox_entry(NOTE)
    assert entry is not None and entry.receipt == {"channel": "console", "reference": None, "detail": "the channel returned str"}


def test_a_channels_own_timeout_is_a_retry_or_uncertain(store: Store) -> None:
    report = dispatcher(store, _Returns(TimeoutError("read timed out")), backoff=MINUTE).run_once(SAMPLE_NOW)
    (note,) = [o for o in report.outcomes if o.key == NOTE]
    assert (note.result, note.detail) == ("retrying", "channel 'console' timed out: read timed out (attempt 1; next in 0:01:00)")


def test_a_channels_own_timeout_through_a_channel_that_cannot_be_asked_twice(store: Store) -> None:
    report = dispatcher(store, _Returns(TimeoutError("read timed out")), idempotent=False).run_once(SAMPLE_NOW)
    (note,) = [o for o in report.outcomes if o.key == NOTE]
    assert (note.result, note.detail) == (
        "uncertain",
        "channel 'console' timed out: read timed out; channel 'console' cannot be asked twice safely and the message "
        "may have gone out: check, then `followup outbox --resolve KEY sent|not-sent`",
    )


def test_a_followup_error_from_a_channel_is_final_and_a_bug_is_retried(store: Store) -> None:
    final = dispatcher(store, _Returns(FollowupError("mailbox full")), backoff=MINUTE).run_once(SAMPLE_NOW)
    assert {(o.result, o.detail) for o in final.outcomes if o.key == NOTE} == {("failed", "mailbox full")}
    store.import_state(sample_state())
    other = open_memory("memory:")
    other.import_state(sample_state())
    bug = dispatcher(other, _Returns(ZeroDivisionError("division by zero")), backoff=MINUTE, max_attempts=1).run_once(SAMPLE_NOW)
    assert {(o.result, o.detail) for o in bug.outcomes if o.key == NOTE} == {
        ("failed", "gave up after 1 attempts: ZeroDivisionError: division by zero")
    }
    other.close()


class _HouseRules:
    """No thank-you notes today; reference alerts cannot be written; leverage follow-ups
    have a template that does not render."""

    @hookimpl
    def followup_check_message(self, message: Message, context: Any) -> list[Block]:
        return [Block("house-rule", "no thank-you notes today"), Block("tone", "too eager")] if message.kind == "thank_you_note" else []

    @hookimpl
    def followup_render_message(self, action: Any, context: Any) -> Message | None:
        if action.kind == "reference_alert":
            raise DeliveryError("no address for the reference", transient=False)
        if action.kind == "leverage_follow_up":
            raise InvalidInput.single("templates/leverage.txt", "unknown variable 'offer_amount'", line=3)
        return None


def test_a_dry_run_says_what_would_be_blocked_or_fail_and_why(store: Store) -> None:
    pm = plugin_manager_with(channel_plugin(RecordingChannel()), _HouseRules())
    report = Dispatcher(store, engine=ENGINE, config=Config(), plugin_manager=pm).dry_run(SAMPLE_NOW)
    results = {o.key.split(":")[0]: (o.result, o.detail) for o in report.outcomes}
    assert (report.now, report.subjects) == (SAMPLE_NOW, ["", "acme", "globex", "initech"])
    assert [(o.key, o.result, o.channel, o.subject, o.message is not None) for o in report.outcomes] == [
        ("leverage-offer:acme:20261125T1500Z", "would-fail", "console", "acme", False),
        ("alert-references:acme::ref-a", "would-fail", "console", "acme", False),
        ("thank-you-note:acme:onsite:sam", "would-block", "console", "acme", True),
        ("leverage-offer:initech:20261125T1500Z", "would-fail", "console", "initech", False),
    ]
    assert results["thank-you-note"] == ("would-block", "house-rule: no thank-you notes today; tone: too eager")
    assert results["alert-references"] == ("would-fail", "no address for the reference")
    # as the delivery would: a template that does not render fails that action, not the dry run
    assert results["leverage-offer"] == (
        "would-fail", "cannot write the message: templates/leverage.txt:3:0: unknown variable 'offer_amount'",
    )  # fmt: skip
    assert store.outbox() == []


def test_a_message_that_cannot_be_written_or_is_blocked_fails_for_good(store: Store) -> None:
    pm = plugin_manager_with(channel_plugin(channel := RecordingChannel()), _HouseRules())
    report = Dispatcher(store, engine=ENGINE, config=Config(), plugin_manager=pm).run_once(SAMPLE_NOW)
    results = {o.key.split(":")[0]: (o.result, o.detail) for o in report.outcomes}
    assert results["thank-you-note"] == ("failed", "blocked by a message check: house-rule: no thank-you notes today; tone: too eager")
    assert results["leverage-offer"] == (
        "failed", "cannot write the message: templates/leverage.txt:3:0: unknown variable 'offer_amount'",
    )  # fmt: skip
    assert channel.attempts == 0


def test_what_can_never_be_wanted_again(store: Store) -> None:
    """A parked action past its window, or of an application that ended, is dropped; one without an end is kept."""
    state = store.load_state()
    agenda = ENGINE.evaluate(state, SAMPLE_NOW)
    lasting = next(a for a in agenda.actions if a.expires_at is None and a.application == "acme")
    ending = next(a for a in agenda.actions if a.expires_at is not None and a.application == "acme")
    end = ending.expires_at
    assert end is not None
    assert Dispatcher._past_hope(lasting, state, SAMPLE_NOW) is None
    assert Dispatcher._past_hope(ending, state, end - MINUTE) is None
    assert Dispatcher._past_hope(ending, state, end) == f"its window expired at {end.isoformat(timespec='minutes')}"


def _pigeon(channel: Any, **spec: Any) -> object:
    """A plugin with one channel, ``pigeon``, for every medium."""
    from followup.delivery import MEDIA, ChannelSpec

    spec.setdefault("build", lambda settings: channel)
    pigeon = ChannelSpec(name="pigeon", media=MEDIA, idempotent=True, description="test channel", **spec)

    class Plugin:
        @hookimpl
        def followup_register_channels(self, register: Any) -> None:
            register(pigeon)

    return Plugin()


def _to_pigeon(**channels: Any) -> Config:
    from followup.delivery import MEDIA

    return Config(data={"routes": {medium: "pigeon" for medium in MEDIA}, **({"channels": channels} if channels else {})})


def _claimed_for_the_pigeon(store: Store, **spec: Any) -> None:
    """Every due action claimed for the pigeon, and waiting for a retry a minute on."""
    down = RecordingChannel(fail=lambda m: DeliveryError("421 try later", transient=True))
    config = _to_pigeon(pigeon={"loft": "roof"}) if spec else _to_pigeon()
    Dispatcher(store, engine=ENGINE, config=config, plugin_manager=plugin_manager_with(_pigeon(down, **spec)), backoff=MINUTE).run_once(SAMPLE_NOW)
    assert {(e.channel, e.status) for e in store.outbox()} == {("pigeon", "retrying")}


def test_a_retry_whose_channel_is_no_longer_installed_stays_pending(store: Store) -> None:
    from followup.delivery import ChannelUnavailable

    _claimed_for_the_pigeon(store)
    worker = Dispatcher(store, engine=ENGINE, config=Config(), plugin_manager=plugin_manager_with())
    due = store.peek_due(SAMPLE_NOW + MINUTE, limit=100)
    with pytest.raises(ChannelUnavailable) as caught:
        worker.run_once(SAMPLE_NOW + MINUTE)
    # every subject the tick had leased is handed back, due at once for the next run
    assert store.peek_due(SAMPLE_NOW + MINUTE, limit=100) == due and due
    installed = ", ".join(sorted(worker.specs))
    assert ", " in installed
    assert str(caught.value).endswith(
        f"was claimed for channel 'pigeon' (recorded at claim time), which no installed plugin provides any more "
        f"(installed: {installed}); it stays pending: install it again, or settle it with "
        "`followup outbox --resolve KEY not-sent` to let it be claimed afresh"
    )
    assert {e.status for e in store.outbox()} == {"retrying"}


def test_a_retry_whose_channel_lost_its_settings_stays_pending(store: Store) -> None:
    from followup.delivery import ChannelUnavailable

    _claimed_for_the_pigeon(store, is_configured=lambda settings: "loft" in settings)
    channel = RecordingChannel()
    worker = Dispatcher(store, engine=ENGINE, config=_to_pigeon(), plugin_manager=plugin_manager_with(_pigeon(channel, is_configured=lambda s: "loft" in s)))
    with pytest.raises(ChannelUnavailable, match=r"was claimed for channel 'pigeon' \(recorded at claim time\), but .* has no \[channels.pigeon\] section any more"):
        worker.run_once(SAMPLE_NOW + MINUTE)
    assert channel.attempts == 0 and {e.status for e in store.outbox()} == {"retrying"}
    # with its section back, the retries go out through it
    again = Dispatcher(store, engine=ENGINE, config=_to_pigeon(pigeon={"loft": "roof"}),
                       plugin_manager=plugin_manager_with(_pigeon(channel, is_configured=lambda s: "loft" in s)))  # fmt: skip
    report = again.run_once(SAMPLE_NOW + MINUTE)
    assert {o.result for o in report.outcomes} == {"delivered"} and sorted(channel.keys) == sorted(SAMPLE_DUE)


def test_a_retry_is_weighed_again_against_the_rulebook_and_the_log(store: Store) -> None:
    from followup import Contact, load_rulebook

    channel = RecordingChannel(fail=lambda m: DeliveryError("421 try later", transient=True))
    dispatcher(store, channel, backoff=MINUTE).run_once(SAMPLE_NOW)
    assert {e.status for e in store.outbox()} == {"retrying"}
    store.record_contact("acme", Contact(at=SAMPLE_NOW + dt.timedelta(seconds=20), kind="reference_alert", to="ref-a", note="phoned her"))
    without_notes = Engine(load_rulebook({"extends": "default", "rules": [{"id": "thank-you-note", "enabled": False}]}))
    up = RecordingChannel()
    pm = plugin_manager_with(channel_plugin(up))
    report = Dispatcher(store, engine=without_notes, config=Config(), plugin_manager=pm).run_once(SAMPLE_NOW + MINUTE)
    results = {o.key: (o.result, o.detail) for o in report.outcomes}
    assert results[NOTE] == ("parked", "parked: the active rulebook no longer asks for it")
    alert = results["alert-references:acme::ref-a"]
    assert alert[0] == "failed" and alert[1].startswith("not sent: no longer needed (done: done: reference alert to ref-a ")
    sent = {key for key, (result, _) in results.items() if result == "delivered"}
    assert sent == set(SAMPLE_DUE) - {NOTE, "alert-references:acme::ref-a"} and sorted(up.keys) == sorted(sent)


def test_a_dry_run_leaves_out_what_is_claimed_and_names_the_routed_channel(store: Store) -> None:
    from followup.delivery._activation import plain
    from followup.stores import OutboxEntry

    first = next(a for a in ENGINE.evaluate(store.load_state(), SAMPLE_NOW).actions if a.key == "leverage-offer:acme:20261125T1500Z")
    claimed = OutboxEntry(key=first.key, identity=first.identity, application="acme", status="claimed", attempts=1, channel="pigeon",
                          idempotent=True, claimed_at=SAMPLE_NOW, updated_at=SAMPLE_NOW, action=plain(first.to_dict()),
                          lease_until=SAMPLE_NOW + dt.timedelta(minutes=5))  # fmt: skip
    assert store.claim(claimed, None)
    worker = Dispatcher(store, engine=ENGINE, config=_to_pigeon(), plugin_manager=plugin_manager_with(_pigeon(RecordingChannel())))
    report = worker.dry_run(SAMPLE_NOW)
    assert [(o.key, o.result, o.channel, o.subject) for o in report.outcomes] == [
        ("alert-references:acme::ref-a", "would-send", "pigeon", "acme"),
        ("thank-you-note:acme:onsite:sam", "would-send", "pigeon", "acme"),
        ("leverage-offer:initech:20261125T1500Z", "would-send", "pigeon", "initech"),
    ]


def test_a_run_ticks_until_nothing_is_left_and_sums_up_every_tick(store: Store) -> None:
    channel = RecordingChannel()
    seen: list[tuple[int, int]] = []
    report = dispatcher(store, channel, batch=1).run_once(SAMPLE_NOW, progress=lambda done, subjects: seen.append((done, subjects)))
    assert report.now == SAMPLE_NOW
    assert sorted(channel.keys) == sorted(SAMPLE_DUE) and sorted(report.delivered) == sorted(SAMPLE_DUE)
    assert report.subjects == ["", "acme", "globex", "initech"]  # one a tick, each tick's added to the run's
    # after each tick: the outcomes so far and the subjects that tick took; the last took none
    assert [subjects for _, subjects in seen] == [1, 1, 1, 1, 0]
    assert [done for done, _ in seen] == sorted(done for done, _ in seen) and seen[-1][0] == len(SAMPLE_DUE)


def test_a_tick_says_when_it_ran(store: Store) -> None:
    report = dispatcher(store, RecordingChannel()).tick(SAMPLE_NOW)
    assert report.now == SAMPLE_NOW and report.subjects


class _Where:
    """A channel that notes which thread delivers."""

    def __init__(self) -> None:
        self.threads: list[tuple[str, bool]] = []

    def deliver(self, message: Message) -> Any:
        import threading

        here = threading.current_thread()
        self.threads.append((here.name, here.daemon))
        return None


def test_deliveries_run_in_one_daemon_courier_thread_that_ends_with_its_dispatcher(store: Store) -> None:
    import gc
    import threading

    channel = _Where()
    before = set(threading.enumerate())  # other tests' couriers (one still finishing an overrun) are theirs
    worker = dispatcher(store, channel)
    worker.run_once(SAMPLE_NOW)
    assert set(channel.threads) == {("followup-deliver", True)} and len(channel.threads) == len(SAMPLE_DUE)
    couriers = [t for t in threading.enumerate() if t.name == "followup-deliver" and t not in before]
    assert couriers
    del worker
    gc.collect()
    for courier in couriers:
        courier.join(5)
    assert not any(t.is_alive() for t in couriers)


def test_a_channel_is_set_up_once_per_dispatcher_and_a_failure_to_set_it_up_is_named(store: Store) -> None:
    built: list[object] = []

    def build(settings: Any) -> Any:
        built.append(settings)
        return RecordingChannel()

    worker = Dispatcher(store, engine=ENGINE, config=_to_pigeon(), plugin_manager=plugin_manager_with(_pigeon(None, build=build)))
    worker.run_once(SAMPLE_NOW)
    assert len(built) == 1

    def broken(settings: Any) -> Any:
        raise ValueError("no loft")

    failing = Dispatcher(store, engine=ENGINE, config=_to_pigeon(), plugin_manager=plugin_manager_with(_pigeon(None, build=broken)))
    with pytest.raises(FollowupError) as caught:
        failing._channel(failing.specs["pigeon"])
    assert str(caught.value).startswith("channel 'pigeon' (plugin ") and str(caught.value).endswith("could not be set up: ValueError: no loft")


def test_a_claim_another_worker_holds_is_left_alone_until_its_lease_ends(store: Store) -> None:
    from followup.delivery._activation import plain
    from followup.stores import OutboxEntry

    first = next(a for a in ENGINE.evaluate(store.load_state(), SAMPLE_NOW).actions if a.key == NOTE)
    held = OutboxEntry(key=first.key, identity=first.identity, application="acme", status="claimed", attempts=1, channel="console",
                       idempotent=True, claimed_at=SAMPLE_NOW, updated_at=SAMPLE_NOW, action=plain(first.to_dict()),
                       lease_until=SAMPLE_NOW + dt.timedelta(minutes=5))  # fmt: skip
    assert store.claim(held, None)
    channel = RecordingChannel()
    report = dispatcher(store, channel).run_once(SAMPLE_NOW + dt.timedelta(minutes=4))
    assert NOTE not in channel.keys and NOTE not in {o.key for o in report.outcomes}
    assert sorted(channel.keys) == sorted(SAMPLE_DUE - {NOTE})  # the others of its application still go
    entry = store.outbox_entry(NOTE)
    assert entry is not None and entry.status == "claimed"
    store.release("acme", SAMPLE_NOW)  # due again, as a worker's next pass would find it
    later = dispatcher(store, channel).run_once(SAMPLE_NOW + dt.timedelta(minutes=5))  # the lease ends: taken up again
    assert [o.key for o in later.outcomes] == [NOTE] and channel.keys.count(NOTE) == 1


def test_a_parked_claim_is_dropped_once_its_window_has_passed(store: Store) -> None:
    from followup import load_rulebook

    offer = "leverage-offer:initech:20261125T1500Z"
    channel = RecordingChannel(fail=lambda m: DeliveryError("421 try later", transient=True))
    dispatcher(store, channel, backoff=MINUTE).run_once(SAMPLE_NOW)
    action = ENGINE.evaluate(store.load_state(), SAMPLE_NOW).get(offer)
    assert action is not None and action.expires_at is not None
    expires = action.expires_at
    without = Engine(load_rulebook({"extends": "default", "rules": [{"id": "leverage-offer", "enabled": False}]}))
    pm = plugin_manager_with(channel_plugin(RecordingChannel()))
    Dispatcher(store, engine=without, config=Config(), plugin_manager=pm).run_once(SAMPLE_NOW + MINUTE)
    parked = store.outbox_entry(offer)
    assert parked is not None and parked.status == "parked"
    store.release("initech", expires)  # its next wake, as the last run left it or sooner
    before = Dispatcher(store, engine=without, config=Config(), plugin_manager=pm).run_once(expires - MINUTE)
    assert offer not in {o.key for o in before.outcomes}  # still parked: its window is open
    store.release("initech", expires)
    told: list[tuple[str, str, bool]] = []

    class Observer:
        @hookimpl
        def followup_action_failed(self, action: Any, error: str, final: bool) -> None:
            told.append((action.key, error, final))

    watched = plugin_manager_with(channel_plugin(RecordingChannel()), Observer())
    report = Dispatcher(store, engine=without, config=Config(), plugin_manager=watched).run_once(expires)
    dropped = f"dropped while parked: its window expired at {expires.isoformat(timespec='minutes')}"
    assert [(o.result, o.detail, o.subject) for o in report.outcomes if o.key == offer] == [("failed", dropped, "initech")]
    assert (offer, dropped, True) in told  # observers hear of the end, with the action it was


def test_a_retry_goes_out_when_it_has_become_overdue_meanwhile(store: Store) -> None:
    note = ENGINE.evaluate(store.load_state(), SAMPLE_NOW).get(NOTE)
    assert note is not None and note.status == "due"
    later = note.due_at + MINUTE
    overdue = ENGINE.evaluate(store.load_state(), later).get(NOTE)
    assert overdue is not None and overdue.status == "overdue"
    channel = RecordingChannel(fail=lambda m: DeliveryError("421 try later", transient=True))
    dispatcher(store, channel, backoff=MINUTE).run_once(SAMPLE_NOW)
    for subject in ("acme",):
        store.release(subject, later)
    up = RecordingChannel()
    report = dispatcher(store, up).run_once(later)
    assert [o.result for o in report.outcomes if o.key == NOTE] == ["delivered"] and up.keys.count(NOTE) == 1  # not parked first


def test_a_retry_of_the_candidates_own_task_is_weighed_on_the_candidates_log(store: Store) -> None:
    """Withdrawing brings the nudge to keep searching, a task of the candidate's own log;
    its retry is sent once, not taken for done by its own claim."""
    store.set_status("initech", "withdrawn", SAMPLE_NOW - dt.timedelta(hours=1))
    channel = RecordingChannel(fail=lambda m: DeliveryError("421 try later", transient=True))
    first = dispatcher(store, channel, backoff=MINUTE).run_once(SAMPLE_NOW)
    own = [o.key for o in first.outcomes if o.subject == ""]
    assert own and all(o.result == "retrying" for o in first.outcomes if o.subject == "")
    up = RecordingChannel()
    report = dispatcher(store, up).run_once(SAMPLE_NOW + MINUTE)
    assert {o.key: o.result for o in report.outcomes if o.subject == ""} == dict.fromkeys(own, "delivered")
    assert all(up.keys.count(key) == 1 for key in own)


def test_an_interrupted_tick_hands_back_what_it_had_not_done(store: Store) -> None:
    """Ctrl-C (or a kill turned into an exception) in the middle of a tick: the subjects it
    had leased and not finished are due again at once for the next run."""
    worker = dispatcher(store, RecordingChannel())
    original = worker._load

    def load(subject: str, now: dt.datetime) -> Any:
        if subject == "globex":
            raise KeyboardInterrupt
        return original(subject, now)

    worker._load = load  # type: ignore[method-assign]
    with pytest.raises(KeyboardInterrupt):
        worker.tick(SAMPLE_NOW)
    assert store.peek_due(SAMPLE_NOW, limit=100) == ["globex", "initech"]


def test_a_store_that_fails_while_recording_a_fault_stops_the_tick_with_the_first_error(store: Store) -> None:
    worker = dispatcher(store, RecordingChannel())
    original_load, original_release = worker._load, store.release
    calls = {"release": 0}

    def load(subject: str, now: dt.datetime) -> Any:
        if subject == "acme":
            raise OverflowError("date value out of range")
        return original_load(subject, now)

    def release(subject: str, wake: Any, **options: Any) -> None:
        calls["release"] += 1
        if options.get("fault") is not None:
            raise ConnectionError("the database went away")
        original_release(subject, wake, **options)

    worker._load = load  # type: ignore[method-assign]
    store.release = release  # type: ignore[method-assign,assignment]
    with pytest.raises(OverflowError, match="date value out of range"):
        worker.tick(SAMPLE_NOW)
    store.release = original_release  # type: ignore[method-assign]
    # what the tick had not done is handed back: due at once
    assert store.peek_due(SAMPLE_NOW, limit=100) == ["acme", "globex", "initech"]


def _claim_as(store: Store, key: str, *, idempotent: bool, lease_until: dt.datetime, status: str = "claimed", attempts: int = 1) -> None:
    """An outbox entry for action ``key`` as another (stopped) worker left it."""
    from followup.delivery._activation import plain
    from followup.stores import OutboxEntry

    action = ENGINE.evaluate(store.load_state(), SAMPLE_NOW).get(key)
    assert action is not None and action.application is not None
    entry = OutboxEntry(key=key, identity=action.identity, application=action.application, status="claimed", attempts=attempts,
                        channel="console", idempotent=idempotent, claimed_at=SAMPLE_NOW, updated_at=SAMPLE_NOW,
                        action=plain(action.to_dict()), lease_until=lease_until)  # fmt: skip
    assert store.claim(entry, None)
    if status != "claimed":
        store.update_outbox(key, status=status, now=SAMPLE_NOW, error="421 try later", next_attempt_at=lease_until)


def test_a_claim_left_by_a_stopped_worker_is_uncertain_when_its_channel_cannot_be_asked_twice(store: Store) -> None:
    told: list[tuple[str, bool]] = []

    class Observer:
        @hookimpl
        def followup_action_failed(self, action: Any, error: str, final: bool) -> None:
            told.append((action.key, final))

    _claim_as(store, NOTE, idempotent=False, lease_until=SAMPLE_NOW - MINUTE)
    channel = RecordingChannel()
    pm = plugin_manager_with(channel_plugin(channel, idempotent=False), Observer())
    report = Dispatcher(store, engine=ENGINE, config=Config(), plugin_manager=pm).run_once(SAMPLE_NOW)
    (outcome,) = [o for o in report.outcomes if o.key == NOTE]
    assert (outcome.result, outcome.channel, outcome.subject) == ("uncertain", "console", "acme")
    assert outcome.detail == (
        "the dispatcher stopped between claiming and recording this delivery (a crash or a kill); channel 'console' "
        "cannot be asked twice safely, so it is not sent again: check whether it went out, then "
        "`followup outbox --resolve KEY sent` or `... not-sent`"
    )
    entry = store.outbox_entry(NOTE)
    assert entry is not None and entry.status == "uncertain" and NOTE not in channel.keys
    assert (NOTE, True) in told
    assert sorted(channel.keys) == sorted(SAMPLE_DUE - {NOTE})


def test_a_retry_waits_for_its_time_and_the_others_go_on(store: Store) -> None:
    _claim_as(store, NOTE, idempotent=True, lease_until=SAMPLE_NOW + dt.timedelta(minutes=10), status="retrying")
    _claim_as(store, "alert-references:acme::ref-a", idempotent=True, lease_until=SAMPLE_NOW - MINUTE, status="retrying")
    channel = RecordingChannel()
    report = dispatcher(store, channel).run_once(SAMPLE_NOW)
    assert NOTE not in channel.keys and NOTE not in {o.key for o in report.outcomes}  # its next attempt is later
    assert channel.keys.count("alert-references:acme::ref-a") == 1  # its time has come
    entry = store.outbox_entry(NOTE)
    assert entry is not None and (entry.status, entry.attempts) == ("retrying", 1)


def test_a_claim_another_worker_holds_does_not_hold_up_the_retries_after_it(store: Store) -> None:
    _claim_as(store, "alert-references:acme::ref-a", idempotent=True, lease_until=SAMPLE_NOW + dt.timedelta(minutes=5))
    _claim_as(store, NOTE, idempotent=True, lease_until=SAMPLE_NOW - MINUTE, status="retrying")
    channel = RecordingChannel()
    dispatcher(store, channel).run_once(SAMPLE_NOW)
    assert channel.keys.count(NOTE) == 1 and "alert-references:acme::ref-a" not in channel.keys


def test_a_parked_claim_asked_for_again_goes_out_once_through_its_own_channel(store: Store) -> None:
    """Park a claim (its rule switched off), switch the rule back on: the same claim is taken
    up again, through the channel it was claimed for, and logged once under its own key."""
    from followup import load_rulebook

    down = RecordingChannel(fail=lambda m: DeliveryError("421 try later", transient=True))
    Dispatcher(store, engine=ENGINE, config=_to_pigeon(), plugin_manager=plugin_manager_with(_pigeon(down)), backoff=MINUTE).run_once(SAMPLE_NOW)
    without_notes = Engine(load_rulebook({"extends": "default", "rules": [{"id": "thank-you-note", "enabled": False}]}))
    Dispatcher(store, engine=without_notes, config=_to_pigeon(), plugin_manager=plugin_manager_with(_pigeon(RecordingChannel())),
               backoff=MINUTE).run_once(SAMPLE_NOW + MINUTE)  # fmt: skip
    parked = store.outbox_entry(NOTE)
    assert parked is not None and (parked.status, parked.channel) == ("parked", "pigeon")
    store.release("acme", SAMPLE_NOW + 2 * MINUTE)  # as activating the rulebook again wakes every application
    pigeon, console = RecordingChannel(), RecordingChannel()
    pm = plugin_manager_with(_pigeon(pigeon), channel_plugin(console))
    report = Dispatcher(store, engine=ENGINE, config=Config(), plugin_manager=pm).run_once(SAMPLE_NOW + 2 * MINUTE)
    assert [o.result for o in report.outcomes if o.key == NOTE] == ["delivered"]
    assert pigeon.keys == [NOTE] and NOTE not in console.keys  # routed to console now, but claimed for the pigeon
    entry = store.outbox_entry(NOTE)
    assert entry is not None and (entry.status, entry.attempts) == ("delivered", parked.attempts + 1)
    acme = store.load_state().application("acme")
    assert acme is not None
    logged = [(c.kind, c.to, c.channel, c.direction) for c in acme.contacts if c.action == NOTE]
    assert logged == [("thank_you_note", "sam", "email", "out")]


class _Told:
    """What the dispatcher tells observers: (event, action key, final)."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, bool | None]] = []

    @hookimpl
    def followup_action_due(self, action: Any) -> None:
        self.seen.append(("due", action.key, None))

    @hookimpl
    def followup_action_delivered(self, action: Any, receipt: Any) -> None:
        self.seen.append(("delivered", action.key, None))

    @hookimpl
    def followup_action_failed(self, action: Any, error: str, final: bool) -> None:
        self.seen.append(("failed", action.key, final))


def test_every_outcome_names_its_subject_and_observers_hear_of_each_action(store: Store) -> None:
    """A transient failure, then one that is final and one that succeeds: each outcome has
    its application, each observer call its action, and the log the contact as claimed."""
    told = _Told()
    calls = {"n": 0}

    def fail(message: Message) -> DeliveryError | None:
        calls["n"] += 1
        if message.kind == "reference_alert":
            return DeliveryError("550 no such mailbox", transient=False)
        return DeliveryError("421 try later", transient=True) if calls["n"] <= len(SAMPLE_DUE) else None

    channel = RecordingChannel(fail=fail)
    pm = plugin_manager_with(channel_plugin(channel), told)
    worker = Dispatcher(store, engine=ENGINE, config=Config(), plugin_manager=pm, backoff=MINUTE)
    first = worker.run_once(SAMPLE_NOW)
    second = worker.run_once(SAMPLE_NOW + MINUTE)
    for outcome in [*first.outcomes, *second.outcomes]:
        assert outcome.subject == outcome.key.split(":")[1], outcome
    alert = "alert-references:acme::ref-a"
    assert [(o.result, o.detail) for o in first.outcomes if o.key == alert] == [("failed", "550 no such mailbox")]
    assert {o.key: o.result for o in second.outcomes} == dict.fromkeys(SAMPLE_DUE - {alert}, "delivered")
    assert ("failed", alert, True) in told.seen
    assert all(("failed", key, False) in told.seen for key in SAMPLE_DUE - {alert})
    assert all(("delivered", key, None) in told.seen for key in SAMPLE_DUE - {alert})
    assert sorted(key for event, key, _ in told.seen if event == "due") == sorted(SAMPLE_DUE)
    acme = store.load_state().application("acme")
    assert acme is not None
    (note,) = [c for c in acme.contacts if c.action == NOTE]
    assert (note.at, note.kind, note.to, note.interview, note.channel, note.direction) == (
        SAMPLE_NOW, "thank_you_note", "sam", "onsite", "email", "out",
    )  # fmt: skip
