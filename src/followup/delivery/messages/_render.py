"""Rendering messages from Jinja2 templates in a sandbox.

Every template is a text file named after the action kind (``thank_you_note.txt``)
with two blocks, ``subject`` and ``body``. Letters for postal mail and fax are the
body poured into ``letter.html`` (autoescaped). A user's template folder is searched
first, then the shipped templates; the shipped ones stay reachable under the
``default/`` prefix so an override can ``{% extends "default/thank_you_note.txt" %}``.

Templates run in Jinja2's immutable sandbox: they can read the context and call the
helpers below, and nothing else (no attributes starting with ``_``, no Python
internals, no mutating the state). An undefined name is an error, not an empty
string, so a message is never sent half-rendered.

Rendering is also bounded, so a template cannot stall a run or fill the memory:
one message may take at most :attr:`Renderer.time_limit` seconds (5 by default; a
watchdog interrupts the template wherever it is, in a loop or a recursive macro)
and write at most :attr:`Renderer.max_output` characters (1,000,000); ``range`` is
capped by the sandbox at 100,000 items, and ``*`` and ``**`` may not build a value
past the output limit. Every failure, these included, is a permanent
:class:`~followup.DeliveryError` naming the template and its line.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import hashlib
import heapq
import itertools
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from .._channel import DeliveryError, Message, Party

__all__ = ["RenderLimit", "Renderer", "get_renderer"]

_LETTER_MEDIA = frozenset({"postal", "fax"})


class RenderLimit(Exception):
    """A template ran past the renderer's time or output limit."""


class _Sandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, refusing ``*`` and ``**`` results too big to be part of a message."""

    intercepted_binops = frozenset({"*", "**"})
    max_output = 1_000_000

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            if isinstance(right, int | float) and isinstance(left, int | float) and abs(right) > 64 and abs(left) > 1:
                raise RenderLimit(f"{left!r} ** {right!r} is too large a number for a message")
        elif operator == "*":
            sequence, times = (left, right) if isinstance(right, int) else (right, left)
            if isinstance(times, int) and isinstance(sequence, str | list | tuple) and times * len(sequence) > self.max_output:
                raise RenderLimit(f"repeating a value {times:,} times makes it longer than {self.max_output:,}")
        return super().call_binop(context, operator, left, right)


class _Alarms:
    """One daemon thread that fires each armed :class:`_Watchdog` whose time is up
    (a thread per render would cost more than the render)."""

    def __init__(self) -> None:
        self.condition = threading.Condition()
        self.pending: list[tuple[float, int, _Watchdog]] = []
        self.order = itertools.count()
        self.thread: threading.Thread | None = None

    def arm(self, watchdog: _Watchdog) -> None:
        with self.condition:
            heapq.heappush(self.pending, (watchdog.deadline, next(self.order), watchdog))
            if self.thread is None:
                self.thread = threading.Thread(target=self._watch, name="followup-render-watchdog", daemon=True)
                self.thread.start()
            self.condition.notify()

    def _watch(self) -> None:
        while True:
            with self.condition:
                while True:
                    while self.pending and not self.pending[0][2].armed:
                        heapq.heappop(self.pending)  # finished in time
                    if not self.pending:
                        self.condition.wait()
                        continue
                    delay = self.pending[0][0] - time.monotonic()
                    if delay <= 0:
                        due = heapq.heappop(self.pending)[2]
                        break
                    self.condition.wait(delay)
            due.fire()


_ALARMS = _Alarms()


def _alarms_after_fork() -> None:
    global _ALARMS
    _ALARMS = _Alarms()  # a forked child has the parent's watchdog thread object, not the thread


os.register_at_fork(after_in_child=_alarms_after_fork)


class _Watchdog:
    """Interrupts the current thread with :class:`RenderLimit` once ``seconds`` have passed.

    The interruption is an asynchronous exception (``PyThreadState_SetAsyncExc``):
    it lands at the next bytecode the template runs, whatever it is doing, in any
    thread. Leaving the ``with`` block disarms it and clears one that fired too late.
    One shared thread (:class:`_Alarms`) keeps the time of every watchdog.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.thread = threading.get_ident()
        self.lock = threading.Lock()
        self.armed = False
        self.fired = False
        self.deadline = 0.0

    def fire(self) -> None:
        with self.lock:
            if self.armed:
                self.fired = True
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(self.thread), ctypes.py_object(RenderLimit))

    def __enter__(self) -> _Watchdog:
        self.armed = True
        self.deadline = time.monotonic() + self.seconds
        _ALARMS.arm(self)
        return self

    def __exit__(self, *exc: object) -> None:
        with self.lock:
            self.armed = False
            if self.fired:  # fired but perhaps not yet raised: clear it so it cannot land elsewhere
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(self.thread), None)


