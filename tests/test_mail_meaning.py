"""What a reply seems to say: the proposals `followup mail sync` makes (the person confirms them)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from followup.mail import propose

MONDAY = dt.date(2026, 11, 23)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("We will get back to you with a decision by 4 December.", {"decision_expected_by": "2026-12-04"}),
        ("We expect to decide on December 4th.", {"decision_expected_by": "2026-12-04"}),
        ("You'll hear back from us by Friday.", {"decision_expected_by": "2026-11-27"}),
        ("We hope to let you know by 2027-01-08 at the latest.", {"decision_expected_by": "2027-01-08"}),
        ("We will make a decision by 10 January.", {"decision_expected_by": "2027-01-10"}),  # no year: the next one
        ("Please check back with us on 7 December.", {"follow_up_requested_on": "2026-12-07"}),
        ("Thanks, it was great meeting you too!", {}),
        ("Unfortunately we have decided to move forward with other candidates.", {"outcome": "rejected"}),
        ("We will not be moving forward with your application.", {"outcome": "rejected"}),
        ("The position has been filled.", {"outcome": "rejected"}),
        ("We are delighted to offer you the position! Please respond by 4 December.", {"outcome": "offer", "respond_by": "2026-12-04"}),
        ("Could you give me a call tomorrow morning?", {"medium": "phone"}),
        ("Let's set up a quick call to talk about next steps.", {"medium": "phone"}),
        ("We would like to invite you to a final interview.", {"next_round": True}),
        ("The role is on hold until the new year.", {"on_hold": True}),
    ],
)
def test_a_reply_proposes_what_it_says(text: str, expected: dict[str, object]) -> None:
    proposal = propose(text, MONDAY)
    evidence = proposal.pop("evidence", None)
    assert proposal == expected
    assert (evidence is not None) == bool(expected)


def test_the_candidates_quoted_note_is_not_read_as_the_reply() -> None:
    text = "Thanks Alex!\n\nOn Sun, 22 Nov 2026, Alex wrote:\n> I hope to hear back by Friday; call me any time.\n"
    assert propose(text, MONDAY) == {}
    assert propose("Thanks!\n> we will decide by Friday\n", MONDAY) == {}


def test_a_rejection_is_not_also_a_call_and_a_past_date_is_no_decision_date() -> None:
    assert propose("Unfortunately we decided not to proceed. Call me if you want feedback.", MONDAY) == {
        "outcome": "rejected",
        "evidence": "Unfortunately we decided not to proceed.",
    }
    assert "decision_expected_by" not in propose("We made our decision on 2026-11-02.", MONDAY)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400), st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2150, 12, 31)))
def test_any_text_gives_a_proposal_with_dates_on_or_after_the_message(text: str, sent_on: dt.date) -> None:
    proposal = propose(text, sent_on)
    for name in ("decision_expected_by", "follow_up_requested_on", "respond_by"):
        if name in proposal:
            assert dt.date.fromisoformat(proposal[name]) >= sent_on
    assert set(proposal) <= {"decision_expected_by", "follow_up_requested_on", "respond_by", "outcome", "medium", "next_round", "on_hold", "evidence"}
