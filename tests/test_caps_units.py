"""Caps one shape at a time, with the exact words a person reads when one holds an action back."""

from __future__ import annotations

import datetime as dt
from typing import Any

from followup import Agenda, Engine, load_rulebook, load_state

NOW = dt.datetime(2026, 3, 20, 12, 0, tzinfo=dt.UTC)


def ago(hours: int) -> str:
    return (NOW - dt.timedelta(hours=hours)).isoformat()


def evaluate(
    cap: dict[str, Any],
    contacts: list[dict[str, Any]],
    *,
    rules: int = 2,
    kind: str = "follow_up",
    companies: tuple[str, ...] = ("Acme",),
    journal: tuple[dict[str, Any], ...] = (),
    timezone: str = "UTC",
) -> dict[str, tuple[str, str | None, dt.datetime | None, str]]:
    """``{key: (status, cap, frees_at, reason)}`` for ``rules`` interviewer rules subject to ``cap``."""
    rulebook = {
        "version": 1,
        "caps": [cap],
        "rules": [
            {"id": f"r{i}", "kind": kind, "for_each": "interviewer", "channel": "email", "priority": i + 1,
             "window": {"opens": {"at": "application.applied_at"}, "due": {"at": "application.applied_at", "plus": {"days": 30}}},
             "caps": [cap["id"]]}
            for i in range(rules)
        ],
    }  # fmt: skip
    state = {
        "version": 1,
        "candidate": {"name": "Alex", "timezone": timezone},
        "contacts": list(journal),
        "applications": [
            {"id": f"a{n}", "company": company, "position": "Engineer", "status": "interviewing", "priority": n + 1,
             "applied_at": ago(24 * 5),
             "interviews": [{"id": "i1", "starts_at": ago(24 * 40), "interviewers": [{"id": "p", "name": "Pat Lee"}]}],
             "contacts": contacts if n == 0 else []}
            for n, company in enumerate(companies)
        ],
    }  # fmt: skip
    agenda: Agenda = Engine(load_rulebook(rulebook)).evaluate(load_state(state), NOW)
    return {a.key: (a.status, a.cap, a.frees_at, a.reason) for a in agenda}


def utc(day: int, hour: int) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, 0, tzinfo=dt.UTC)


def test_a_ceiling_counts_the_period_and_what_goes_out_now() -> None:
    cap = {"id": "ceiling", "counts": ["follow_up"], "per": "application", "max": 2, "within": {"days": 7}}
    got = evaluate(cap, [{"at": ago(30), "kind": "follow_up"}, {"at": ago(24 * 8), "kind": "follow_up"}])
    assert got["r0:a0:i1:p"][0] == "due"
    assert got["r1:a0:i1:p"] == (
        "suppressed", "ceiling", utc(26, 6),
        "held back by cap 'ceiling': 2 of 2 contacts per application in the last 7 days, counting follow_up "
        "r0:a0:i1:p going out now; frees Thu 26 Mar 2026 06:00 UTC",
    )  # fmt: skip


def test_a_ceiling_frees_when_the_oldest_counted_contact_leaves_the_period() -> None:
    cap = {"id": "ceiling", "counts": ["follow_up"], "per": "application", "max": 2, "within": {"days": 7}}
    got = evaluate(cap, [{"at": ago(30), "kind": "follow_up"}, {"at": ago(50), "kind": "follow_up"}, {"at": ago(100), "kind": "follow_up"}], rules=1)
    # three inside, two allowed: it frees when the second oldest (50 h ago) leaves the period
    assert got["r0:a0:i1:p"][:3] == ("suppressed", "ceiling", utc(25, 10))
    assert "3 of 2 contacts per application in the last 7 days; frees Wed 25 Mar 2026 10:00 UTC" in got["r0:a0:i1:p"][3]