def _bounded(chunks: Iterable[str], limit: int) -> str:
    """Join ``chunks``, refusing to go past ``limit`` characters (naming the template line writing then)."""
    out: list[str] = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > limit:
            where = _writing_line(chunks)
            error = RenderLimit(f"the message would be longer than {limit:,} characters")
            error.where = where  # type: ignore[attr-defined]
            raise error
        out.append(chunk)
    return "".join(out)


def _writing_line(chunks: Any) -> str | None:
    """The template line a suspended render generator (and what it delegates to) stands on."""
    found: str | None = None
    while chunks is not None:
        frame = getattr(chunks, "gi_frame", None)
        if frame is None:
            break
        template = frame.f_globals.get("__jinja_template__")
        if template is not None:
            found = f"{template.name}:{template.get_corresponding_lineno(frame.f_lineno)}"
        chunks = getattr(chunks, "gi_yieldfrom", None)
    return found


class Renderer:
    """Renders :class:`followup.Message` objects from templates.

    :param template_dir: a folder whose templates replace the shipped ones of the
        same name; ``None`` for the shipped ones only.
    """

    #: the longest one message may take to render, in seconds
    time_limit: float = 5.0
    #: the most characters one rendered template may write
    max_output: int = 1_000_000

    def __init__(self, template_dir: Path | None = None) -> None:
        shipped = jinja2.PackageLoader("followup.delivery.messages", "templates")
        loaders: list[jinja2.BaseLoader] = []
        if template_dir is not None:
            loaders.append(jinja2.FileSystemLoader(str(template_dir)))
        loaders.extend([jinja2.PrefixLoader({"default": shipped}), shipped])
        self.template_dir = template_dir
        self.env = _Sandbox(
            loader=jinja2.ChoiceLoader(loaders),
            autoescape=jinja2.select_autoescape(enabled_extensions=("html", "htm", "xml"), default_for_string=False),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
        )
        self.env.filters.update(
            day=_day,
            date=_date,
            time=_time,
            clock=_clock,
            first_name=_first_name,
            join_and=_join_and,
            lines=_lines,
        )

    def template_name(self, kind: str) -> str:
        return f"{kind}.txt"

    def has_template(self, kind: str) -> bool:
        try:
            self.env.get_template(self.template_name(kind))
        except jinja2.TemplateNotFound:
            return False
        return True

    def render(self, context: Mapping[str, Any], *, time_limit: float | None = None) -> Message:
        """The message for ``context['action']`` (see :func:`followup.delivery.messages.build_context`).

        :param time_limit: seconds the whole message (subject, body, letter) may take;
            :attr:`time_limit` by default. A caller with its own deadline passes what is left.
        :raises followup.DeliveryError: (permanent) no template for the kind, or
            the template failed: a syntax error, an undefined name, a sandbox
            violation, a time or size limit, or a subject with a line break.
        """
        limit = self.time_limit if time_limit is None else max(time_limit, 0.001)
        try:
            with _Watchdog(limit):
                return self._render(context, limit)
        except RenderLimit as exc:  # the watchdog fired between two steps outside a template
            action = context["action"]
            raise DeliveryError(
                f"{action.key}: rendering took longer than {limit:g} s" + (f" ({exc})" if str(exc) else ""),
                transient=False,
            ) from None

    def _render(self, context: Mapping[str, Any], limit: float) -> Message:
        action = context["action"]
        candidate = context["candidate"]
        name = self.template_name(action.kind)
        values = dict(context)
        values["choose"] = _chooser(action, int(context.get("recipient_index", 0)))
        values["tz"] = candidate.timezone
        values["locale"] = candidate.locale
        try:
            template = self.env.get_template(name)
            block_context = template.new_context(values)
            # Render the whole template once: this runs ``{% extends %}`` and fills
            # ``blocks`` with the most derived version of each block.
            _bounded(template.root_render_func(block_context), self.max_output)
            subject = _block(block_context, "subject", self.max_output).strip()
            body = _tidy(_block(block_context, "body", self.max_output))
        except jinja2.TemplateNotFound:
            where = f" or in {self.template_dir}" if self.template_dir else ""
            raise DeliveryError(
                f"{action.key}: no template for kind {action.kind!r}: add {name} to the template folder{where}",
                transient=False,
            ) from None
        except jinja2.TemplateError as exc:
            raise _template_error(action.key, name, exc) from None
        except (RenderLimit, RecursionError, OverflowError, MemoryError, ArithmeticError, TypeError, ValueError) as exc:
            raise _runtime_error(action.key, name, exc, limit) from None
        if "\n" in subject or "\r" in subject:
            raise DeliveryError(
                f"{action.key}: template {name}: the subject has a line break ({subject!r}); "
                "a name, title or company in the state probably contains one",
                transient=False,
            )
        if not subject or not body:
            empty = "subject" if not subject else "body"
            raise DeliveryError(f"{action.key}: template {name} rendered an empty {empty}", transient=False)
        config = context.get("config") or {}
        sender = _sender(candidate, config.get("sender") or {})
        medium = str(context.get("medium") or "email")
        html = None
        if medium in _LETTER_MEDIA:
            html = self._letter(context, subject, body, sender, values, limit)
        return Message(
            key=action.key,
            kind=action.kind,
            medium=medium,
            subject=subject,
            body=body,
            sender=sender,
            recipient=context.get("recipient"),
            action=action,
            html=html,
            timezone=candidate.timezone,
        )

    def _letter(
        self, context: Mapping[str, Any], subject: str, body: str, sender: Party, values: dict[str, Any], limit: float
    ) -> str:
        action = context["action"]
        now = context.get("now") or action.due_at
        try:
            template = self.env.get_template("letter.html")
            return _bounded(
                template.generate(
                    {
                        **values,
                        "sender": sender,
                        "subject": subject,
                        "paragraphs": [p.strip() for p in body.split("\n\n") if p.strip()],
                        "dated": now,
                    }
                ),
                self.max_output,
            )
        except jinja2.TemplateError as exc:
            raise _template_error(action.key, "letter.html", exc) from None
        except (RenderLimit, RecursionError, OverflowError, MemoryError, ArithmeticError, TypeError, ValueError) as exc:
            raise _runtime_error(action.key, "letter.html", exc, limit) from None


