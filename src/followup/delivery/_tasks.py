"""The candidate's own tasks on an agenda (calls, reminders) as one iCalendar document.

Used by ``followup agenda --format ics``, ``followup calendar`` and the calendar feed of
``followup serve``.
"""

from __future__ import annotations

from typing import Any

from ._config import Config

__all__ = ["agenda_ics"]


def agenda_ics(
    state: Any, agenda: Any, now: Any, config: Config | None = None, *, include_done: bool = False
) -> tuple[bytes, int]:
    """The tasks of ``agenda`` the candidate must do (calls, reminders) as iCalendar, and how many.

    Pending, upcoming and held-back actions (and done ones with ``include_done``)
    whose medium is ``phone`` or ``reminder`` become one event each; see
    :mod:`followup.delivery.channels.ical`.
    """
    from ._channel import TASK_MEDIA
    from ._config import load_config
    from .channels.ical import agenda_calendar
    from .messages import build_context, render_message

    config = config if config is not None else load_config()
    statuses = {"due", "overdue", "upcoming", "suppressed"} | ({"done"} if include_done else set())
    messages = []
    for action in agenda:
        if action.status not in statuses:
            continue
        context = build_context(state, action, config.as_context(), now=now)
        if context["medium"] not in TASK_MEDIA:
            continue
        messages.append(render_message(context))
    settings = config.channel_settings("calendar")
    data = agenda_calendar(
        messages,
        timezone=state.candidate.timezone,
        stamp=now,
        alarm_minutes=int(settings.get("alarm_minutes", 15)),
    )
    return data, len(messages)
