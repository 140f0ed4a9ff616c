"""The store conformance suite: every :class:`followup.Store` backend must pass it.

Subclass :class:`StoreConformance` in your plugin's tests and say how to open a
fresh, empty store (and, for a persistent backend, how to open it again)::

    from followup.testing.stores import StoreConformance

    class TestMyStore(StoreConformance):
        def open_store(self, tmp_path):
            return open_my_store(f"mystore://{tmp_path}/db")

        def reopen_store(self, store, tmp_path):  # omit for a non-persistent store
            return open_my_store(store.url)

pytest then runs every ``test_*`` method below against your store: import and
export, partial loads, the wake index and its leases, claims, the outbox, locks
and rollbacks, and a full dispatcher run with a recording channel. Also here:
:func:`sample_state`, a small state with due actions, :class:`RecordingChannel`
and :func:`channel_plugin` to register a test channel through pluggy, and the
``memory_store`` fixture.
"""

from __future__ import annotations

import copy
import datetime as dt
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from .._errors import InvalidInput
from .._time import UTC
from ..delivery import MEDIA, ChannelSpec, DeliveryError, Message, Receipt
from ..state import Contact, Interview, Interviewer, State
from ..stores import JOURNAL, OutboxEntry, Store, StoreError, state_to_document

__all__ = [
    "SAMPLE_NOW",
    "SAMPLE_STATE",
    "RecordingChannel",
    "StoreConformance",
    "channel_plugin",
    "memory_store",
    "plugin_manager_with",
    "sample_state",
]

#: an instant at which :data:`SAMPLE_STATE` has four actions due
SAMPLE_NOW = dt.datetime(2026, 11, 27, 10, 0, tzinfo=UTC)

#: a small state: a thank-you note, a reference alert and two leverage follow-ups due at SAMPLE_NOW
SAMPLE_STATE: dict[str, Any] = {
    "version": 1,
    "candidate": {
        "name": "Robin Example",
        "email": "robin@example.org",
        "timezone": "Europe/Berlin",
        "holidays": {"country": "DE"},
        "references": [{"id": "ref-a", "name": "Ada Reference", "email": "ada@example.org"}],
    },
    "applications": [
        {
            "id": "acme",
            "company": "Acme",
            "position": "Engineer",
            "status": "interviewing",
            "priority": 1,
            "applied_at": "2026-11-02",
            "interviews": [
                {
                    "id": "onsite",
                    "starts_at": "2026-11-26T10:00:00+01:00",
                    "ended_at": "2026-11-26T12:00:00+01:00",
                    "interviewers": [
                        {"id": "pat", "name": "Pat Lee", "title": "CTO", "email": "pat@acme.example"},
                        {"id": "sam", "name": "Sam Roe", "title": "Lead Engineer", "email": "sam@acme.example"},
                    ],
                }
            ],
            "contacts": [
                {"at": "2026-11-26T18:00:00+01:00", "kind": "thank_you_note", "to": "pat", "interview": "onsite", "channel": "email"}
            ],
        },
        {
            "id": "globex",
            "company": "Globex",
            "position": "Analyst",
            "status": "offer",
            "priority": 4,
            "applied_at": "2026-10-01",
            "status_changed_at": "2026-11-25T16:00:00+01:00",
            "offer": {"received_at": "2026-11-25T16:00:00+01:00", "respond_by": "2026-12-04"},
        },
        {
            "id": "initech",
            "company": "Initech",
            "position": "Developer",
            "status": "interviewing",
            "applied_at": "2026-11-10",
            "interviews": [
                {
                    "id": "screen",
                    "starts_at": "2026-11-24T15:00:00+01:00",
                    "ended_at": "2026-11-24T15:30:00+01:00",
                    "interviewers": [{"id": "lee", "name": "Lee Park", "title": "Recruiter", "email": "lee@initech.example"}],
                }
            ],
            "contacts": [
                {"at": "2026-11-24T18:00:00+01:00", "kind": "thank_you_note", "to": "lee", "interview": "screen"},
                {"at": "2026-11-24T18:05:00+01:00", "kind": "reference_alert", "to": "ref-a"},
            ],
        },
    ],
}

