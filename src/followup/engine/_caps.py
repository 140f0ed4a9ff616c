"""Caps: how often anyone may be contacted, checked within one evaluation.

A :class:`CapLedger` answers "may this action go out now?" for each cap the action's
rule is subject to, from the contacts logged so far plus the actions this same
evaluation has already let through (counted as if sent at ``now``).
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from .._time import Offset, format_local
from ..rules import ApplicationView, CompiledCap, LogView, StateView

__all__ = ["CapLedger", "Hold"]


@dataclass(frozen=True, slots=True)
class Hold:
    """A cap holding an action back: which, why, and until when (``None``: until a reply)."""

    cap: str
    reason: str
    frees_at: dt.datetime | None


class _Tally:
    """The counted contact times (sorted) and the last reply of one cap scope.

    ``pending`` names the actions this evaluation let through, counted at ``now``.
    """

    __slots__ = ("last_reply", "pending", "times")

    def __init__(self, times: list[dt.datetime], last_reply: dt.datetime | None) -> None:
        self.times = times
        self.last_reply = last_reply
        self.pending: list[str] = []


class CapLedger:
    """Counts contacts per cap and scope for one evaluation at ``world.now``."""

    def __init__(self, world: StateView, caps: Iterable[CompiledCap]) -> None:
        self.world = world
        self.now = world.now
        self.caps = tuple(caps)
        self._tallies: dict[tuple[str, tuple[str | None, ...]], _Tally] = {}
        self._companies: dict[str, list[ApplicationView]] | None = None

    def _scope_key(self, cap: CompiledCap, view: LogView, recipient: str | None) -> tuple[str | None, ...]:
        application = view.application
        if cap.per == "everything" or application is None:
            return ()
        if cap.per == "company":
            return (application.company.casefold(),)
        if cap.per == "recipient":
            return (application.id, recipient)  # None: the application's own actions, never a recipient's id
        return (application.id,)

    def _views(self, cap: CompiledCap, view: LogView) -> list[LogView]:
        if cap.per == "everything" or view.application is None:
            return [self.world.journal, *self.world.applications]
        if cap.per == "company":
            if self._companies is None:
                self._companies = {}
                for other in self.world.applications:
                    self._companies.setdefault(other.application.company.casefold(), []).append(other)
            return list(self._companies[view.application.company.casefold()])
        return [view]

    def _tally(self, cap: CompiledCap, view: LogView, recipient: str | None) -> _Tally:
        key = (cap.id, self._scope_key(cap, view, recipient))
        tally = self._tallies.get(key)
        if tally is None:
            times: list[dt.datetime] = []
            last_reply: dt.datetime | None = None
            only = recipient if cap.per == "recipient" else None
            for each in self._views(cap, view):
                for contact in each.contacts:
                    if only is not None and contact.to != only:
                        continue
                    if contact.direction == "in":
                        if last_reply is None or contact.at > last_reply:
                            last_reply = contact.at
                    elif cap.counts(contact):
                        times.append(contact.at)
            times.sort()
            tally = self._tallies[key] = _Tally(times, last_reply)
        return tally

    def check(self, cap: CompiledCap, view: LogView, recipient: str | None) -> Hold | None:
        """Whether ``cap`` holds back one more contact in this scope at ``now``."""
        tally = self._tally(cap, view, recipient)
        now = self.now
        calendar = self.world.calendar
        when = format_local
        if cap.min_gap is not None:
            if not tally.times:
                return None
            last = tally.times[-1]
            frees = calendar.shift(last, cap.min_gap)
            if now < frees:
                what = (
                    f"{tally.pending[-1]} goes out now"
                    if tally.pending and last == now
                    else f"last counted contact {when(last, calendar.tz)}"
                )
                return Hold(
                    cap.id,
                    f"cap {cap.id!r}: {what}, and it asks for "
                    f"{_span(cap.min_gap)} between contacts per {cap.per}; frees {when(frees, calendar.tz)}",
                    frees,
                )
            return None
        assert cap.max is not None
        if cap.since_reply:
            start = tally.last_reply
            count = len(tally.times) - (bisect.bisect_right(tally.times, start) if start is not None else 0)
            if count >= cap.max:
                now_too = f", counting {', '.join(tally.pending)} going out now" if tally.pending else ""
                since = f"since the employer last replied {when(start, calendar.tz)}" if start else "and the employer has never replied"
                return Hold(
                    cap.id,
                    f"cap {cap.id!r}: {count} of {cap.max} unanswered follow-ups per {cap.per} {since}{now_too}; "
                    "frees when the employer replies",
                    None,
                )
            return None
        assert cap.within is not None
        window_start = calendar.shift(now, Offset(cap.within.unit, -cap.within.amount))
        first = bisect.bisect_right(tally.times, window_start)
        inside = tally.times[first:]
        if len(inside) >= cap.max:
            frees = calendar.shift(inside[len(inside) - cap.max], cap.within)
            now_too = f", counting {', '.join(tally.pending)} going out now" if tally.pending else ""
            return Hold(
                cap.id,
                f"cap {cap.id!r}: {len(inside)} of {cap.max} contacts per {cap.per} in the last "
                f"{_span(cap.within)}{now_too}; frees {when(frees, calendar.tz)}",
                frees,
            )
        return None

    def record(self, kind: str, key: str, view: LogView, recipient: str | None) -> None:
        """Count the action ``key`` of ``kind``, let through by this evaluation, as sent now."""
        for cap in self.caps:
            if cap.kinds is not None and kind not in cap.kinds:
                continue
            tally = self._tally(cap, view, recipient)
            bisect.insort(tally.times, self.now)
            tally.pending.append(f"{kind} {key}")


def _span(offset: Offset) -> str:
    return str(offset).removeprefix("+")

