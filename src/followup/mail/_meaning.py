"""What a reply seems to say: a proposal for the person to confirm, never a decision.

:func:`propose` reads the text of an employer's reply (quoted text of the candidate's
own message left out) and proposes its meaning in the fields a reply has in the state:

- a date mentioned near "decide", "decision", "get back", "hear back", "let you know"
  or "update you": ``decision_expected_by``;
- a date near "check in", "follow up", "reach out" or "touch base":
  ``follow_up_requested_on``;
- a rejection ("decided to move forward with other candidates", "not be moving
  forward", "position has been filled"...): ``outcome: rejected``;
- an offer ("pleased to offer you", "extend an offer"...): ``outcome: offer``, with a
  date near "respond", "accept" or "deadline" as ``respond_by``;
- a request to call ("give me a call", "set up a call", "call me at"...): ``medium: phone``;
- a next round being booked, or the process on hold: ``next_round``, ``on_hold``.

Nothing found proposes an acknowledgement. Dates are read as day and month in words
(``4 December``, ``Dec 4th``, ``December 4``), ISO dates, or a weekday (``by Friday``:
the next Friday after the message); a date without a year is the first such day on or
after the message's own day. The wording is English; a proposal is only ever a
starting point that ``followup log confirm`` takes, changes or drops.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

__all__ = ["propose", "reply_text"]

_MONTH_NAMES = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_WEEKDAYS = {name: number for number, name in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))}
_MONTH = "(" + "|".join(sorted(_MONTH_NAMES, key=len, reverse=True)) + r")\.?"
_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"
_DATE = re.compile(
    rf"\b(?:{_DAY}\s+(?:of\s+)?{_MONTH}|{_MONTH}\s+{_DAY})(?:,?\s+(\d{{4}}))?\b"
    r"|\b(\d{4})-(\d{2})-(\d{2})\b"
    r"|\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b",
    re.IGNORECASE,
)
_NEAR = 90  # characters either side of a keyword a date may be

_DECIDE = re.compile(r"\b(decide|decision|get back to you|get back|hear back|let you know|update you|come back to you)", re.IGNORECASE)
_CHECK_BACK = re.compile(r"\b(check in|check back|follow up|follow-up|reach out|touch base|ping (?:me|us))", re.IGNORECASE)
_RESPOND = re.compile(r"\b(respond|response|answer|accept|deadline|sign)", re.IGNORECASE)
_REJECTED = re.compile(
    r"(move|moving|go|going|proceed|proceeding)\s+forward\s+with\s+(?:other|another|a different)\s+candidate"
    r"|\bnot\s+(?:to\s+)?(?:be\s+)?(?:moving|move|proceed|proceeding|progress|progressing|going)\s+(?:forward|further|ahead)"
    r"|\bdecided\s+not\s+to\s+(?:proceed|progress|move|continue|offer)"
    r"|\bposition\s+has\s+(?:now\s+)?been\s+filled"
    r"|\bpursue\s+other\s+candidates"
    r"|\bnot\s+been\s+successful"
    r"|\bwe\s+regret\s+to\s+inform",
    re.IGNORECASE,
)
_OFFER = re.compile(
    r"\b(?:pleased|happy|delighted|excited|thrilled)\s+to\s+(?:extend|offer|make)"
    r"|\bextend\s+(?:you\s+)?an\s+offer"
    r"|\boffer\s+you\s+the\s+(?:position|role|job)"
    r"|\b(?:attached|enclosed)\s+(?:is\s+)?(?:your|the)\s+offer",
    re.IGNORECASE,
)
_CALL = re.compile(
    r"\b(?:give|gave)\s+(?:me|us)\s+a\s+(?:call|ring)"
    r"|\bcall\s+(?:me|us)\b"
    r"|\b(?:set\s+up|schedule|arrange|have|hop\s+on|jump\s+on)\s+a\s+(?:quick\s+|short\s+|brief\s+)?(?:phone\s+)?call"
    r"|\b(?:talk|speak|chat)\s+(?:by|on\s+the|over\s+the)\s+phone"
    r"|\bphone\s+(?:me|us)\b",
    re.IGNORECASE,
)
_NEXT_ROUND = re.compile(
    r"\bnext\s+(?:round|stage|step\s+is\s+an?\s+interview)"
    r"|\binvite\s+you\s+(?:to|for)\s+(?:an?\s+)?(?:second|final|onsite|on-site|technical|follow-up)\s+(?:interview|round)",
    re.IGNORECASE,
)
_ON_HOLD = re.compile(r"\b(?:on\s+hold|hiring\s+freeze|paused\s+(?:the|this|our)\s+(?:search|process|hiring))", re.IGNORECASE)
_QUOTE_HEADER = re.compile(r"^\s*(?:On\s.+wrote:|-{2,}\s*Original Message\s*-{2,}|From:\s.+)\s*$", re.IGNORECASE)


def reply_text(text: str) -> str:
    """``text`` without the quoted message it answers (``>`` lines and what follows "On ... wrote:")."""
    kept = []
    for line in text.splitlines():
        if _QUOTE_HEADER.match(line):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line)
    return " ".join(" ".join(kept).split())


def _dates(text: str, sent_on: dt.date) -> list[tuple[int, int, dt.date]]:
    """(start, end, date) of every date mentioned in ``text``."""
    found = []
    for match in _DATE.finditer(text):
        day_a, month_a, month_b, day_b, year, iso_y, iso_m, iso_d, weekday = match.groups()
        try:
            if iso_y:
                when = dt.date(int(iso_y), int(iso_m), int(iso_d))
            elif weekday:
                ahead = (_WEEKDAYS[weekday.lower()] - sent_on.weekday()) % 7 or 7
                when = sent_on + dt.timedelta(days=ahead)
            else:
                day = int(day_a or day_b)
                month = _MONTH_NAMES[(month_a or month_b).lower().rstrip(".")]
                if year:
                    when = dt.date(int(year), month, day)
                else:
                    when = dt.date(sent_on.year, month, day)
                    if when < sent_on:
                        when = dt.date(sent_on.year + 1, month, day)
        except ValueError:  # 31 February
            continue
        if when < sent_on:
            continue  # a date already past says nothing about what comes next
        found.append((match.start(), match.end(), when))
    return found


def _date_near(text: str, keyword: re.Pattern[str], dates: list[tuple[int, int, dt.date]]) -> tuple[dt.date, int] | None:
    """The date closest to a match of ``keyword`` (within :data:`_NEAR` characters), and where."""
    best: tuple[int, dt.date, int] | None = None
    for match in keyword.finditer(text):
        for start, end, when in dates:
            distance = start - match.end() if start >= match.end() else match.start() - end
            if distance <= _NEAR and (best is None or distance < best[0]):
                best = (distance, when, match.start())
    return (best[1], best[2]) if best is not None else None


def _sentence(text: str, at: int) -> str:
    start = max(text.rfind(". ", 0, at), text.rfind("! ", 0, at), text.rfind("? ", 0, at))
    start = 0 if start < 0 else start + 2
    ends = [i for i in (text.find(". ", at), text.find("! ", at), text.find("? ", at)) if i >= 0]
    end = min(ends) + 1 if ends else len(text)
    sentence = text[start:end].strip()
    return sentence if len(sentence) <= 240 else sentence[:239] + "…"


def propose(text: str, sent_on: dt.date) -> dict[str, Any]:
    """The meaning proposed for a reply with body ``text`` sent on ``sent_on``, as state-document fields.

    The result always has ``evidence`` when something was found (the sentence it was
    read from); an empty mapping proposes an acknowledgement.
    """
    said = reply_text(text)[:20_000]
    proposal: dict[str, Any] = {}
    evidence: list[int] = []
    dates = _dates(said, sent_on)
    offer = _OFFER.search(said)
    rejected = _REJECTED.search(said)
    if rejected is not None:
        proposal["outcome"] = "rejected"
        evidence.append(rejected.start())
    elif offer is not None:
        proposal["outcome"] = "offer"
        evidence.append(offer.start())
        deadline = _date_near(said, _RESPOND, dates)
        if deadline is not None:
            proposal["respond_by"] = deadline[0].isoformat()
    else:
        decision = _date_near(said, _DECIDE, dates)
        if decision is not None:
            proposal["decision_expected_by"] = decision[0].isoformat()
            evidence.append(decision[1])
        check_back = _date_near(said, _CHECK_BACK, dates)
        if check_back is not None and check_back[0] != (decision[0] if decision else None):
            proposal["follow_up_requested_on"] = check_back[0].isoformat()
            evidence.append(check_back[1])
        for flag, pattern in (("next_round", _NEXT_ROUND), ("on_hold", _ON_HOLD)):
            found = pattern.search(said)
            if found is not None:
                proposal[flag] = True
                evidence.append(found.start())
    call = _CALL.search(said)
    if call is not None and proposal.get("outcome") != "rejected":
        proposal["medium"] = "phone"
        evidence.append(call.start())
    if evidence:
        sentences = []
        for at in sorted(evidence):
            sentence = _sentence(said, at)
            if sentence not in sentences:
                sentences.append(sentence)
        proposal["evidence"] = " … ".join(sentences)[:480]
    return proposal
