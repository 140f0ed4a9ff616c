"""The facts every rulebook can read, registered like any plugin's facts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._scope import ApplicationView, Scope
from ._vocabulary import Fact

__all__ = ["FACTS"]


def _fact(name: str, kind: str, description: str, get: Callable[[Scope], Any]) -> Fact:
    return Fact(name=name, get=get, type=kind, description=description)


def _app(s: Scope) -> ApplicationView:
    view = s.view
    assert isinstance(view, ApplicationView)
    return view


def _count_ended(s: Scope) -> int:
    return len(_app(s).ended_interviews)


def _offer_attr(attribute: str) -> Callable[[Scope], Any]:
    def get(s: Scope) -> Any:
        offer = s.application.offer  # type: ignore[union-attr]
        return getattr(offer, attribute) if offer is not None else None

    return get


def _competing(attribute: str) -> Callable[[Scope], Any]:
    def get(s: Scope) -> Any:
        offer = _app(s).competing_offer
        return getattr(offer, attribute) if offer is not None else None

    return get


def _interview_ended_at(s: Scope) -> Any:
    ended = s.interview.ends_at  # type: ignore[union-attr]
    return ended if ended is not None and ended <= s.world.now else None


def _interview_status(s: Scope) -> Any:
    return _app(s).interview_status(s.interview)  # type: ignore[arg-type]


def _end_estimated(s: Scope) -> bool:
    return s.interview.end_estimated  # type: ignore[union-attr]


def _meets_again_that_day(s: Scope) -> bool:
    """Whether this person is met again later the same day (the later note covers both)."""
    interview, person = s.interview, s.interviewer
    assert interview is not None and person is not None
    meetings = _app(s).meetings_that_day(interview, person.id)
    return bool(meetings) and meetings[-1] is not interview and interview in meetings


def _first_met_that_day_at(s: Scope) -> Any:
    interview, person = s.interview, s.interviewer
    assert interview is not None and person is not None
    meetings = _app(s).meetings_that_day(interview, person.id)
    return meetings[0].begins_at if meetings else None


def _employer_timezone(s: Scope) -> str:
    from .._time import zone_name

    return zone_name(_app(s).employer_calendar.tz)


def _interviewer_attr(attribute: str) -> Callable[[Scope], Any]:
    def get(s: Scope) -> Any:
        return getattr(s.interviewer, attribute)

    return get


def _reference_attr(attribute: str) -> Callable[[Scope], Any]:
    def get(s: Scope) -> Any:
        return getattr(s.reference, attribute)

    return get


def _application_attr(attribute: str) -> Callable[[Scope], Any]:
    def get(s: Scope) -> Any:
        return getattr(s.application, attribute)

    return get


def _view_attr(attribute: str) -> Callable[[Scope], Any]:
    def get(s: Scope) -> Any:
        return getattr(s.view, attribute)

    return get


FACTS: tuple[Fact, ...] = (
    # candidate
    _fact("candidate.name", "string", "The candidate's name.", lambda s: s.candidate.name),
    _fact("candidate.email", "string", "The candidate's email address.", lambda s: s.candidate.email),
    _fact("candidate.timezone", "string", "The candidate's IANA time zone.", lambda s: s.candidate.timezone),
    _fact(
        "candidate.active_applications",
        "integer",
        "How many applications are applied, interviewing or at the offer stage, and not retired.",
        lambda s: s.world.active_applications,
    ),
    _fact(
        "candidate.last_activity_at",
        "datetime",
        "The latest applied_at or status_changed_at of any application, by now.",
        lambda s: s.world.last_activity_at,
    ),
    _fact(
        "candidate.search_over",
        "boolean",
        "Whether an offer has been accepted, as of now (an acceptance dated later has not happened yet).",
        lambda s: s.world.search_over,
    ),
    _fact(
        "candidate.accepted_at",
        "datetime",
        "When the accepted offer was accepted (its status_changed_at, else when it arrived); unset before.",
        lambda s: s.world.accepted_at,
    ),
    _fact(
        "candidate.live_applications",
        "integer",
        "How many applications are still going somewhere: applied, interviewing or offer, not retired, and not gone quiet by now.",
        lambda s: s.world.live_applications,
    ),
    _fact("candidate.references", "integer", "How many references the candidate has.", lambda s: len(s.candidate.references)),
    # application
    *(
        _fact(f"application.{name}", kind, text, _application_attr(name))
        for name, kind, text in (
            ("id", "string", "The application's id."),
            ("company", "string", "The employer's name."),
            ("position", "string", "The position applied for (unset when the state leaves it out)."),
            ("status", "string", "applied, interviewing, offer, rejected, accepted, withdrawn or stale; a reply's outcome counts from the reply on."),
            ("priority", "integer", "1 (most wanted) to 5 (least)."),
            ("preferred_medium", "string", "email, postal, fax or phone: how the employer prefers to be reached."),
            ("requested_medium", "string", "The medium the employer asked for in its latest reply giving one."),
            ("chase_medium", "string", "How to chase: the requested medium, else the preferred one (phone means a call)."),
            ("written_medium", "string", "The medium for a written note: the requested one, else the preferred one, when written; else email."),
            ("status_changed_at", "datetime", "When the status last changed."),
            ("applied_at", "datetime", "When the candidate applied."),
            ("decision_expected_by", "datetime", "When the employer said they would decide (the latest word: a reply's date wins)."),
            ("follow_up_requested_on", "datetime", "Start of the day the employer asked to hear back (the latest word: a reply's date wins)."),
        )
    ),
    _fact("application.employer.timezone", "string", "The employer's IANA time zone (the candidate's unless the state gives one).", _employer_timezone),
    _fact("application.offer.received_at", "datetime", "When this employer's offer arrived.", _offer_attr("received_at")),
    _fact("application.offer.respond_by", "datetime", "When this employer wants an answer to its offer.", _offer_attr("respond_by")),
    _fact("application.interviews", "integer", "How many interviews are scheduled or done.", lambda s: len(s.application.interviews)),  # type: ignore[union-attr]
    _fact("application.ended_interviews", "integer", "How many interviews have ended by now.", _count_ended),
    *(
        _fact(f"application.{name}", "datetime", text, _view_attr(name))
        for name, text in (
            ("first_interview_ended_at", "When the first interview that has ended, ended."),
            ("last_interview_ended_at", "When the most recent interview that has ended, ended."),
            ("next_interview_starts_at", "When the next interview that has not ended starts."),
            ("last_reply_at", "When the employer last sent anything (a contact with direction 'in')."),
            ("last_contact_at", "When anything was last logged for this application, either way."),
            ("last_news_at", "When the employer last said where things stand: a reply with a date, a next round, a hold or an outcome."),
            ("check_back_on", "The day the employer asked to hear back, unless an interview ended or news came after that day."),
            ("decision_pending_by", "The date the employer said it would decide by, unless an interview ended or news came after that day."),
            ("employer_date", "The later of decision_pending_by and check_back_on: no chase opens before it has passed."),
            ("chase_from", "Where the current round of chasing counts from: the later of the last interview's end and last_news_at."),
            ("last_chase_at", "The latest chase the patience cap counts since the employer last replied."),
            ("gone_quiet_at", "Once patience is spent: the last chase plus the patience cap's quiet_after; the application then stops counting as live."),
        )
    ),
    _fact(
        "application.closed_at",
        "datetime",
        "When this application ended, as of now: its rejection, withdrawal or acceptance, or for one "
        "still live, the acceptance of another offer.",
        _view_attr("closed_at"),
    ),
    _fact(
        "application.contact",
        "string",
        "The id of whom notes about the whole application go to: the recruiter, else the lead interviewer of the latest interview.",
        lambda s: (lambda p: p.id if p is not None else None)(_app(s).contact),
    ),
    _fact(
        "application.most_wanted",
        "boolean",
        "Whether this live application has a strictly better priority than every other live one.",
        lambda s: s.world.most_wanted(s.application),  # type: ignore[arg-type]
    ),
    _fact(
        "application.timely_medium",
        "string",
        "The written medium, unless it is postal and a letter posted now would not arrive five business "
        "days before the competing offer's respond_by; then email or fax (whichever the contact has), else phone.",
        _view_attr("timely_medium"),
    ),
    _fact(
        "application.strengths",
        "integer",
        "How many strengths (why the candidate fits) the application lists.",
        lambda s: len(s.application.strengths),  # type: ignore[union-attr]
    ),
    _fact(
        "application.unanswered_chases",
        "integer",
        "How many chases the patience cap counts since the employer last replied (unset without a patience cap).",
        _view_attr("unanswered_chases"),
    ),
    _fact("application.competing_offer.received_at", "datetime", "When the newest pending offer from an application with a worse priority arrived.", _competing("received_at")),
    _fact("application.competing_offer.respond_by", "datetime", "When that competing offer must be answered.", _competing("respond_by")),
    _fact("application.competing_offer.company", "string", "Who made that competing offer.", _competing("company")),
    _fact("application.competing_offer.application", "string", "The id of the application holding that offer.", _competing("application")),
    # interview
    _fact("interview.id", "string", "The interview's id.", lambda s: s.interview.id),  # type: ignore[union-attr]
    _fact("interview.starts_at", "datetime", "When the interview starts or started (unset when only its end is known).", lambda s: s.interview.starts_at),  # type: ignore[union-attr]
    _fact(
        "interview.ended_at",
        "datetime",
        "When the interview ended (given, or its start plus a default length); unset until it has, by now, and for cancelled, no-show and rescheduled interviews.",
        _interview_ended_at,
    ),
    _fact("interview.kind", "string", "phone_screen, video, onsite, technical, panel or informal; unset when not given.", lambda s: s.interview.kind),  # type: ignore[union-attr]
    _fact("interview.status", "string", "As of now: scheduled, happened, cancelled, no_show or rescheduled.", _interview_status),
    _fact("interview.end_estimated", "boolean", "Whether the state gives only the start, so its end is a default length after it.", _end_estimated),
    _fact("interview.interviewers", "integer", "How many interviewers are listed.", lambda s: len(s.interview.interviewers)),  # type: ignore[union-attr]
    # interviewer
    *(
        _fact(f"interviewer.{name}", "string", text, _interviewer_attr(name))
        for name, text in (
            ("id", "The interviewer's id."),
            ("name", "Their name, as they spell it."),
            ("title", "Their job title."),
            ("email", "Their email address."),
            ("postal_address", "Their postal address."),
            ("fax", "Their fax number."),
            ("phone", "Their phone number."),
        )
    ),
    _fact(
        "interviewer.meets_again_that_day",
        "boolean",
        "Whether the candidate meets this interviewer again in a later interview of the same application, the same day (one note covers both).",
        _meets_again_that_day,
    ),
    _fact(
        "interviewer.first_met_that_day_at",
        "datetime",
        "When the first of several interviews with this interviewer on this interview's day started; unset when they are met once that day.",
        _first_met_that_day_at,
    ),
    _fact(
        "interviewer.contact_detail",
        "string",
        "The detail the application's written medium needs: email address, postal address or fax number.",
        lambda s: s.interviewer.detail_for(s.application.written_medium),  # type: ignore[union-attr]
    ),
    # reference
    *(
        _fact(f"reference.{name}", "string", text, _reference_attr(name))
        for name, text in (
            ("id", "The reference's id."),
            ("name", "Their name."),
            ("email", "Their email address."),
            ("phone", "Their phone number."),
        )
    ),
    _fact(
        "reference.alerted",
        "boolean",
        "Whether a reference_alert to this reference is logged, by now, in any application.",
        lambda s: s.reference.id in s.world.alerted_references,  # type: ignore[union-attr]
    ),
)
