"""Properties of the dispatcher under any pattern of channel failures (hypothesis):
nothing is delivered twice, nothing is lost, the log and the outbox agree, and the
per-company ceiling is never exceeded."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import examples
from followup import DeliveryError, Engine, Message, load_state
from followup.delivery import Config, Dispatcher
from followup.rules import load_rulebook
from followup.stores.memory import open_memory
from followup.testing.stores import (
    CEILING,
    CONCURRENCY_RULES,
    SAMPLE_NOW,
    RecordingChannel,
    channel_plugin,
    concurrency_state,
    plugin_manager_with,
)

ENGINE = Engine(load_rulebook(CONCURRENCY_RULES))
OUTCOMES = st.sampled_from(["ok", "ok", "transient", "permanent"])


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    script=st.lists(OUTCOMES, min_size=1, max_size=40),
    runs=st.integers(min_value=1, max_value=6),
    idempotent=st.booleans(),
)
def test_any_failure_pattern_keeps_the_guarantees(script: list[str], runs: int, idempotent: bool) -> None:
    store = open_memory("memory:")
    store.import_state(load_state(concurrency_state(2, applications=2, interviewers=3)))
    calls = {"n": 0}

    def fail(message: Message) -> DeliveryError | None:
        outcome = script[calls["n"] % len(script)]
        calls["n"] += 1
        if outcome == "transient":
            return DeliveryError("try later", transient=True)
        if outcome == "permanent":
            return DeliveryError("never", transient=False)
        return None

    channel = RecordingChannel(fail=fail)
    pm = plugin_manager_with(channel_plugin(channel, idempotent=idempotent))
    worker = Dispatcher(store, engine=ENGINE, config=Config(), plugin_manager=pm, backoff=dt.timedelta(minutes=1), max_attempts=3)
    moment = SAMPLE_NOW
    for _ in range(runs):
        worker.run_once(moment)
        moment += dt.timedelta(minutes=10)

    delivered = channel.keys
    assert len(delivered) == len(set(delivered)), "a message was delivered twice"
    outbox = {e.key: e for e in store.outbox()}
    assert {k for k, e in outbox.items() if e.status == "delivered"} == set(delivered)
    # parked: a retry that the ceiling no longer lets through (sent when it frees)
    assert all(e.status in ("delivered", "retrying", "failed", "parked") for e in outbox.values())
    state = store.load_state()
    logged = [c.action for a in state.applications for c in a.contacts if c.action]
    assert len(logged) == len(set(logged))
    # the log holds exactly what went out or may still go out
    assert set(logged) == {k for k, e in outbox.items() if e.status in ("delivered", "retrying")}
    per_company: dict[str, int] = {}
    for application in state.applications:
        counted = sum(1 for c in application.contacts if c.kind == "thank_you_note")
        per_company[application.company] = per_company.get(application.company, 0) + counted
    assert max(per_company.values(), default=0) <= CEILING
    # nothing lost: every action the rulebook still asks for is in the outbox, or held back by the ceiling
    agenda = ENGINE.evaluate(state, moment)
    for action in agenda.pending:
        assert action.key in outbox, action.key
