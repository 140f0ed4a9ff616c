"""Caps that bind: generated rulebooks and logs where the caps hold actions back in most
examples, for every scope, checked against an oracle that knows every scope and shape.

Each example is a rulebook of one to three caps of one scope (``recipient``,
``application``, ``company`` or ``everything``), of any shape (a ceiling over a
period, patience since the employer's last reply, a minimum gap), and two or three
rules subject to them, over a state whose logs put each cap at or near its limit.
The oracle works out, action by action in the engine's documented order, which caps
hold each one back, counting logged contacts in the cap's scope plus the actions
already let through as sent now. The engine's agenda must agree on every open action;
and since a property that never sees a cap bind proves nothing, each scope's run
asserts that at least :data:`BINDING_SHARE` of its examples hold something back.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from conftest import examples
from followup import Engine, load_rulebook, load_state

SCOPES = ["recipient", "application", "company", "everything"]
#: the least share of examples, per scope, in which a cap holds at least one action back
BINDING_SHARE = 0.7
NOW = dt.datetime(2026, 3, 20, 12, 0, tzinfo=dt.UTC)
KINDS = ["status_call", "follow_up", "requested_follow_up", "leverage_follow_up"]
COMPANIES = ["Acme", "Globex"]


@st.composite
def caps(draw: st.DrawFn, scope: str, index: int) -> dict[str, Any]:
    counts = draw(st.lists(st.sampled_from(KINDS), min_size=1, max_size=4, unique=True))
    cap: dict[str, Any] = {"id": f"cap-{index}", "counts": sorted(counts), "per": scope}
    shape = draw(st.sampled_from(["within", "within", "since", "gap"]))
    if shape == "gap":
        cap["min_gap"] = draw(st.sampled_from([{"days": d} for d in (1, 2, 5)] + [{"hours": h} for h in (6, 36)]))
    else:
        cap["max"] = draw(st.sampled_from([1, 1, 2, 3]))
        if shape == "within":
            cap["within"] = draw(st.sampled_from([{"days": d} for d in (3, 7, 14)] + [{"hours": 48}]))
        else:
            cap["since"] = "employer_reply"
    return cap


@st.composite
def cases(draw: st.DrawFn, scope: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(rulebook, state document) with logs dense enough for the caps to bind."""
    cap_docs = [draw(caps(scope, i)) for i in range(draw(st.integers(1, 3)))]
    rules = []
    for index in range(draw(st.integers(2, 3))):
        # recipient caps are about people: their rules fan out over interviewers
        per_person = scope == "recipient" or draw(st.booleans())
        subject = [c["id"] for c in cap_docs if draw(st.booleans())] or [cap_docs[0]["id"]]
        # mostly a kind the first cap counts, so the rules' own actions fill it up
        kinds = cap_docs[0]["counts"] if draw(st.integers(0, 3)) else KINDS
        rules.append({
            "id": f"rule-{index}",
            "kind": draw(st.sampled_from(kinds)),
            "for_each": "interviewer" if per_person else "application",
            "window": {
                "opens": {"at": "application.applied_at"},
                "due": {"at": "application.applied_at", "plus": {"days": draw(st.integers(5, 60))}},
            },
            "channel": "email",
            "priority": draw(st.integers(1, 3)),
            "caps": subject,
        })  # fmt: skip
    applications = []
    for number in range(draw(st.integers(1, 3))):
        people = [f"p{number}{k}" for k in range(draw(st.integers(1, 2 if scope == "recipient" else 3)))]
        contacts = []
        for _ in range(draw(st.integers(len(people) * 2 if scope == "recipient" else 1, 8))):  # recipient caps: two per person at least
            contact: dict[str, Any] = {
                "at": (NOW - dt.timedelta(hours=draw(st.integers(1, 24 * draw(st.sampled_from([4, 16])))))).isoformat(),
                "kind": draw(st.sampled_from([*KINDS, "reply", "thank_you_note"])),
            }
            if scope == "recipient" or draw(st.integers(0, 3)):  # to someone, so recipient scopes fill up too
                contact["to"] = draw(st.sampled_from(people))
            contacts.append(contact)
        applications.append({
            "id": f"app{number}",
            "company": draw(st.sampled_from(COMPANIES)),
            "position": "Engineer",
            "status": "interviewing",
            "priority": draw(st.integers(1, 5)),
            "applied_at": (NOW - dt.timedelta(days=draw(st.integers(2, 30)))).isoformat(),
            "interviews": [{
                "id": "i1",
                "starts_at": (NOW - dt.timedelta(days=40)).isoformat(),
                "interviewers": [{"id": p, "name": f"Person {p}", "email": f"{p}@x.example"} for p in people],
            }],
            "contacts": contacts,
        })  # fmt: skip
    journal = [
        {"at": (NOW - dt.timedelta(hours=draw(st.integers(1, 24 * 10)))).isoformat(), "kind": draw(st.sampled_from(KINDS))}
        for _ in range(draw(st.integers(0, 2)))
    ]
    state = {"version": 1, "candidate": {"name": "Alex", "timezone": "UTC"}, "applications": applications, "contacts": journal}
    return {"version": 1, "caps": cap_docs, "rules": rules}, state


