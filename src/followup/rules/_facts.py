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
    ended = s.interview.ended_at  # type: ignore[union-attr]
    return ended if ended is not None and ended <= s.world.now else None


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
    _fact("candidate.references", "integer", "How many references the candidate has.", lambda s: len(s.candidate.references)),
    # application
    *(
        _fact(f"application.{name}", kind, text, _application_attr(name))
        for name, kind, text in (
            ("id", "string", "The application's id."),
            ("company", "string", "The employer's name."),
            ("position", "string", "The position applied for."),
            ("status", "string", "applied, interviewing, offer, rejected, accepted or withdrawn."),
            ("priority", "integer", "1 (most wanted) to 5 (least)."),
            ("preferred_medium", "string", "email, postal, fax or phone: how the employer prefers to be reached."),
            ("written_medium", "string", "The medium for a written note: the preferred one, or email when that is phone."),
            ("status_changed_at", "datetime", "When the status last changed."),
            ("applied_at", "datetime", "When the candidate applied."),
            ("decision_expected_by", "datetime", "When the employer said they would decide."),
            ("follow_up_requested_on", "datetime", "Start of the day the employer asked to hear back."),
        )
    ),
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
        )
    ),
    _fact("application.competing_offer.received_at", "datetime", "When the newest pending offer from an application with a worse priority arrived.", _competing("received_at")),
    _fact("application.competing_offer.respond_by", "datetime", "When that competing offer must be answered.", _competing("respond_by")),
    _fact("application.competing_offer.company", "string", "Who made that competing offer.", _competing("company")),
    _fact("application.competing_offer.application", "string", "The id of the application holding that offer.", _competing("application")),
    # interview
    _fact("interview.id", "string", "The interview's id.", lambda s: s.interview.id),  # type: ignore[union-attr]
    _fact("interview.starts_at", "datetime", "When the interview starts or started.", lambda s: s.interview.starts_at),  # type: ignore[union-attr]
    _fact("interview.ended_at", "datetime", "When the interview ended; unset until it has, by now.", _interview_ended_at),
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
)