#: the keys due in SAMPLE_STATE at SAMPLE_NOW
SAMPLE_DUE = frozenset(
    {
        "thank-you-note:acme:onsite:sam",
        "alert-references:acme::ref-a",
        "leverage-offer:acme:20261125T1500Z",
        "leverage-offer:initech:20261125T1500Z",
    }
)


def sample_state() -> State:
    """:data:`SAMPLE_STATE` loaded."""
    from ..state import load_state

    return load_state(copy.deepcopy(SAMPLE_STATE))


class RecordingChannel:
    """A channel that keeps what it delivers; ``fail`` decides, per message, to raise.

    :param fail: called with each message before it is kept; return a
        :class:`followup.DeliveryError` to raise instead of delivering.
    """

    def __init__(self, name: str = "recorder", fail: Callable[[Message], DeliveryError | None] | None = None) -> None:
        self.name = name
        self.fail = fail
        self.delivered: list[Message] = []
        self.attempts = 0
        self._lock = threading.Lock()

    def deliver(self, message: Message) -> Receipt:
        with self._lock:
            self.attempts += 1
        if self.fail is not None:
            error = self.fail(message)
            if error is not None:
                raise error
        with self._lock:
            self.delivered.append(message)
        return Receipt(channel=self.name, reference=message.idempotency_key)

    @property
    def keys(self) -> list[str]:
        return [m.key for m in self.delivered]


def channel_plugin(channel: Any, *, name: str = "console", idempotent: bool = True) -> object:
    """A pluggy plugin registering ``channel`` under ``name`` for every medium.

    Registered with ``name="console"`` (the default) it takes the place of the
    default channel, so every action the configuration does not route elsewhere
    goes to it.
    """
    from ..plugins import hookimpl

    spec = ChannelSpec(
        name=name,
        media=MEDIA,
        idempotent=idempotent,
        build=lambda settings: channel,
        description="test channel",
    )

    class Plugin:
        channel_name = name

        @hookimpl
        def followup_register_channels(self, register: Callable[[ChannelSpec], None]) -> None:
            register(spec)

    return Plugin()


def plugin_manager_with(*plugins: object) -> Any:
    """A plugin manager with the built-ins (no entry points) and ``plugins`` registered after
    them (so they are asked first); a :func:`channel_plugin` named like a built-in
    channel (``console``) replaces it."""
    from ..plugins import build_plugin_manager

    pm = build_plugin_manager(entry_points=False)
    for index, plugin in enumerate(plugins):
        name = getattr(plugin, "channel_name", None)
        if name is not None and pm.get_plugin(f"followup.delivery.channels.{name}") is not None:
            pm.unregister(name=f"followup.delivery.channels.{name}")  # the test channel takes the built-in's place
        pm.register(plugin, name=f"test-plugin-{index}")
    return pm


@pytest.fixture
def memory_store() -> Iterator[Store]:
    """A fresh, empty in-memory store."""
    from ..stores.memory import open_memory

    store = open_memory("memory:")
    yield store
    store.close()


def _entry(key: str, subject: str, now: dt.datetime, *, idempotent: bool = True) -> OutboxEntry:
    return OutboxEntry(
        key=key,
        application=subject,
        status="claimed",
        attempts=1,
        channel="recorder",
        idempotent=idempotent,
        claimed_at=now,
        updated_at=now,
        action={"key": key},
        lease_until=now + dt.timedelta(minutes=5),
    )


