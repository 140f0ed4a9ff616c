"""A deterministic, seeded workload: job searches in the followup state format.

``documents(n, seed)`` yields state documents (plain dicts, exactly what a YAML or
JSON state file holds) until ``n`` applications have been produced; each document
is one candidate with 1-4 applications. The same ``n`` and ``seed`` always give
the same documents, byte for byte.

Shape of every application:

- 1-3 interviews with 1-4 interviewers each (the same person sometimes sits in
  two interviews of one application); some interviews have not happened yet;
- 0-6 contact-log entries: thank-you notes, status calls, follow-ups, replies
  from the employer, reference alerts, requested follow-ups; a few are logged
  after ``now`` (the engine must not see them yet);
- a mix of statuses (mostly ``interviewing``), priorities and media; about a
  third have a follow-up date the employer asked for;
- candidates live in a dozen time zones (both hemispheres, half-hour offsets,
  with and without daylight saving time); every timestamp is written with the
  UTC offset of the *employer's* zone, so one file mixes many offsets;
- about 10% of the timestamps sit exactly on, or one minute either side of, a
  threshold of the reference rules R1-R4 at ``NOW`` (168 hours before now, the
  start of yesterday, the start of the requested day, the end of the last
  interview, ``now`` itself).

Run ``python bench/workload.py 3`` to print the first documents as YAML.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

__all__ = ["NOW", "documents", "states"]

UTC = dt.UTC
#: the instant every benchmark evaluates at: a Wednesday afternoon in UTC
NOW = dt.datetime(2026, 11, 25, 14, 0, tzinfo=UTC)

#: candidates' zones; none has a daylight-saving change at local midnight
CANDIDATE_ZONES = (
    "UTC",
    "UTC",
    "Europe/Berlin",
    "Europe/London",
    "America/New_York",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Auckland",
    "Africa/Nairobi",
)
#: the zones employers write their timestamps in
EMPLOYER_ZONES = tuple(
    ZoneInfo(name)
    for name in (
        "UTC",
        "Europe/Paris",
        "America/Chicago",
        "America/Denver",
        "Asia/Singapore",
        "Asia/Kathmandu",
        "Australia/Adelaide",
        "America/St_Johns",
    )
)
HOLIDAYS = {
    "Europe/Berlin": {"country": "DE", "subdivision": "BE"},
    "Europe/London": {"country": "GB"},
    "America/New_York": {"country": "US"},
    "America/Los_Angeles": {"country": "US", "subdivision": "CA"},
    "Asia/Tokyo": {"country": "JP"},
    "Australia/Sydney": {"country": "AU", "subdivision": "NSW"},
}
STATUSES = (
    ("interviewing", 50),
    ("applied", 8),
    ("offer", 10),
    ("rejected", 17),
    ("accepted", 5),
    ("withdrawn", 10),
)
MEDIA = (("email", 60), ("postal", 10), ("fax", 10), ("phone", 20))
COMPANIES = ("Northwind", "Harbor", "Bluepeak", "Atlas", "Quill", "Cobalt", "Delta", "Juniper", "Kestrel", "Lumen")
POSITIONS = ("Data Engineer", "Analytics Lead", "Platform Engineer", "Data Scientist", "BI Engineer", "ML Engineer")
TITLES = ("Head of Data", "Staff Engineer", "Engineering Manager", "Talent Partner", "Director", "Team Lead")

HOUR = dt.timedelta(hours=1)
MINUTE = dt.timedelta(minutes=1)
WEEK = dt.timedelta(hours=168)


def _weighted(rng: random.Random, table: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([name for name, _ in table], weights=[weight for _, weight in table])[0]


class _Writer:
    """Builds one candidate's document; keeps the random stream in a fixed order."""

    def __init__(self, rng: random.Random, now: dt.datetime) -> None:
        self.rng = rng
        self.now = now

    def edge(self, threshold: dt.datetime) -> dt.datetime:
        """``threshold`` itself, or one minute either side of it."""
        return threshold + self.rng.choice((-MINUTE, dt.timedelta(0), MINUTE))

    def stamp(self, instant: dt.datetime) -> str:
        """``instant`` in the offset of a random employer zone, to the second."""
        return instant.astimezone(self.rng.choice(EMPLOYER_ZONES)).isoformat(timespec="seconds")

    def recent(self, days: float) -> dt.datetime:
        """A whole minute in the ``days`` before now."""
        return self.now - MINUTE * self.rng.randrange(1, int(days * 24 * 60))

    def candidate(self, index: int, first_app: int, count: int) -> dict[str, Any]:
        rng = self.rng
        zone_name = rng.choice(CANDIDATE_ZONES)
        tz = ZoneInfo(zone_name)
        candidate: dict[str, Any] = {
            "name": f"Candidate {index}",
            "email": f"candidate{index}@example.org",
            "timezone": zone_name,
        }
        if zone_name in HOLIDAYS and rng.random() < 0.7:
            candidate["holidays"] = dict(HOLIDAYS[zone_name])
        references = [
            {"id": f"ref-{k}", "name": f"Reference {index}-{k}", "email": f"ref{index}-{k}@example.net"}
            for k in range(rng.randrange(0, 3))
        ]
        if references:
            candidate["references"] = references
        applications = [self.application(f"app-{first_app + k:07d}", tz, references) for k in range(count)]
        return {"version": 1, "candidate": candidate, "applications": applications}

    def application(self, app_id: str, tz: ZoneInfo, references: list[dict[str, Any]]) -> dict[str, Any]:
        rng = self.rng
        now = self.now
        today = now.astimezone(tz).date()
        start_of_yesterday = dt.datetime.combine(today - dt.timedelta(days=1), dt.time(0), tzinfo=tz)
        status = _weighted(rng, STATUSES)
        app: dict[str, Any] = {
            "id": app_id,
            "company": f"{rng.choice(COMPANIES)} {rng.randrange(1000)}",
            "position": rng.choice(POSITIONS),
            "status": status,
            "priority": rng.randrange(1, 6),
            "preferred_medium": _weighted(rng, MEDIA),
            "applied_at": (today - dt.timedelta(days=rng.randrange(20, 60))).isoformat(),
        }
        if status != "applied" or rng.random() < 0.5:
            app["status_changed_at"] = self.stamp(self.recent(20))
        # interviews, oldest first; the last one may still be ahead
        interviews: list[dict[str, Any]] = []
        people: list[dict[str, Any]] = []
        ended: list[tuple[str, dt.datetime]] = []
        count = rng.randrange(1, 4)
        for k in range(count):
            interview_id = f"i{k + 1}"
            roll = rng.random()
            end: dt.datetime | None
            if roll < 0.05:
                end = self.edge(now - WEEK)  # R2: exactly a week ago
            elif roll < 0.09:
                end = self.edge(start_of_yesterday)  # R1: the start of yesterday
            elif roll < 0.11:
                end = self.edge(now)  # ended this very minute
            elif roll < 0.2 and k == count - 1:
                end = None  # scheduled, not happened yet
            else:
                end = self.recent(14)
            if end is None:
                starts = now + HOUR * rng.randrange(2, 24 * 10)
            else:
                starts = end - MINUTE * rng.choice((30, 45, 60, 90, 120))
            panel = []
            for _ in range(rng.randrange(1, 5)):
                if people and rng.random() < 0.25:
                    person = rng.choice(people)
                    if any(p["id"] == person["id"] for p in panel):
                        continue
                else:
                    number = len(people) + 1
                    person = {"id": f"p{number}", "name": f"Interviewer {number}"}
                    if rng.random() < 0.85:
                        person["title"] = rng.choice(TITLES)
                    if rng.random() < 0.9:
                        person["email"] = f"p{number}@{app_id}.example"
                    if rng.random() < 0.2:
                        person["postal_address"] = f"{number} Example Street\nSpringfield"
                    if rng.random() < 0.15:
                        person["fax"] = f"+1 555 01{number:02d}"
                    people.append(person)
                panel.append(person)
            interview: dict[str, Any] = {"id": interview_id, "starts_at": self.stamp(starts), "interviewers": panel}
            if end is not None:
                interview["ended_at"] = self.stamp(end)
                ended.append((interview_id, end))
            interviews.append(interview)
        app["interviews"] = interviews
        requested_start = None
        if rng.random() < 0.33:
            day = today + dt.timedelta(days=rng.choice((-6, -3, -2, -1, -1, 0, 0, 0, 1, 2)))
            app["follow_up_requested_on"] = day.isoformat()
            requested_start = dt.datetime.combine(day, dt.time(0), tzinfo=tz)
        if status in ("interviewing", "applied") and rng.random() < 0.2:
            app["decision_expected_by"] = (today + dt.timedelta(days=rng.randrange(-3, 10))).isoformat()
        if status == "offer":
            received = self.recent(5)
            app["offer"] = {"received_at": self.stamp(received), "respond_by": (today + dt.timedelta(days=rng.randrange(1, 10))).isoformat()}
        app["contacts"] = self.contacts(ended, people, references, requested_start)
        return app

    def contacts(
        self,
        ended: list[tuple[str, dt.datetime]],
        people: list[dict[str, Any]],
        references: list[dict[str, Any]],
        requested_start: dt.datetime | None,
    ) -> list[dict[str, Any]]:
        rng = self.rng
        now = self.now
        last_end = max((end for _, end in ended if end <= now), default=None)
        log: list[dict[str, Any]] = []
        for _ in range(rng.randrange(0, 7)):
            roll = rng.random()
            if roll < 0.03:
                at = self.edge(now - WEEK)  # R3: the edge of the week before now
            elif roll < 0.05 and last_end is not None:
                at = self.edge(last_end)  # R2: a call right at the end of the interview
            elif roll < 0.07 and requested_start is not None:
                at = self.edge(requested_start)  # R4: the start of the requested day
            elif roll < 0.08:
                at = self.edge(now)
            elif roll < 0.12:
                at = now + HOUR * rng.randrange(1, 48)  # logged ahead of now
            else:
                at = self.recent(12)
            kind = rng.choice(("thank_you_note", "thank_you_note", "status_call", "follow_up", "reply", "reference_alert", "requested_follow_up"))
            entry: dict[str, Any] = {"at": self.stamp(at), "kind": kind}
            if kind == "thank_you_note" and ended:
                interview_id, _ = rng.choice(ended)
                entry["interview"] = interview_id
                entry["to"] = rng.choice(people)["id"]
            elif kind == "reference_alert":
                if references:
                    entry["to"] = rng.choice(references)["id"]
                else:
                    entry["kind"] = "status_call"
            elif kind == "reply":
                entry["note"] = "Thanks, we will be in touch."
            log.append(entry)
        return log


def documents(n: int, seed: int = 7, now: dt.datetime = NOW) -> Iterator[dict[str, Any]]:
    """State documents holding ``n`` applications in all, one candidate each."""
    rng = random.Random(seed)
    writer = _Writer(rng, now)
    made = 0
    index = 0
    while made < n:
        count = min(rng.randrange(1, 5), n - made)
        yield writer.candidate(index, made, count)
        made += count
        index += 1


def states(n: int, seed: int = 7, now: dt.datetime = NOW) -> Iterator[Any]:
    """The same workload, validated and loaded as :class:`followup.State` objects."""
    from followup.state import state_from_document

    for number, document in enumerate(documents(n, seed, now)):
        yield state_from_document(document, f"<workload document {number}>")


if __name__ == "__main__":
    import yaml

    for document in documents(int(sys.argv[1]) if len(sys.argv) > 1 else 3):
        print("---")
        print(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), end="")
