"""A tick reads the few offers that matter, from an index, and decides exactly as with all of them."""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
from pathlib import Path
from typing import Any

from conftest import application, state_doc
from followup import Engine, load_rulebook, load_state, open_store
from followup.stores.sql import SCHEMA_VERSION

ENGINE = Engine(load_rulebook())
NOW = dt.datetime(2026, 3, 12, 10, 0, tzinfo=dt.UTC)


def _search(seed: int) -> dict[str, Any]:
    """Forty applications, a third of them offers of every priority, some still to come."""
    rng = random.Random(seed)
    apps = []
    for index in range(40):
        status = rng.choice(["offer", "offer", "interviewing", "applied", "rejected"])
        extra: dict[str, Any] = {"priority": rng.randint(1, 5)}
        if status == "offer":
            received = NOW + dt.timedelta(hours=rng.randint(-400, 48))
            extra["offer"] = {"received_at": received.isoformat(), "respond_by": (received + dt.timedelta(days=5)).isoformat()}
        apps.append(application(f"app{index:02d}", status=status, **extra))
    return state_doc(*apps)


def test_the_offers_that_matter_give_every_application_the_same_actions(tmp_path: Path) -> None:
    for seed in range(5):
        document = _search(seed)
        full = load_state(document)
        store = open_store(f"sqlite:///{tmp_path / f's{seed}.sqlite3'}")
        store.import_state(full)
        for moment in (NOW, NOW + dt.timedelta(hours=30), NOW + dt.timedelta(days=3)):
            everything = ENGINE.evaluate(full, moment)
            for app in full.applications:
                partial = store.load_state([app.id], heads="offers", as_of=moment)
                # itself, one offer per priority, the next to come; the accepted one (at
                # most one) and the two wanted most of each live status
                assert len(partial.applications) <= 14
                mine = ENGINE.evaluate(partial, moment, applications=[app.id], candidate=False)
                expected = [a.to_dict() for a in everything if a.application == app.id]
                assert [a.to_dict() for a in mine] == expected, (seed, moment, app.id)


def test_scoped_evaluation_matches_the_full_one_for_each_application() -> None:
    full = load_state(_search(11))
    everything = ENGINE.evaluate(full, NOW)
    for app in full.applications:
        mine = ENGINE.evaluate(full, NOW, applications=[app.id], candidate=False)
        assert [a.key for a in mine] == [a.key for a in everything if a.application == app.id]
    candidate_only = ENGINE.evaluate(full, NOW, applications=(), candidate=True)
    assert [a.key for a in candidate_only] == [a.key for a in everything if a.application is None]


def test_a_store_from_schema_version_1_gains_the_offer_columns(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    store = open_store(f"sqlite:///{path}")
    store.import_state(load_state(_search(3)))
    del store
    # Take the database back to what version 1 wrote.
    db = sqlite3.connect(path)
    db.execute("DROP INDEX followup_applications_offers")
    db.execute("ALTER TABLE followup_applications DROP COLUMN offer_received_at")
    db.execute("ALTER TABLE followup_applications DROP COLUMN priority")
    # and undo what version 3 added (identities, subject faults, activations)
    db.execute("DROP INDEX followup_outbox_identity")
    db.execute("ALTER TABLE followup_outbox DROP COLUMN identity")
    db.execute("ALTER TABLE followup_schedule DROP COLUMN fault")
    db.execute("ALTER TABLE followup_schedule DROP COLUMN fault_at")
    db.execute("DROP TABLE followup_activations")
    db.execute("UPDATE followup_meta SET value = '1' WHERE key = 'schema_version'")
    db.commit()
    db.close()
    reopened = open_store(f"sqlite:///{path}")
    assert reopened.schema_version == SCHEMA_VERSION  # type: ignore[attr-defined]
    db = sqlite3.connect(path)
    rows = db.execute("SELECT id, priority, offer_received_at FROM followup_applications ORDER BY id").fetchall()
    db.close()
    state = load_state(_search(3))
    for (identifier, priority, received), app in zip(rows, state.applications, strict=True):
        assert identifier == app.id and priority == app.priority
        if app.offer is None:
            assert received is None
        else:
            assert dt.datetime.strptime(received, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC) == app.offer.received_at