def _runtime_error(key: str, name: str, exc: BaseException, limit: float) -> DeliveryError:
    """A template that ran away or raised: name the template line it was on."""
    where = getattr(exc, "where", None) or _template_line(exc) or name
    if isinstance(exc, RenderLimit):
        what = str(exc) or f"it took longer than the limit of {limit:g} s"
        return DeliveryError(f"{key}: template {where} stopped: {what}", transient=False)
    if isinstance(exc, RecursionError):
        return DeliveryError(
            f"{key}: template {where} failed to render: a macro or include calls itself without end", transient=False
        )
    if isinstance(exc, MemoryError):
        return DeliveryError(f"{key}: template {where} failed to render: it needs too much memory", transient=False)
    return DeliveryError(
        f"{key}: template {where} failed to render ({type(exc).__name__}): {str(exc)[:200]}", transient=False
    )


_renderers: dict[Path | None, Renderer] = {}


def get_renderer(template_dir: Path | None = None) -> Renderer:
    """A cached :class:`Renderer` for a template folder."""
    renderer = _renderers.get(template_dir)
    if renderer is None:
        renderer = _renderers[template_dir] = Renderer(template_dir)
    return renderer


def _block(context: Any, name: str, limit: int) -> str:
    stack = context.blocks.get(name)
    if not stack:
        raise jinja2.TemplateRuntimeError(f"the template has no {{% block {name} %}}")
    return _bounded(stack[0](context), limit)


def _template_line(exc: BaseException) -> str | None:
    """``file:line`` of the innermost template frame in ``exc``'s traceback, if any.

    Compiled templates are Python code; Jinja2 keeps the template in each frame's
    globals and maps Python lines back to template lines, as it does for its own errors.
    """
    tb = exc.__traceback__
    found: str | None = None
    while tb is not None:
        code = tb.tb_frame.f_code
        template = tb.tb_frame.f_globals.get("__jinja_template__")
        if template is not None:
            lineno = template.get_corresponding_lineno(tb.tb_lineno)
            found = f"{template.name or code.co_filename}:{lineno}"
        tb = tb.tb_next
    return found


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.strip().splitlines()]
    tidy: list[str] = []
    for line in lines:
        if not line and tidy and not tidy[-1]:
            continue
        tidy.append(line)
    return "\n".join(tidy) + "\n" if tidy else ""