def test_a_gap_after_a_logged_contact() -> None:
    cap = {"id": "gap", "counts": ["follow_up"], "per": "recipient", "min_gap": {"days": 2}}
    got = evaluate(cap, [{"at": ago(30), "kind": "follow_up", "to": "p"}], rules=1)
    assert got["r0:a0:i1:p"] == (
        "suppressed", "gap", utc(21, 6),
        "held back by cap 'gap': last counted contact Thu 19 Mar 2026 06:00 UTC, and it asks for 2 days between "
        "contacts per recipient; frees Sat 21 Mar 2026 06:00 UTC",
    )  # fmt: skip


def test_a_gap_after_what_goes_out_now_and_none_after_an_old_contact() -> None:
    cap = {"id": "gap", "counts": ["follow_up"], "per": "recipient", "min_gap": {"days": 2}}
    got = evaluate(cap, [{"at": ago(49), "kind": "follow_up", "to": "p"}, {"at": ago(1), "kind": "status_call", "to": "p"}])
    assert got["r0:a0:i1:p"][:2] == ("due", None)
    assert got["r1:a0:i1:p"] == (
        "suppressed", "gap", utc(22, 12),
        "held back by cap 'gap': follow_up r0:a0:i1:p goes out now, and it asks for 2 days between contacts per "
        "recipient; frees Sun 22 Mar 2026 12:00 UTC",
    )  # fmt: skip


def test_patience_when_the_employer_never_replied() -> None:
    cap = {"id": "patience", "counts": ["follow_up"], "per": "application", "max": 1, "since": "employer_reply"}
    got = evaluate(cap, [])
    assert got["r0:a0:i1:p"][0] == "due"
    assert got["r1:a0:i1:p"] == (
        "suppressed", "patience", None,
        "held back by cap 'patience': 1 of 1 unanswered follow-ups per application and the employer has never "
        "replied, counting follow_up r0:a0:i1:p going out now; frees when the employer replies",
    )  # fmt: skip


def test_patience_counts_only_what_came_after_the_last_reply() -> None:
    cap = {"id": "patience", "counts": ["follow_up"], "per": "application", "max": 1, "since": "employer_reply"}
    held = evaluate(cap, [{"at": ago(10), "kind": "follow_up"}, {"at": ago(20), "kind": "reply"}], rules=1)
    assert held["r0:a0:i1:p"] == (
        "suppressed", "patience", None,
        "held back by cap 'patience': 1 of 1 unanswered follow-ups per application since the employer last replied "
        "Thu 19 Mar 2026 16:00 UTC; frees when the employer replies",
    )  # fmt: skip
    answered = evaluate(cap, [{"at": ago(20), "kind": "follow_up"}, {"at": ago(10), "kind": "reply"}], rules=1)
    assert answered["r0:a0:i1:p"][0] == "due"


def test_a_company_is_one_whatever_the_case_of_its_name() -> None:
    cap = {"id": "co", "counts": ["follow_up"], "per": "company", "max": 1, "within": {"days": 7}}
    same = evaluate(cap, [], rules=1, companies=("Acme", "ACME"))
    assert [same[k][0] for k in ("r0:a0:i1:p", "r0:a1:i1:p")] == ["due", "suppressed"]
    assert "1 of 1 contacts per company in the last 7 days, counting follow_up r0:a0:i1:p going out now" in same["r0:a1:i1:p"][3]
    other = evaluate(cap, [], rules=1, companies=("Acme", "Globex"))
    assert [other[k][0] for k in ("r0:a0:i1:p", "r0:a1:i1:p")] == ["due", "due"]


def test_everything_counts_the_candidates_own_log_and_shows_the_candidates_zone() -> None:
    cap = {"id": "all", "counts": ["follow_up"], "per": "everything", "max": 1, "within": {"days": 7}}
    got = evaluate(cap, [], rules=1, journal=({"at": ago(5), "kind": "follow_up"},), timezone="Europe/Berlin")
    assert got["r0:a0:i1:p"][:3] == ("suppressed", "all", utc(27, 7))
    assert got["r0:a0:i1:p"][3] == (
        "held back by cap 'all': 1 of 1 contacts per everything in the last 7 days; frees Fri 27 Mar 2026 08:00 CET"
    )