# ---------------------------------------------------------------------------
# The oracle: plain UTC arithmetic over the documents, knowing nothing of the engine
# ---------------------------------------------------------------------------


def _span(offset: dict[str, int]) -> dt.timedelta:
    ((unit, amount),) = offset.items()
    return dt.timedelta(**{unit: amount})


def _in_scope(cap: dict[str, Any], action: dict[str, Any], app: str | None, company: str | None, to: str | None) -> bool:
    """Whether a contact (or let-through action) of application ``app`` for ``to`` counts with ``action``'s."""
    per = cap["per"]
    if per == "everything":
        return True
    if app is None:  # the candidate's own log counts only for "everything"
        return False
    if per == "company":
        return company == action["company"]
    if per == "application":
        return app == action["application"]
    return app == action["application"] and to == action["recipient"]


_NOT_HELD = object()


def _frees(cap: dict[str, Any], action: dict[str, Any], logged: list[dict[str, Any]], sent: list[dict[str, Any]]) -> Any:
    """When ``cap`` lets ``action`` go (``None``: at the employer's next reply), or ``_NOT_HELD``."""
    outbound = sorted(
        [c["at"] for c in logged if c["kind"] in cap["counts"] and _in_scope(cap, action, c["app"], c["company"], c["to"])]
        + [NOW for s in sent if s["kind"] in cap["counts"] and _in_scope(cap, action, s["application"], s["company"], s["recipient"])]
    )
    if "min_gap" in cap:
        frees = outbound[-1] + _span(cap["min_gap"]) if outbound else NOW
        return frees if frees > NOW else _NOT_HELD
    if "within" in cap:
        inside = [t for t in outbound if t > NOW - _span(cap["within"])]
        return inside[len(inside) - cap["max"]] + _span(cap["within"]) if len(inside) >= cap["max"] else _NOT_HELD
    replies = [
        c["at"] for c in logged if c["kind"] == "reply" and _in_scope(cap, action, c["app"], c["company"], c["to"])
    ]
    last = max(replies, default=None)
    return None if sum(last is None or t > last for t in outbound) >= cap["max"] else _NOT_HELD