def _template_error(key: str, name: str, exc: jinja2.TemplateError) -> DeliveryError:
    where = name
    lineno = getattr(exc, "lineno", None)
    if lineno:
        where = f"{getattr(exc, 'filename', None) or name}:{lineno}"
    what = type(exc).__name__
    if isinstance(exc, jinja2.exceptions.SecurityError):
        what = "not allowed in the sandbox"
    return DeliveryError(f"{key}: template {where} failed to render ({what}): {exc.message or exc}", transient=False)


def _sender(candidate: Any, settings: Mapping[str, Any]) -> Party:
    return Party(
        name=candidate.name,
        email=settings.get("email") or candidate.email,
        postal_address=settings.get("postal_address"),
        phone=settings.get("phone"),
    )


def _chooser(action: Any, index: int) -> Any:
    """``choose(slot, options)``: a phrasing fixed by the action, different for each recipient.

    The choice depends on the rule, application and interview (so every note of one
    interview shares a starting point) plus the recipient's place among the
    interviewers (so up to ``len(options)`` colleagues each get a different one).
    """
    seed = f"{action.rule}|{action.application}|{action.interview}"

    def choose(slot: str, options: Sequence[Any]) -> Any:
        if not options:
            raise jinja2.TemplateRuntimeError(f"choose({slot!r}, …) needs at least one option")
        digest = hashlib.sha256(f"{seed}|{slot}".encode()).digest()
        return options[(int.from_bytes(digest[:8], "big") + index) % len(options)]

    return choose


def _local(value: dt.datetime | dt.date, tz: str | None) -> dt.datetime | dt.date:
    if isinstance(value, dt.datetime) and tz:
        return value.astimezone(ZoneInfo(tz))
    return value


def _local_filter(name: str, what: str, shape: Callable[[Any], str], shape_for: Callable[[Any, str], str] | None = None) -> Callable[..., str]:
    """A template filter showing an instant (or a date) in the candidate's zone, shaped by ``shape``,
    or by ``shape_for`` in the candidate's locale when the state gives one."""

    @jinja2.pass_context
    def local_filter(context: Any, value: dt.datetime | dt.date | None) -> str:
        if value is None:
            raise jinja2.TemplateRuntimeError(f"the {name!r} filter got no {what}")
        local = _local(value, context.get("tz"))
        locale = context.get("locale")
        return shape_for(local, locale) if locale and shape_for is not None else shape(local)

    local_filter.__name__ = f"_{name}"
    return local_filter


def _weekday_and_day(value: dt.date, locale: str) -> str:
    """``Monday 30 November`` the way ``locale`` writes a day of the month with its weekday, in full."""
    import re

    from babel import Locale
    from babel.dates import format_date, match_skeleton

    place = Locale.parse(locale)
    skeleton = match_skeleton("MMMMEEEEd", place.datetime_skeletons)
    pattern = place.datetime_skeletons[skeleton].pattern if skeleton else "EEEE d MMMM"
    return format_date(value, re.sub(r"(?<!E)E{1,3}(?!E)", "EEEE", pattern), locale=place)


def _long_date(value: dt.date, locale: str) -> str:
    from babel.dates import format_date

    return format_date(value, "long", locale=locale)


def _short_time(value: dt.datetime | dt.date, locale: str) -> str:
    from babel.dates import format_time

    return format_time(value if isinstance(value, dt.datetime) else dt.time(0), "short", locale=locale)


#: ``Thursday, 26 November`` in the candidate's zone (``Thursday 26 November``, ``Thursday, November 26``,
#: ``Donnerstag, 26. November``... in the candidate's locale)
_day = _local_filter("day", "date", lambda local: f"{local:%A}, {local.day} {local:%B}", _weekday_and_day)
#: ``26 November 2026`` in the candidate's zone (``November 26, 2026``, ``26. November 2026``... in their locale)
_date = _local_filter("date", "date", lambda local: f"{local.day} {local:%B %Y}", _long_date)
#: ``14:00`` in the candidate's zone (``2:00 PM`` for en_US...)
_time = _local_filter("time", "time", lambda local: f"{local:%H:%M}", _short_time)
#: ``14:00``: the 24-hour clock in the candidate's zone whatever their locale, for templates to compare
_clock = _local_filter("clock", "time", lambda local: f"{local:%H:%M}")


def _first_name(value: str | None) -> str:
    if not value:
        raise jinja2.TemplateRuntimeError("first_name got no name")
    return value.split()[0]


def _join_and(values: Sequence[str], word: str = "and") -> str:
    items = [str(v) for v in values]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {word} {items[-1]}"


def _lines(value: str | None) -> list[str]:
    return [line.strip() for line in (value or "").splitlines() if line.strip()]