class StoreConformance:
    """Behaviour every store must have. Subclass it and implement :meth:`open_store`."""

    def open_store(self, tmp_path: Path) -> Store:
        """A new, empty store."""
        raise NotImplementedError

    def reopen_store(self, store: Store, tmp_path: Path) -> Store | None:
        """The same store opened again (``None``: the backend does not persist)."""
        return None

    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[Store]:
        store = self.open_store(tmp_path)
        yield store
        store.close()

    @pytest.fixture
    def loaded(self, store: Store) -> Store:
        store.import_state(sample_state())
        return store

    # -- state in and out ---------------------------------------------------------

    def test_is_a_store(self, store: Store) -> None:
        assert isinstance(store, Store)
        assert not store.has_state()

    def test_empty_store_says_to_import(self, store: Store) -> None:
        with pytest.raises(StoreError, match="followup import"):
            store.load_state()

    def test_import_then_export_round_trips(self, store: Store) -> None:
        from ..state import load_state

        state = sample_state()
        report = store.import_state(state)
        assert report.applications_added == 3 and report.contacts_added == 3 and report.candidate_changed
        exported = store.export_document()
        assert state_to_document(load_state(exported)) == state_to_document(state)

    def test_importing_twice_changes_nothing(self, store: Store) -> None:
        store.import_state(sample_state())
        before = store.export_document()
        report = store.import_state(sample_state())
        assert not report.changed, report
        assert store.export_document() == before

    def test_import_merges_and_marks_changed_subjects_due(self, loaded: Store) -> None:
        later = SAMPLE_NOW + dt.timedelta(days=30)
        for subject in loaded.lease_due(later, limit=10, worker="w", lease=dt.timedelta(minutes=1)):
            loaded.release(subject, later + dt.timedelta(days=300))
        document = copy.deepcopy(SAMPLE_STATE)
        document["applications"][2]["status"] = "withdrawn"
        document["applications"][2]["status_changed_at"] = "2026-11-27T09:00:00+01:00"
        from ..state import load_state

        report = loaded.import_state(load_state(document))
        # the application, and the candidate's own log (the count of live applications changed)
        assert report.applications_changed == 1 and report.changed_subjects == (JOURNAL, "initech")
        assert loaded.peek_due(later, limit=10) == [JOURNAL, "initech"]
        assert loaded.load_state(["initech"]).application("initech").status == "withdrawn"  # type: ignore[union-attr]

    def test_persists(self, loaded: Store, tmp_path: Path) -> None:
        again = self.reopen_store(loaded, tmp_path)
        if again is None:
            pytest.skip("this store does not persist")
        try:
            assert again.export_document() == loaded.export_document()
        finally:
            again.close()

    def test_load_state_subset_with_offer_heads(self, loaded: Store) -> None:
        state = loaded.load_state(["initech"], heads="offers")
        assert [a.id for a in state.applications] == ["globex", "initech"]
        globex = state.application("globex")
        assert globex is not None and globex.offer is not None and globex.contacts == ()
        full = loaded.load_state(["acme"])
        assert [a.id for a in full.applications] == ["acme"]
        acme = full.application("acme")
        assert acme is not None and len(acme.contacts) == 1 and acme.interviews[0].interviewers[1].id == "sam"
        every = loaded.load_state([], heads="all")
        assert {a.id for a in every.applications} == {"acme", "globex", "initech"}

    def test_applications_of_company(self, loaded: Store) -> None:
        assert loaded.applications_of_company("acme") == ["acme"]
        assert loaded.applications_of_company("nope") == []

    # -- recording what happened -------------------------------------------------

    def test_record_contact_and_status_and_interview(self, loaded: Store) -> None:
        at = dt.datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
        loaded.record_contact("acme", Contact(at=at, kind="reply", direction="in", note="next week"))
        loaded.record_contact(None, Contact(at=at, kind="keep_searching"))
        loaded.set_status("initech", "offer", at)
        loaded.add_interview(
            "initech",
            Interview(id="final", starts_at=at + dt.timedelta(days=3), interviewers=(Interviewer(id="kai", name="Kai"),)),
        )
        state = loaded.load_state()
        acme, initech = state.application("acme"), state.application("initech")
        assert acme is not None and acme.contacts[-1].kind == "reply" and acme.contacts[-1].direction == "in"
        assert [c.kind for c in state.contacts] == ["keep_searching"]
        assert initech is not None and initech.status == "offer" and initech.status_changed_at == at
        assert [i.id for i in initech.interviews] == ["screen", "final"] and initech.interviews[1].interviewers[0].name == "Kai"

    def test_bad_records_are_refused_and_change_nothing(self, loaded: Store) -> None:
        before = loaded.export_document()
        at = SAMPLE_NOW
        with pytest.raises(InvalidInput, match=r"no application 'acmee'.*acme"):
            loaded.record_contact("acmee", Contact(at=at, kind="reply", direction="in"))
        with pytest.raises(InvalidInput, match="unknown interviewer or reference 'nobody'"):
            loaded.record_contact("acme", Contact(at=at, kind="thank_you_note", to="nobody"))
        with pytest.raises(InvalidInput, match="unknown status 'hired'"):
            loaded.set_status("acme", "hired", at)
        assert loaded.export_document() == before

    # -- the wake index ------------------------------------------------------------

    def test_everything_is_due_after_import_and_leases_are_disjoint(self, loaded: Store) -> None:
        lease = dt.timedelta(minutes=5)
        first = loaded.lease_due(SAMPLE_NOW, limit=2, worker="one", lease=lease)
        second = loaded.lease_due(SAMPLE_NOW, limit=10, worker="two", lease=lease)
        assert len(first) == 2 and not set(first) & set(second)
        assert set(first) | set(second) == {JOURNAL, "acme", "globex", "initech"}
        assert loaded.lease_due(SAMPLE_NOW, limit=10, worker="three", lease=lease) == []
        # a lease that ran out (its worker died) is taken over
        assert set(loaded.lease_due(SAMPLE_NOW + lease, limit=10, worker="three", lease=lease)) == set(first) | set(second)

    def test_release_sets_the_next_wake(self, loaded: Store) -> None:
        lease = dt.timedelta(minutes=5)
        wake = SAMPLE_NOW + dt.timedelta(hours=3)
        for subject in loaded.lease_due(SAMPLE_NOW, limit=10, worker="w", lease=lease):
            loaded.release(subject, wake if subject == "acme" else None)
        assert loaded.peek_due(wake - dt.timedelta(seconds=1), limit=10) == []
        assert loaded.peek_due(wake, limit=10) == ["acme"]
        assert loaded.next_wake_at() == wake

    def test_a_change_while_leased_is_not_lost(self, loaded: Store) -> None:
        lease = dt.timedelta(minutes=5)
        taken = loaded.lease_due(SAMPLE_NOW, limit=10, worker="w", lease=lease)
        assert "acme" in taken
        loaded.record_contact("acme", Contact(at=SAMPLE_NOW, kind="reply", direction="in"))
        for subject in taken:
            loaded.release(subject, SAMPLE_NOW + dt.timedelta(days=9))
        assert loaded.peek_due(SAMPLE_NOW, limit=10) == ["acme"]

    def test_naive_instants_are_refused(self, loaded: Store) -> None:
        with pytest.raises(InvalidInput, match="no time zone"):
            loaded.lease_due(dt.datetime(2026, 11, 27, 10, 0), limit=1, worker="w", lease=dt.timedelta(minutes=1))

    # -- claims and the outbox ---------------------------------------------------------

    def test_a_key_is_claimed_once(self, loaded: Store) -> None:
        contact = Contact(at=SAMPLE_NOW, kind="thank_you_note", to="sam", interview="onsite", action="k1")
        with loaded.locked("acme"):
            assert loaded.claim(_entry("k1", "acme", SAMPLE_NOW), contact)
        with loaded.locked("acme"):
            assert not loaded.claim(_entry("k1", "acme", SAMPLE_NOW), contact)
        entry = loaded.outbox_entry("k1")
        assert entry is not None and entry.status == "claimed" and entry.attempts == 1 and entry.application == "acme"
        acme = loaded.load_state(["acme"]).application("acme")
        assert acme is not None and sum(1 for c in acme.contacts if c.action == "k1") == 1

    def test_an_exception_inside_locked_rolls_back(self, loaded: Store) -> None:
        contact = Contact(at=SAMPLE_NOW, kind="thank_you_note", to="sam", interview="onsite", action="k2")
        with pytest.raises(RuntimeError), loaded.locked("acme"):
            loaded.claim(_entry("k2", "acme", SAMPLE_NOW), contact)
            raise RuntimeError("crash inside the transaction")
        assert loaded.outbox_entry("k2") is None
        acme = loaded.load_state(["acme"]).application("acme")
        assert acme is not None and all(c.action != "k2" for c in acme.contacts)

    def test_outcomes(self, loaded: Store) -> None:
        later = SAMPLE_NOW + dt.timedelta(minutes=1)
        for key in ("ok", "again", "bad"):
            loaded.claim(_entry(key, "acme", SAMPLE_NOW), Contact(at=SAMPLE_NOW, kind="thank_you_note", to="sam", action=key))
        loaded.update_outbox("ok", status="delivered", now=later, receipt={"channel": "recorder", "reference": "r-1", "detail": ""})
        loaded.update_outbox("again", status="retrying", now=later, error="503", next_attempt_at=later + dt.timedelta(minutes=2))
        loaded.update_outbox("bad", status="failed", now=later, error="refused")
        ok, again, bad = (loaded.outbox_entry(k) for k in ("ok", "again", "bad"))
        assert ok is not None and ok.status == "delivered" and ok.receipt is not None and ok.receipt["reference"] == "r-1"
        assert again is not None and again.next_attempt_at == later + dt.timedelta(minutes=2) and again.error == "503"
        assert bad is not None and bad.status == "failed" and bad.updated_at == later
        acme = loaded.load_state(["acme"]).application("acme")
        assert acme is not None
        logged = {c.action for c in acme.contacts}
        assert {"ok", "again"} <= logged and "bad" not in logged  # a failed delivery never happened
        assert [e.key for e in loaded.outbox(("failed", "retrying"))] == ["again", "bad"]
        assert [e.key for e in loaded.outbox(application="globex")] == []
        assert loaded.outbox(()) == []

    def test_forget_lets_a_key_be_claimed_again(self, loaded: Store) -> None:
        contact = Contact(at=SAMPLE_NOW, kind="thank_you_note", to="sam", action="k3")
        loaded.claim(_entry("k3", "acme", SAMPLE_NOW, idempotent=False), contact)
        loaded.update_outbox("k3", status="uncertain", now=SAMPLE_NOW, error="crash")
        assert loaded.forget("k3") and not loaded.forget("k3")
        assert loaded.outbox_entry("k3") is None
        assert loaded.claim(_entry("k3", "acme", SAMPLE_NOW), contact)

    # -- the dispatcher on this store ------------------------------------------------------

    def test_dispatcher_delivers_each_due_action_once(self, loaded: Store) -> None:
        from ..delivery import Config, Dispatcher

        channel = RecordingChannel()
        dispatcher = Dispatcher(loaded, config=Config(), plugin_manager=plugin_manager_with(channel_plugin(channel)))
        report = dispatcher.run_once(SAMPLE_NOW)
        assert sorted(report.delivered) == sorted(SAMPLE_DUE)
        assert sorted(channel.keys) == sorted(SAMPLE_DUE)
        assert dispatcher.run_once(SAMPLE_NOW).outcomes == []
        assert dispatcher.run_once(SAMPLE_NOW + dt.timedelta(hours=2)).outcomes == []
        assert sorted(channel.keys) == sorted(SAMPLE_DUE)
        assert {e.key for e in loaded.outbox(("delivered",))} == SAMPLE_DUE
        # the next wake is the agenda's, not "now"
        wake = loaded.next_wake_at()
        assert wake is not None and wake > SAMPLE_NOW

    # -- crashes and concurrent workers (stores other processes can open) ---------------

    #: due actions in the concurrency test; set ``concurrent_workers = 0`` to skip it
    concurrency_companies = 150
    concurrent_workers = 4

    @pytest.mark.parametrize("idempotent", [True, False], ids=["idempotent", "not-idempotent"])
    def test_sigkill_between_claim_and_record(self, loaded: Store, tmp_path: Path, idempotent: bool) -> None:
        """A worker killed (SIGKILL) after claiming and before recording: nothing is sent
        twice, nothing is lost; a non-idempotent delivery becomes ``uncertain``."""
        import signal
        import subprocess
        import sys

        from ..delivery import Config, Dispatcher

        if self.reopen_store(loaded, tmp_path) is None:
            pytest.skip("this store lives in one process; another process cannot open it")
        child = subprocess.Popen(
            [sys.executable, "-m", "followup.testing.stores", "hang", loaded.url, "1" if idempotent else "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert child.stdout is not None
            line = child.stdout.readline()  # the child is inside deliver(), after its claim committed
            assert line.startswith("DELIVERING "), (line, child.stderr.read() if child.stderr else "")
            in_flight = line.split(" ", 1)[1].strip()
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait()
        assert child.returncode == -signal.SIGKILL
        claims = loaded.outbox(("claimed",))
        claimed = {e.key for e in claims}
        assert in_flight in claimed
        # still leased and claimed: another worker at the same moment leaves them alone
        channel = RecordingChannel()
        dispatcher = Dispatcher(
            loaded, config=Config(), plugin_manager=plugin_manager_with(channel_plugin(channel, idempotent=idempotent))
        )
        dispatcher.run_once(SAMPLE_NOW)
        assert not set(channel.keys) & claimed
        # once the leases run out the work is recovered
        later = max(e.lease_until or SAMPLE_NOW for e in claims) + dt.timedelta(seconds=1)
        dispatcher.run_once(later)
        dispatcher.run_once(later + dt.timedelta(minutes=1))
        delivered = channel.keys
        assert len(delivered) == len(set(delivered)), "a message was sent twice"
        uncertain = {e.key for e in loaded.outbox(("uncertain",))}
        if idempotent:
            assert set(delivered) == SAMPLE_DUE and not uncertain
        else:
            assert uncertain == claimed and not set(delivered) & claimed
            assert set(delivered) | uncertain == SAMPLE_DUE
            # and a later run never sends them
            dispatcher.run_once(later + dt.timedelta(hours=1))
            assert sorted(channel.keys) == sorted(delivered)
        statuses = {e.key: e.status for e in loaded.outbox()}
        assert set(statuses) == SAMPLE_DUE

    def test_concurrent_workers_deliver_everything_once_within_caps(self, store: Store, tmp_path: Path) -> None:
        """Several worker processes over thousands of due actions: each is delivered
        exactly once, and the per-company ceiling holds (counted from the store)."""
        import subprocess
        import sys
        from collections import Counter

        if not self.concurrent_workers or self.reopen_store(store, tmp_path) is None:
            pytest.skip("this store is not shared between processes")
        from ..state import load_state

        store.import_state(load_state(concurrency_state(self.concurrency_companies)))
        outputs = [tmp_path / f"worker-{n}.txt" for n in range(self.concurrent_workers)]
        workers = [
            subprocess.Popen(
                [sys.executable, "-m", "followup.testing.stores", "work", store.url, str(out)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for out in outputs
        ]
        for worker in workers:
            _, err = worker.communicate(timeout=600)
            assert worker.returncode == 0, err
        sent = [line for out in outputs if out.exists() for line in out.read_text().splitlines()]
        per_worker = [len(out.read_text().splitlines()) if out.exists() else 0 for out in outputs]
        assert len(sent) == len(set(sent)), "an action was delivered twice"
        expected = self.concurrency_companies * CEILING
        assert len(sent) == expected, (len(sent), per_worker)
        assert sum(1 for n in per_worker if n) >= 2, f"the work was not shared: {per_worker}"
        delivered = store.outbox(("delivered",))
        assert {e.key for e in delivered} == set(sent)
        assert not store.outbox(("claimed", "retrying", "failed", "uncertain"))
        state = store.load_state()
        per_company = Counter(a.company for a in state.applications for c in a.contacts if c.kind == "thank_you_note")
        assert max(per_company.values()) == CEILING and len(per_company) == self.concurrency_companies


#: the per-company ceiling of :data:`CONCURRENCY_RULES`
CEILING = 5

#: one rule (a note to every interviewer) under a ceiling per company, for the concurrency test
CONCURRENCY_RULES: dict[str, Any] = {
    "version": 1,
    "caps": [{"id": "company-ceiling", "counts": ["thank_you_note"], "per": "company", "max": CEILING, "within": {"days": 7}}],
    "rules": [
        {
            "id": "note",
            "kind": "thank_you_note",
            "for_each": "interviewer",
            "when": {"fact": "interview.ended_at", "is": "set"},
            "window": {"opens": {"at": "interview.ended_at"}, "due": {"at": "interview.ended_at", "plus": {"days": 2}}},
            "done_when": [{"kind": "thank_you_note", "to": "recipient", "interview": "current"}],
            "channel": "email",
            "caps": ["company-ceiling"],
        }
    ],
}


def concurrency_state(companies: int, applications: int = 2, interviewers: int = 4) -> dict[str, Any]:
    """``companies`` x ``applications`` applications, each with one finished interview and
    ``interviewers`` interviewers: that many notes due at SAMPLE_NOW, more than the ceiling allows."""
    document = copy.deepcopy(SAMPLE_STATE)
    document["applications"] = [
        {
            "id": f"c{c:04d}-a{a}",
            "company": f"Company {c:04d}",
            "position": "Engineer",
            "status": "interviewing",
            "interviews": [
                {
                    "id": "onsite",
                    "starts_at": "2026-11-26T10:00:00+01:00",
                    "ended_at": "2026-11-26T12:00:00+01:00",
                    "interviewers": [
                        {"id": f"p{i}", "name": f"Person {i}", "email": f"p{i}@c{c}.example"} for i in range(interviewers)
                    ],
                }
            ],
        }
        for c in range(companies)
        for a in range(applications)
    ]
    return document


class _PlainRenderer:
    """A fast renderer for the workers of the concurrency test (one line per message)."""

    from ..plugins import hookimpl as _hookimpl

    @_hookimpl
    def followup_render_message(self, action: Any, context: Any) -> Message:
        from ..delivery import Party

        return Message(
            key=action.key,
            kind=action.kind,
            medium="email",
            subject=f"{action.kind} for {action.recipient}",
            body="Thank you.",
            sender=Party(name="Robin Example"),
            recipient=Party(name=action.recipient_name),
            action=action,
        )


def _bare_plugin_manager(*plugins: object) -> Any:
    """Hookspecs and ``plugins`` only: no message checks, no built-in renderer or channels."""
    import pluggy

    from ..plugins import hookspecs

    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    for index, plugin in enumerate(plugins):
        pm.register(plugin, name=f"worker-plugin-{index}")
    return pm


class _AppendingChannel:
    """Appends each delivered key to a file (one process per file)."""

    def __init__(self, path: str) -> None:
        self.file = open(path, "a", encoding="utf-8")  # noqa: SIM115 - closed when the worker exits

    def deliver(self, message: Message) -> Receipt:
        self.file.write(message.key + "\n")
        self.file.flush()
        return Receipt(channel="console", reference=message.key)


class _HangingChannel:
    """Says which key it is delivering on standard output, then never returns."""

    def deliver(self, message: Message) -> Receipt:
        import sys

        sys.stdout.write(f"DELIVERING {message.key}\n")
        sys.stdout.flush()
        threading.Event().wait()
        raise AssertionError("unreachable")


def _main(argv: list[str]) -> int:
    """Worker processes for the crash and concurrency tests (``python -m followup.testing.stores``)."""
    from ..delivery import Config, Dispatcher
    from ..engine import Engine
    from ..rules import load_rulebook
    from ..stores import open_store

    mode, url = argv[0], argv[1]
    store = open_store(url, create=False)
    if mode == "hang":
        plugin = channel_plugin(_HangingChannel(), idempotent=argv[2] == "1")
        dispatcher = Dispatcher(store, config=Config(), plugin_manager=plugin_manager_with(plugin), timeout=600)
        dispatcher.run_once(SAMPLE_NOW)
        return 1  # never reached: the parent kills this process
    if mode == "work":
        pm = _bare_plugin_manager(channel_plugin(_AppendingChannel(argv[2]), idempotent=False), _PlainRenderer())
        engine = Engine(load_rulebook(CONCURRENCY_RULES))
        dispatcher = Dispatcher(store, engine=engine, config=Config(), plugin_manager=pm, batch=10)
        dispatcher.run_once(SAMPLE_NOW)
        return 0
    raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    import sys

    raise SystemExit(_main(sys.argv[1:]))