def test_an_action_of_a_kind_a_cap_does_not_count_neither_is_held_nor_counts() -> None:
    cap = {"id": "calls", "counts": ["status_call"], "per": "everything", "max": 1, "within": {"days": 7}}
    got = evaluate(cap, [{"at": ago(5), "kind": "follow_up"}], rules=2)
    assert [got[k][0] for k in ("r0:a0:i1:p", "r1:a0:i1:p")] == ["due", "due"]


def test_a_gap_frees_the_moment_it_has_passed() -> None:
    cap = {"id": "gap", "counts": ["follow_up"], "per": "recipient", "min_gap": {"days": 2}}
    assert evaluate(cap, [{"at": ago(48), "kind": "follow_up", "to": "p"}], rules=1)["r0:a0:i1:p"][:2] == ("due", None)
    held = evaluate(cap, [{"at": ago(47), "kind": "follow_up", "to": "p"}], rules=1)["r0:a0:i1:p"]
    assert held[:3] == ("suppressed", "gap", utc(20, 13))


def test_a_gap_after_a_contact_logged_at_this_very_moment() -> None:
    cap = {"id": "gap", "counts": ["follow_up"], "per": "recipient", "min_gap": {"hours": 12}}
    got = evaluate(cap, [{"at": ago(0), "kind": "follow_up", "to": "p"}], rules=1)
    assert got["r0:a0:i1:p"] == (
        "suppressed", "gap", utc(21, 0),
        "held back by cap 'gap': last counted contact Fri 20 Mar 2026 12:00 UTC, and it asks for 12 hours between "
        "contacts per recipient; frees Sat 21 Mar 2026 00:00 UTC",
    )  # fmt: skip


def test_held_back_reasons_are_on_the_candidates_clock() -> None:
    gap = {"id": "gap", "counts": ["follow_up"], "per": "recipient", "min_gap": {"days": 2}}
    got = evaluate(gap, [{"at": ago(30), "kind": "follow_up", "to": "p"}], rules=1, timezone="America/New_York")
    assert got["r0:a0:i1:p"][3] == (
        "held back by cap 'gap': last counted contact Thu 19 Mar 2026 02:00 EDT, and it asks for 2 days between "
        "contacts per recipient; frees Sat 21 Mar 2026 02:00 EDT"
    )
    patience = {"id": "patience", "counts": ["follow_up"], "per": "application", "max": 1, "since": "employer_reply"}
    got = evaluate(patience, [{"at": ago(10), "kind": "follow_up"}, {"at": ago(20), "kind": "reply"}], rules=1, timezone="Asia/Tokyo")
    assert got["r0:a0:i1:p"][3] == (
        "held back by cap 'patience': 1 of 1 unanswered follow-ups per application since the employer last replied "
        "Fri 20 Mar 2026 01:00 JST; frees when the employer replies"
    )


def test_a_reason_lists_every_action_going_out_now_that_it_counts() -> None:
    ceiling = {"id": "ceiling", "counts": ["follow_up"], "per": "application", "max": 2, "within": {"days": 7}}
    got = evaluate(ceiling, [], rules=3)
    assert [got[f"r{i}:a0:i1:p"][0] for i in range(3)] == ["due", "due", "suppressed"]
    assert got["r2:a0:i1:p"][3] == (
        "held back by cap 'ceiling': 2 of 2 contacts per application in the last 7 days, counting follow_up "
        "r0:a0:i1:p, follow_up r1:a0:i1:p going out now; frees Fri 27 Mar 2026 12:00 UTC"
    )
    patience = {"id": "patience", "counts": ["follow_up"], "per": "application", "max": 2, "since": "employer_reply"}
    got = evaluate(patience, [], rules=3)
    assert got["r2:a0:i1:p"][3] == (
        "held back by cap 'patience': 2 of 2 unanswered follow-ups per application and the employer has never "
        "replied, counting follow_up r0:a0:i1:p, follow_up r1:a0:i1:p going out now; frees when the employer replies"
    )