def oracle(rulebook: dict[str, Any], state: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``{action key: {id of a cap holding it back: when that cap frees it}}`` for every action the rules open."""
    caps_by_id = {c["id"]: c for c in rulebook["caps"]}
    companies = {a["id"]: a["company"] for a in state["applications"]}
    logged = [
        {"at": dt.datetime.fromisoformat(c["at"]), "kind": c["kind"], "to": c.get("to"), "app": a["id"], "company": a["company"]}
        for a in state["applications"]
        for c in a["contacts"]
    ] + [
        {"at": dt.datetime.fromisoformat(c["at"]), "kind": c["kind"], "to": None, "app": None, "company": None}
        for c in state["contacts"]
    ]
    actions = []
    for rule in rulebook["rules"]:
        for app in state["applications"]:
            people = [p["id"] for p in app["interviews"][0]["interviewers"]] if rule["for_each"] == "interviewer" else [None]
            applied = dt.datetime.fromisoformat(app["applied_at"])
            for person in people:
                key = ":".join([rule["id"], app["id"], *(["i1", person] if person else [])])
                actions.append({
                    "key": key, "rule": rule, "kind": rule["kind"], "application": app["id"],
                    "company": companies[app["id"]], "recipient": person,
                    "order": (rule["priority"], app["priority"], applied + dt.timedelta(days=rule["window"]["due"]["plus"]["days"]), key),
                })  # fmt: skip
    actions.sort(key=lambda a: a["order"])
    sent: list[dict[str, Any]] = []
    holding: dict[str, dict[str, Any]] = {}
    for action in actions:
        frees = {c: _frees(caps_by_id[c], action, logged, sent) for c in action["rule"]["caps"]}
        holding[action["key"]] = {c: when for c, when in frees.items() if when is not _NOT_HELD}
        if not holding[action["key"]]:
            sent.append(action)
    return holding


def _check(rulebook: dict[str, Any], state: dict[str, Any]) -> bool:
    """The engine agrees with the oracle on every action; returns whether any cap bound."""
    agenda = Engine(load_rulebook(rulebook)).evaluate(load_state(state), NOW)
    expected = oracle(rulebook, state)
    opened = {a.key: a for a in agenda if a.status in ("due", "overdue", "suppressed")}
    assert set(opened) == set(expected), (sorted(opened), sorted(expected))
    for key, held_by in expected.items():
        action = opened[key]
        if held_by:
            assert action.status == "suppressed", (key, held_by, action.status, action.reason)
            assert action.cap in held_by, (key, held_by, action.cap)
            assert action.frees_at == held_by[action.cap], (key, action.cap, action.frees_at, held_by)
            assert f"cap {action.cap!r}: " in action.reason, action.reason
        else:
            assert action.status in ("due", "overdue"), (key, action.status, action.cap, action.reason)
    return any(expected.values())


@pytest.mark.parametrize("scope", SCOPES)
def test_caps_hold_back_exactly_what_the_oracle_says(scope: str) -> None:
    seen = {"examples": 0, "binding": 0}

    # derandomized: hypothesis draws each example from the ones before, so the share of
    # binding examples in one random run of 60 swings widely (0.68 to 0.98 over seeds for
    # the same strategy), and a share asserted on it would fail by chance; on a fixed
    # sequence it is a property of the strategy alone, and fails only when that changes
    @settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None,
              derandomize=True)  # fmt: skip
    @given(cases(scope))
    def check(case: tuple[dict[str, Any], dict[str, Any]]) -> None:
        binding = _check(*case)
        event("a cap binds" if binding else "no cap binds")
        seen["examples"] += 1
        seen["binding"] += binding

    check()
    assert seen["binding"] >= BINDING_SHARE * seen["examples"], (
        f"caps per {scope} bound in only {seen['binding']} of {seen['examples']} examples"
    )


def test_the_oracle_counts_a_company_across_its_applications() -> None:
    """A worked example: two applications at one company share a ceiling of one a week."""
    rulebook = {
        "version": 1,
        "caps": [{"id": "once-a-week", "counts": ["follow_up"], "per": "company", "max": 1, "within": {"days": 7}}],
        "rules": [{
            "id": "chase", "kind": "follow_up", "for_each": "application", "channel": "email", "priority": 1,
            "window": {"opens": {"at": "application.applied_at"}, "due": {"at": "application.applied_at", "plus": {"days": 30}}},
            "caps": ["once-a-week"],
        }],
    }  # fmt: skip
    apps = [
        {"id": f"app{n}", "company": "Acme", "position": "Engineer", "status": "interviewing", "priority": n + 1,
         "applied_at": (NOW - dt.timedelta(days=3)).isoformat(), "interviews": [{"id": "i1", "starts_at": (NOW - dt.timedelta(days=40)).isoformat(), "interviewers": []}],
         "contacts": []}
        for n in range(2)
    ]  # fmt: skip
    state = {"version": 1, "candidate": {"name": "Alex", "timezone": "UTC"}, "applications": apps, "contacts": []}
    assert oracle(rulebook, state) == {"chase:app0": {}, "chase:app1": {"once-a-week": NOW + dt.timedelta(days=7)}}
    assert _check(rulebook, state)
