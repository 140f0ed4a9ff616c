"""A :class:`followup.Store` over a DB-API connection, shared by SQLite and PostgreSQL.

The schema (tables prefixed ``followup_``):

``followup_meta``
    key/value: ``schema_version``, ``candidate`` (a JSON document), ``state_version``.
``followup_applications``
    one row per application: its head (a JSON document without interviews and
    contacts), its interviews (JSON), and ``company_key``/``status`` columns to find
    applications at one company or at the offer stage.
``followup_contacts``
    the contact log, one row per entry, by subject, with a digest that makes an
    identical entry impossible to log twice (so imports are idempotent) and, for
    entries the dispatcher logged, the outbox key they belong to.
``followup_schedule``
    the wake index: ``next_wake_at`` per subject (indexed), the lease that gives a
    subject to one worker at a time, and a ``dirty`` flag set when the subject
    changed while leased (so the worker's release does not hide the change).
``followup_outbox``
    one row per claimed action key.

Instants are stored as fixed-width UTC text (``2026-11-30T08:30:00.000000Z``), which
sorts like time in every database. A :class:`Dialect` says what differs between
databases: parameter style, how to start a write transaction, how to lock one
subject and how to take due rows without waiting for other workers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from typing import Any

from .._errors import InvalidInput
from .._time import UTC
from ..state import STATUSES, Contact, Interview, State
from ._store import (
    JOURNAL,
    ImportReport,
    OutboxEntry,
    StoreError,
    application_head,
    build_state,
    candidate_to_document,
    canonical,
    contact_to_document,
    interview_to_document,
)

__all__ = ["DUE", "MIGRATIONS", "SCHEMA_VERSION", "Dialect", "SQLStore", "decode_instant", "encode_instant"]

#: the wake time of a subject that must be evaluated at the next tick
DUE = "0001-01-01T00:00:00.000000Z"


def encode_instant(value: dt.datetime | None) -> str | None:
    """Fixed-width UTC text that sorts like the instants it encodes."""
    if value is None:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput.single("now", f"{value.isoformat()} has no time zone; pass an aware datetime")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def decode_instant(value: str | None) -> dt.datetime | None:
    if value is None or value == DUE:
        return None
    return dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


#: schema migrations: (version, statements); ``{id}`` is the dialect's auto-increment key
MIGRATIONS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (
        1,
        (
            "CREATE TABLE followup_applications (id TEXT PRIMARY KEY, company_key TEXT NOT NULL, "
            "status TEXT NOT NULL, head TEXT NOT NULL, interviews TEXT NOT NULL)",
            "CREATE INDEX followup_applications_company ON followup_applications (company_key)",
            "CREATE INDEX followup_applications_status ON followup_applications (status)",
            "CREATE TABLE followup_contacts (id {id}, subject TEXT NOT NULL, digest TEXT NOT NULL, "
            "doc TEXT NOT NULL, outbox_key TEXT)",
            "CREATE UNIQUE INDEX followup_contacts_unique ON followup_contacts (subject, digest)",
            "CREATE INDEX followup_contacts_outbox ON followup_contacts (outbox_key)",
            "CREATE TABLE followup_schedule (subject TEXT PRIMARY KEY, next_wake_at TEXT, "
            "lease_until TEXT, leased_by TEXT, dirty INTEGER NOT NULL DEFAULT 0)",
            "CREATE INDEX followup_schedule_wake ON followup_schedule (next_wake_at)",
            "CREATE TABLE followup_outbox (key TEXT PRIMARY KEY, subject TEXT NOT NULL, status TEXT NOT NULL, "
            "attempts INTEGER NOT NULL, channel TEXT NOT NULL, idempotent INTEGER NOT NULL, "
            "claimed_at TEXT NOT NULL, updated_at TEXT NOT NULL, error TEXT, next_attempt_at TEXT, "
            "lease_until TEXT, receipt TEXT, action TEXT NOT NULL)",
            "CREATE INDEX followup_outbox_subject ON followup_outbox (subject, status)",
            "CREATE INDEX followup_outbox_status ON followup_outbox (status, next_attempt_at)",
        ),
    ),
    (
        2,
        (
            # What the competing-offer facts need, indexed, so that a tick reads the
            # few offers that matter instead of every application at the offer stage.
            "ALTER TABLE followup_applications ADD COLUMN priority INTEGER NOT NULL DEFAULT 3",
            "ALTER TABLE followup_applications ADD COLUMN offer_received_at TEXT",
            "CREATE INDEX followup_applications_offers ON followup_applications (status, priority, offer_received_at, id)",
        ),
    ),
)

#: the schema version this followup writes
SCHEMA_VERSION = MIGRATIONS[-1][0]

_OUTBOX_COLUMNS = (
    "key, subject, status, attempts, channel, idempotent, claimed_at, updated_at, error, "
    "next_attempt_at, lease_until, receipt, action"
)


def _offer_columns(application: Any) -> tuple[int, str | None]:
    """The indexed ``priority`` and ``offer_received_at`` of an application (model or head)."""
    if isinstance(application, dict):
        offer = application.get("offer") or {}
        received = offer.get("received_at")
        instant = dt.datetime.fromisoformat(received) if received else None
        return int(application.get("priority", 3)), encode_instant(instant) if instant and instant.tzinfo else None
    offer = application.offer
    return application.priority, encode_instant(offer.received_at) if offer is not None else None


class Dialect:
    """What differs between the databases an :class:`SQLStore` runs on.

    :ivar placeholder: the driver's parameter marker (``?`` or ``%s``).
    :ivar begin: the statement starting a write transaction.
    :ivar skip_locked: appended to the due-subject query so that concurrent workers
        pass over rows another one is taking.
    :ivar identity: the column type of an auto-increment primary key.
    """

    placeholder = "?"
    begin = "BEGIN"
    skip_locked = ""
    identity = "INTEGER PRIMARY KEY AUTOINCREMENT"

    def lock_subject(self, store: SQLStore, subject: str) -> None:
        """Lock one subject until the current transaction ends (default: nothing more
        than the transaction's own write lock)."""

    def lock_migrations(self, store: SQLStore) -> None:
        """Serialise schema migrations between processes (inside the transaction)."""

    def translate(self, error: Exception, url: str) -> StoreError | None:
        """A :class:`StoreError` a person can act on for a driver error, or ``None``."""
        return None


class SQLStore:
    """The :class:`followup.Store` protocol over one DB-API connection.

    :param connection: an open connection in autocommit mode (transactions are
        started explicitly with :attr:`Dialect.begin`).
    :param url: the store URL, for messages.
    :param errors: the driver's exception base class(es), translated by the dialect.
    """

    def __init__(self, connection: Any, dialect: Dialect, url: str, errors: type[Exception] | tuple[type[Exception], ...]) -> None:
        self.url = url
        self._connection = connection
        self._dialect = dialect
        self._errors = errors
        self._depth = 0
        # one connection: threads sharing this store take turns, a transaction at a time
        self._lock = threading.RLock()
        self._migrate()

    # -- plumbing -----------------------------------------------------------

    def _sql(self, statement: str) -> str:
        return statement if self._dialect.placeholder == "?" else statement.replace("?", self._dialect.placeholder)

    def _run(self, statement: str, parameters: Sequence[Any] = ()) -> Any:
        with self._lock:
            cursor = self._connection.cursor()
            try:
                cursor.execute(self._sql(statement), tuple(parameters))
            except self._errors as exc:
                translated = self._dialect.translate(exc, self.url)
                if translated is not None:
                    raise translated from None
                raise
            return cursor

    def _all(self, statement: str, parameters: Sequence[Any] = ()) -> list[Any]:
        return list(self._run(statement, parameters).fetchall())

    def _one(self, statement: str, parameters: Sequence[Any] = ()) -> Any:
        return self._run(statement, parameters).fetchone()

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        with self._lock, self._open_transaction():
            yield

    @contextmanager
    def _open_transaction(self) -> Iterator[None]:
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._run(self._dialect.begin)
        self._depth = 1
        try:
            yield
        except BaseException:
            self._depth = 0
            with suppress(Exception):  # the original error matters more
                self._run("ROLLBACK")
            raise
        self._depth = 0
        try:
            self._run("COMMIT")
        except BaseException:
            with suppress(Exception):  # the original error matters more
                self._run("ROLLBACK")
            raise

    def _in(self, values: Collection[str]) -> str:
        return ",".join("?" for _ in values)

    def _migrate(self) -> None:
        with self._transaction():
            self._dialect.lock_migrations(self)
            self._run("CREATE TABLE IF NOT EXISTS followup_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            row = self._one("SELECT value FROM followup_meta WHERE key = 'schema_version'")
            current = int(row[0]) if row else 0
            if current > SCHEMA_VERSION:
                raise StoreError(
                    f"the store {self.url} has schema version {current}, written by a newer followup; "
                    f"this followup knows versions up to {SCHEMA_VERSION}: upgrade followup (pip install -U followup) "
                    "or point --store at another database"
                )
            for version, statements in MIGRATIONS:
                if version <= current:
                    continue
                for statement in statements:
                    self._run(statement.replace("{id}", self._dialect.identity))
                if version == 2 and current > 0:
                    self._fill_offer_columns()
                self._set_meta("schema_version", str(version))

    def _fill_offer_columns(self) -> None:
        """Migration 2 on a store that already holds applications: fill the new columns."""
        for identifier, head in self._all("SELECT id, head FROM followup_applications"):
            priority, received = _offer_columns(json.loads(head))
            self._run(
                "UPDATE followup_applications SET priority = ?, offer_received_at = ? WHERE id = ?",
                (priority, received, identifier),
            )

    def _set_meta(self, key: str, value: str) -> None:
        self._run(
            "INSERT INTO followup_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def _meta(self, key: str) -> str | None:
        row = self._one("SELECT value FROM followup_meta WHERE key = ?", (key,))
        return str(row[0]) if row else None

    @property
    def schema_version(self) -> int:
        """The schema version of the database (after automatic migrations)."""
        value = self._meta("schema_version")
        return int(value) if value else 0

    def close(self) -> None:
        self._connection.close()

    # -- state --------------------------------------------------------------

    def has_state(self) -> bool:
        return self._meta("candidate") is not None

    def _mark_due(self, subject: str) -> None:
        self._run(
            "INSERT INTO followup_schedule (subject, next_wake_at, dirty) VALUES (?, ?, 1) "
            "ON CONFLICT (subject) DO UPDATE SET next_wake_at = excluded.next_wake_at, dirty = 1",
            (subject, DUE),
        )

    def _mark_all_due(self) -> None:
        self._run("UPDATE followup_schedule SET next_wake_at = ?, dirty = 1", (DUE,))

    @staticmethod
    def _reaches_others(old: dict[str, Any] | None, new: dict[str, Any]) -> bool:
        """Whether a change of an application's head can change other applications' agendas:
        competing offers compare offers and priorities, company caps count by company."""
        if old is None:
            return new.get("status") == "offer"
        if "offer" in (old.get("status"), new.get("status")):
            return True
        return any(old.get(k) != new.get(k) for k in ("company", "priority"))

    def _add_contact(self, subject: str, contact: Contact, outbox_key: str | None = None) -> bool:
        doc = canonical(contact_to_document(contact))
        digest = hashlib.sha256(doc.encode("utf-8")).hexdigest()
        cursor = self._run(
            "INSERT INTO followup_contacts (subject, digest, doc, outbox_key) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (subject, digest) DO NOTHING",
            (subject, digest, doc, outbox_key),
        )
        return bool(cursor.rowcount)

    def import_state(self, state: State) -> ImportReport:
        added = changed = contacts = 0
        touched: set[str] = set()
        with self._transaction():
            candidate = canonical(candidate_to_document(state.candidate))
            candidate_changed = self._meta("candidate") != candidate
            if candidate_changed:
                self._set_meta("candidate", candidate)
                # the zone, calendar or references changed: every agenda may change
                for (subject,) in self._all("SELECT subject FROM followup_schedule"):
                    touched.add(subject)
            if self._meta("state_version") != str(state.version):
                self._set_meta("state_version", str(state.version))
            everyone = False
            for application in state.applications:
                head = canonical(application_head(application))
                interviews = canonical({"interviews": [interview_to_document(i) for i in application.interviews]})
                row = self._one("SELECT head, interviews FROM followup_applications WHERE id = ?", (application.id,))
                if row is None:
                    self._run(
                        "INSERT INTO followup_applications (id, company_key, status, head, interviews, priority, "
                        "offer_received_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (application.id, application.company.casefold(), application.status, head, interviews,
                         *_offer_columns(application)),
                    )
                    added += 1
                    touched.update((application.id, JOURNAL))
                    everyone = everyone or self._reaches_others(None, json.loads(head))
                elif (row[0], row[1]) != (head, interviews):
                    everyone = everyone or self._reaches_others(json.loads(row[0]), json.loads(head))
                    if row[0] != head:
                        touched.add(JOURNAL)  # the count of live applications, the last activity
                    self._run(
                        "UPDATE followup_applications SET company_key = ?, status = ?, head = ?, interviews = ?, "
                        "priority = ?, offer_received_at = ? WHERE id = ?",
                        (application.company.casefold(), application.status, head, interviews,
                         *_offer_columns(application), application.id),
                    )
                    changed += 1
                    touched.add(application.id)
                for contact in application.contacts:
                    if self._add_contact(application.id, contact):
                        contacts += 1
                        touched.add(application.id)
            for contact in state.contacts:
                if self._add_contact(JOURNAL, contact):
                    contacts += 1
                    touched.add(JOURNAL)
            if self._one("SELECT subject FROM followup_schedule WHERE subject = ?", (JOURNAL,)) is None:
                touched.add(JOURNAL)
            for subject in sorted(touched):
                self._mark_due(subject)
            if everyone:
                self._mark_all_due()
        return ImportReport(candidate_changed, added, changed, contacts, tuple(sorted(touched)))

    def _application_documents(
        self, ids: Collection[str] | None, *, heads: str, as_of: dt.datetime | None = None
    ) -> list[dict[str, Any]]:
        if ids is None:
            rows = self._all("SELECT id, head, interviews FROM followup_applications")
        else:
            rows = []
            wanted = sorted(set(ids))
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                rows += self._all(f"SELECT id, head, interviews FROM followup_applications WHERE id IN ({self._in(chunk)})", chunk)
        documents: dict[str, dict[str, Any]] = {}
        for identifier, head, interviews in rows:
            document = json.loads(head)
            document.update(json.loads(interviews))
            document["contacts"] = []
            documents[identifier] = document
        if rows:
            contact_rows: list[Any] = []
            names = sorted(documents)
            for start in range(0, len(names), 500):
                chunk = names[start : start + 500]
                contact_rows += self._all(f"SELECT subject, doc FROM followup_contacts WHERE subject IN ({self._in(chunk)})", chunk)
            for subject, doc in contact_rows:
                documents[subject]["contacts"].append(json.loads(doc))
        if ids is not None and heads == "offers" and as_of is not None:
            for identifier, head in self._offers_that_matter(as_of):
                if identifier not in documents:
                    documents[identifier] = json.loads(head)
        elif ids is not None and heads != "none":
            query = "SELECT id, head FROM followup_applications"
            if heads == "offers":
                query += " WHERE status = 'offer'"
            for identifier, head in self._all(query):
                if identifier not in documents:
                    documents[identifier] = json.loads(head)
        return [documents[k] for k in sorted(documents)]

    def _offers_that_matter(self, as_of: dt.datetime) -> list[Any]:
        """The pending offers an application's facts can depend on at ``as_of``.

        A competing offer is the newest offer received by then among the
        applications wanted less, so the newest one of each priority is enough; the
        next offer still to come is added too, because its arrival changes the
        facts. Five indexed look-ups and one more, whatever the store holds.
        """
        moment = encode_instant(as_of)
        rows: list[Any] = []
        coming: list[Any] = []
        for priority in range(1, 6):
            # Each look-up walks the (status, priority, offer_received_at, id) index
            # from one end: no sort, whatever the number of offers.
            rows += self._all(
                "SELECT id, head FROM followup_applications WHERE status = 'offer' AND priority = ? "
                "AND offer_received_at <= ? ORDER BY offer_received_at DESC, id DESC LIMIT 1",
                (priority, moment),
            )
            coming += self._all(
                "SELECT offer_received_at, id, head FROM followup_applications WHERE status = 'offer' AND priority = ? "
                "AND offer_received_at > ? ORDER BY offer_received_at, id LIMIT 1",
                (priority, moment),
            )
        if coming:
            _, identifier, head = min(coming)
            rows.append((identifier, head))
        return rows

    def load_state(
        self, applications: Collection[str] | None = None, *, heads: str = "none", as_of: dt.datetime | None = None
    ) -> State:
        if heads not in ("none", "offers", "all"):
            raise ValueError(f"heads must be 'none', 'offers' or 'all', not {heads!r}")
        with self._transaction():
            candidate = self._meta("candidate")
            if candidate is None:
                raise StoreError(f"the store {self.url} holds no state yet: run `followup import FILE` first")
            version = int(self._meta("state_version") or 1)
            documents = self._application_documents(applications, heads=heads, as_of=as_of)
            journal = [json.loads(doc) for (doc,) in self._all("SELECT doc FROM followup_contacts WHERE subject = ?", (JOURNAL,))]
        return build_state(version, json.loads(candidate), documents, journal, self.url)

    def export_document(self) -> dict[str, Any]:
        state = self.load_state()
        from ._store import state_to_document

        return state_to_document(state)

    def applications_of_company(self, application: str) -> list[str]:
        rows = self._all(
            "SELECT id FROM followup_applications WHERE company_key = "
            "(SELECT company_key FROM followup_applications WHERE id = ?) ORDER BY id",
            (application,),
        )
        return [row[0] for row in rows]

    def _require_application(self, application: str) -> tuple[dict[str, Any], dict[str, Any]]:
        row = self._one("SELECT head, interviews FROM followup_applications WHERE id = ?", (application,))
        if row is None:
            known = [r[0] for r in self._all("SELECT id FROM followup_applications ORDER BY id")]
            from ..state import suggest

            raise InvalidInput.single(
                "application", f"no application {application!r} in the store{suggest(application, known)}; known: {', '.join(known) or 'none'}"
            )
        return json.loads(row[0]), json.loads(row[1])

    def _check(self, application: str | None) -> None:
        """Read the changed subject back; an inconsistent change is refused (and rolled back)."""
        try:
            self.load_state([application] if application else [])
        except StoreError as exc:
            raise InvalidInput.single(application or "candidate", str(exc).split("\n", 1)[-1]) from None

    def record_contact(self, application: str | None, contact: Contact) -> None:
        with self._transaction():
            if application is not None:
                self._require_application(application)
            self._add_contact(application or JOURNAL, contact)
            self._check(application)
            self._mark_due(application or JOURNAL)

    def set_status(self, application: str, status: str, at: dt.datetime) -> None:
        if status not in STATUSES:
            raise InvalidInput.single("status", f"unknown status {status!r}; valid: {', '.join(STATUSES)}")
        with self._transaction():
            head, _ = self._require_application(application)
            everyone = "offer" in (head.get("status"), status)
            head["status"] = status
            head["status_changed_at"] = at.isoformat()
            self._run(
                "UPDATE followup_applications SET status = ?, head = ? WHERE id = ?", (status, canonical(head), application)
            )
            self._check(application)
            self._mark_due(application)
            self._mark_due(JOURNAL)  # the count of live applications may have changed
            if everyone:
                self._mark_all_due()  # an offer is leverage for the other applications

    def add_interview(self, application: str, interview: Interview) -> None:
        with self._transaction():
            _, interviews = self._require_application(application)
            kept = [i for i in interviews["interviews"] if i["id"] != interview.id]
            kept.append(interview_to_document(interview))
            kept.sort(key=lambda i: (i["starts_at"], i["id"]))
            self._run(
                "UPDATE followup_applications SET interviews = ? WHERE id = ?",
                (canonical({"interviews": kept}), application),
            )
            self._check(application)
            self._mark_due(application)

    # -- wake index ---------------------------------------------------------

    def lease_due(self, now: dt.datetime, *, limit: int, worker: str, lease: dt.timedelta) -> list[str]:
        at = encode_instant(now)
        until = encode_instant(now + lease)
        with self._transaction():
            rows = self._all(
                "UPDATE followup_schedule SET lease_until = ?, leased_by = ?, dirty = 0 WHERE subject IN ("
                "SELECT subject FROM followup_schedule WHERE next_wake_at <= ? "
                "AND (lease_until IS NULL OR lease_until <= ?) ORDER BY next_wake_at, subject LIMIT ?"
                f"{self._dialect.skip_locked}) RETURNING subject",
                (until, worker, at, at, limit),
            )
        return sorted(row[0] for row in rows)

    def peek_due(self, now: dt.datetime, *, limit: int) -> list[str]:
        at = encode_instant(now)
        rows = self._all(
            "SELECT subject FROM followup_schedule WHERE next_wake_at <= ? ORDER BY next_wake_at, subject LIMIT ?",
            (at, limit),
        )
        return [row[0] for row in rows]

    def release(self, subject: str, next_wake_at: dt.datetime | None) -> None:
        self._run(
            "UPDATE followup_schedule SET next_wake_at = CASE WHEN dirty = 1 THEN ? ELSE ? END, "
            "lease_until = NULL, leased_by = NULL, dirty = 0 WHERE subject = ?",
            (DUE, encode_instant(next_wake_at), subject),
        )

    def next_wake_at(self) -> dt.datetime | None:
        row = self._one("SELECT MIN(next_wake_at) FROM followup_schedule")
        if row is None or row[0] is None:
            return None
        if row[0] == DUE:
            return dt.datetime.min.replace(tzinfo=UTC)
        return decode_instant(row[0])

    # -- outbox -------------------------------------------------------------

    @contextmanager
    def locked(self, subject: str) -> Iterator[None]:
        with self._transaction():
            self._dialect.lock_subject(self, subject)
            yield

    def claim(self, entry: OutboxEntry, contact: Contact | None) -> bool:
        with self._transaction():
            cursor = self._run(
                f"INSERT INTO followup_outbox ({_OUTBOX_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (key) DO NOTHING",
                (
                    entry.key,
                    entry.application,
                    entry.status,
                    entry.attempts,
                    entry.channel,
                    int(entry.idempotent),
                    encode_instant(entry.claimed_at),
                    encode_instant(entry.updated_at),
                    entry.error,
                    encode_instant(entry.next_attempt_at),
                    encode_instant(entry.lease_until),
                    json.dumps(dict(entry.receipt)) if entry.receipt is not None else None,
                    canonical(entry.action),
                ),
            )
            if not cursor.rowcount:
                return False
            if contact is not None:
                self._add_contact(entry.application, contact, entry.key)
        return True

    def forget(self, key: str) -> bool:
        with self._transaction():
            row = self._one("SELECT subject FROM followup_outbox WHERE key = ?", (key,))
            if row is None:
                return False
            self._run("DELETE FROM followup_outbox WHERE key = ?", (key,))
            self._run("DELETE FROM followup_contacts WHERE outbox_key = ?", (key,))
            self._mark_due(row[0])
        return True

    def _entry(self, row: Sequence[Any]) -> OutboxEntry:
        claimed = decode_instant(row[6])
        updated = decode_instant(row[7])
        assert claimed is not None and updated is not None
        return OutboxEntry(
            key=row[0],
            application=row[1],
            status=row[2],
            attempts=int(row[3]),
            channel=row[4],
            idempotent=bool(row[5]),
            claimed_at=claimed,
            updated_at=updated,
            error=row[8],
            next_attempt_at=decode_instant(row[9]),
            lease_until=decode_instant(row[10]),
            receipt=json.loads(row[11]) if row[11] else None,
            action=json.loads(row[12]),
        )

    def outbox_entry(self, key: str) -> OutboxEntry | None:
        row = self._one(f"SELECT {_OUTBOX_COLUMNS} FROM followup_outbox WHERE key = ?", (key,))
        return self._entry(row) if row else None

    def update_outbox(
        self,
        key: str,
        *,
        status: str,
        now: dt.datetime,
        attempts: int | None = None,
        error: str | None = None,
        next_attempt_at: dt.datetime | None = None,
        lease_until: dt.datetime | None = None,
        receipt: Mapping[str, Any] | None = None,
    ) -> None:
        with self._transaction():
            self._run(
                "UPDATE followup_outbox SET status = ?, updated_at = ?, attempts = COALESCE(?, attempts), error = ?, "
                "next_attempt_at = ?, lease_until = ?, receipt = COALESCE(?, receipt) WHERE key = ?",
                (
                    status,
                    encode_instant(now),
                    attempts,
                    error,
                    encode_instant(next_attempt_at),
                    encode_instant(lease_until),
                    json.dumps(dict(receipt)) if receipt is not None else None,
                    key,
                ),
            )
            if status == "failed":
                self._run("DELETE FROM followup_contacts WHERE outbox_key = ?", (key,))

    def outbox(self, statuses: Collection[str] | None = None, *, application: str | None = None) -> list[OutboxEntry]:
        query = f"SELECT {_OUTBOX_COLUMNS} FROM followup_outbox"
        clauses: list[str] = []
        parameters: list[Any] = []
        if statuses is not None:
            if not statuses:
                return []
            clauses.append(f"status IN ({self._in(list(statuses))})")
            parameters += list(statuses)
        if application is not None:
            clauses.append("subject = ?")
            parameters.append(application)
        if clauses:
            query += " WHERE " + " AND ".join(clauses)
        return [self._entry(row) for row in self._all(query + " ORDER BY claimed_at, key", parameters)]

