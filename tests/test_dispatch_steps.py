"""The dispatcher's steps on an in-memory store: the delivery timeout covers writing the
message, a failure after the hand-over is uncertain for a channel that cannot be asked
twice, identities and idempotency keys survive a renamed rule, and a failing subject
is recorded while the others are delivered."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from followup import Engine, hookimpl, load_rulebook
from followup.delivery import Config, DeliveryError, Dispatcher, Message, fingerprint
from followup.delivery._activation import plain
from followup.stores import Activation, Store
from followup.stores.memory import open_memory
from followup.testing.stores import (
    SAMPLE_DUE,
    SAMPLE_NOW,
    RecordingChannel,
    channel_plugin,
    plugin_manager_with,
    sample_state,
)


@pytest.fixture
def store() -> Iterator[Store]:
    store = open_memory("memory:")
    store.import_state(sample_state())
    yield store
    store.close()


class SlowPen:
    """A renderer that does not finish until released: a template that runs away."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.started = threading.Event()

    @hookimpl(tryfirst=True)
    def followup_render_message(self, action: Any, context: Any) -> Any:
        self.started.set()
        self.release.wait(30)
        return None


def test_writing_the_message_counts_against_the_delivery_timeout(store: Store) -> None:
    pen = SlowPen()
    channel = RecordingChannel()
    pm = plugin_manager_with(channel_plugin(channel, idempotent=False), pen)
    try:
        report = Dispatcher(store, config=Config(), plugin_manager=pm, timeout=0.2).tick(SAMPLE_NOW)
    finally:
        pen.release.set()
    assert pen.started.wait(10)  # the courier reached the renderer (on a loaded machine, maybe after the timeout)
    assert channel.attempts == 0  # nothing was handed over ...
    results = {o.result for o in report.outcomes}
    assert results == {"retrying"}, report.outcomes  # ... so it is not uncertain, even for SMTP-like channels
    assert all("writing and checking the message took longer than 0.2 s" in o.detail for o in report.outcomes)


@pytest.mark.parametrize(("idempotent", "expected"), [(False, "uncertain"), (True, "retrying")])
def test_a_failure_after_the_hand_over_is_uncertain_unless_the_channel_is_idempotent(
    store: Store, idempotent: bool, expected: str
) -> None:
    def lost_answer(message: Message) -> DeliveryError:
        return DeliveryError("the server took the message and went quiet", transient=True, maybe_sent=True)

    channel = RecordingChannel(fail=lost_answer)
    pm = plugin_manager_with(channel_plugin(channel, idempotent=idempotent))
    worker = Dispatcher(store, config=Config(), plugin_manager=pm)
    report = worker.run_once(SAMPLE_NOW)
    assert {o.result for o in report.outcomes} == {expected}
    assert len(report.outcomes) == len(SAMPLE_DUE)
    later = worker.run_once(SAMPLE_NOW + dt.timedelta(minutes=5))
    if idempotent:
        assert {o.result for o in later.outcomes} == {"retrying"}  # asked again: the receiver drops repeats
    else:
        assert later.outcomes == []  # never again by itself
        assert {e.status for e in store.outbox()} == {"uncertain"}


def test_a_renamed_rule_keeps_the_identity_and_the_idempotency_key(store: Store) -> None:
    base = load_rulebook()
    renamed = load_rulebook({"extends": "default", "rules": [{"id": "thank-you-note", "enabled": False}, _copy_of_thank_you(base, "say-thanks")]})
    state = store.load_state()
    before = Engine(base).evaluate(state, SAMPLE_NOW).get("thank-you-note:acme:onsite:sam")
    after = Engine(renamed).evaluate(state, SAMPLE_NOW).get("say-thanks:acme:onsite:sam")
    assert before is not None and after is not None and before.key != after.key
    assert before.identity == after.identity == "thank_you_note:acme:onsite:sam"
    channel = RecordingChannel()
    pm = plugin_manager_with(channel_plugin(channel))
    Dispatcher(store, engine=Engine(base), config=Config(), plugin_manager=pm).run_once(SAMPLE_NOW)
    store.activate(Activation("rules", fingerprint(renamed.document), plain(renamed.document), "renamed", SAMPLE_NOW, "t@host"))
    second = Dispatcher(store, engine=Engine(renamed), config=Config(), plugin_manager=pm).run_once(SAMPLE_NOW + dt.timedelta(minutes=1))
    assert second.delivered == []
    sent = [m for m in channel.delivered if m.kind == "thank_you_note" and m.recipient is not None and m.recipient.name == "Sam Roe"]
    assert len(sent) == 1
    # the same note written under the new rule's name carries the same idempotency key
    assert sent[0].idempotency_key == dataclasses.replace(sent[0], action=after, key=after.key).idempotency_key


def _copy_of_thank_you(rulebook: Any, new_id: str) -> dict[str, Any]:
    import json

    rule = next(r for r in rulebook.document["rules"] if r["id"] == "thank-you-note")
    copy: dict[str, Any] = json.loads(json.dumps(rule, default=str))
    copy["id"] = new_id
    return copy


def test_a_subject_that_raises_is_recorded_and_the_others_are_delivered(store: Store) -> None:
    channel = RecordingChannel()
    pm = plugin_manager_with(channel_plugin(channel))
    worker = Dispatcher(store, config=Config(), plugin_manager=pm)
    original = worker._load

    def load(subject: str, now: dt.datetime) -> Any:
        if subject == "acme":
            raise OverflowError("date value out of range")
        return original(subject, now)

    worker._load = load  # type: ignore[method-assign]
    report = worker.run_once(SAMPLE_NOW)
    assert [(f.subject, f.at) for f in report.faults] == [("acme", SAMPLE_NOW)]
    assert "OverflowError: date value out of range" in report.faults[0].error
    assert report.delivered and not any(key.split(":")[1] == "acme" for key in report.delivered)
    assert [f.subject for f in store.faults()] == ["acme"]
    assert "could not be worked on" in report.summary()
    worker._load = original  # type: ignore[method-assign]
    healed = worker.run_once(SAMPLE_NOW + dt.timedelta(hours=2))  # tried again within the hour
    assert any(key.split(":")[1] == "acme" for key in healed.delivered)
    assert store.faults() == []


def test_a_worker_stops_before_taking_work_once_another_rulebook_is_activated(store: Store) -> None:
    from followup.delivery import ActivationChanged, activate, guard_for

    base = load_rulebook()
    config = Config()
    activate(store, "rules", base.document, "default")
    activate(store, "config", config.data, "none")
    channel = RecordingChannel()
    worker = Dispatcher(store, engine=Engine(base), config=config, plugin_manager=plugin_manager_with(channel_plugin(channel)),
                        guard=guard_for(store, base, config))  # fmt: skip
    assert worker.run_once(SAMPLE_NOW).delivered  # the active ones: it runs
    stricter = load_rulebook({"extends": "default", "caps": [{"id": "ceiling", "max": 1}]})
    activate(store, "rules", stricter.document, "stricter.yaml")
    with pytest.raises(ActivationChanged, match=r"active rulebook changed to .* \(stricter\.yaml"):
        worker.tick(SAMPLE_NOW + dt.timedelta(minutes=1))
    assert store.peek_due(SAMPLE_NOW + dt.timedelta(minutes=1), limit=100)  # nothing was leased: all still due
