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
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from .._channel import DeliveryError, Message, Party

__all__ = ["Renderer", "get_renderer"]

_LETTER_MEDIA = frozenset({"postal", "fax"})


class Renderer:
    """Renders :class:`followup.Message` objects from templates.

    :param template_dir: a folder whose templates replace the shipped ones of the
        same name; ``None`` for the shipped ones only.
    """

    def __init__(self, template_dir: Path | None = None) -> None:
        shipped = jinja2.PackageLoader("followup.delivery.messages", "templates")
        loaders: list[jinja2.BaseLoader] = []
        if template_dir is not None:
            loaders.append(jinja2.FileSystemLoader(str(template_dir)))
        loaders.extend([jinja2.PrefixLoader({"default": shipped}), shipped])
        self.template_dir = template_dir
        self.env = ImmutableSandboxedEnvironment(
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

    def render(self, context: Mapping[str, Any]) -> Message:
        """The message for ``context['action']`` (see :func:`followup.delivery.messages.build_context`).

        :raises followup.DeliveryError: (permanent) no template for the kind, or
            the template failed: a syntax error, an undefined name, a sandbox
            violation, or a subject with a line break.
        """
        action = context["action"]
        candidate = context["candidate"]
        name = self.template_name(action.kind)
        values = dict(context)
        values["choose"] = _chooser(action, int(context.get("recipient_index", 0)))
        values["tz"] = candidate.timezone
        try:
            template = self.env.get_template(name)
            block_context = template.new_context(values)
            # Render the whole template once: this runs ``{% extends %}`` and fills
            # ``blocks`` with the most derived version of each block.
            "".join(template.root_render_func(block_context))
            subject = _block(block_context, "subject").strip()
            body = _tidy(_block(block_context, "body"))
        except jinja2.TemplateNotFound:
            where = f" or in {self.template_dir}" if self.template_dir else ""
            raise DeliveryError(
                f"{action.key}: no template for kind {action.kind!r}: add {name} to the template folder{where}",
                transient=False,
            ) from None
        except jinja2.TemplateError as exc:
            raise _template_error(action.key, name, exc) from None
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
            html = self._letter(context, subject, body, sender, values)
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
        self, context: Mapping[str, Any], subject: str, body: str, sender: Party, values: dict[str, Any]
    ) -> str:
        action = context["action"]
        now = context.get("now") or action.due_at
        try:
            template = self.env.get_template("letter.html")
            return template.render(
                {
                    **values,
                    "sender": sender,
                    "subject": subject,
                    "paragraphs": [p.strip() for p in body.split("\n\n") if p.strip()],
                    "dated": now,
                }
            )
        except jinja2.TemplateError as exc:
            raise _template_error(action.key, "letter.html", exc) from None


_renderers: dict[Path | None, Renderer] = {}


def get_renderer(template_dir: Path | None = None) -> Renderer:
    """A cached :class:`Renderer` for a template folder."""
    renderer = _renderers.get(template_dir)
    if renderer is None:
        renderer = _renderers[template_dir] = Renderer(template_dir)
    return renderer


def _block(context: Any, name: str) -> str:
    stack = context.blocks.get(name)
    if not stack:
        raise jinja2.TemplateRuntimeError(f"the template has no {{% block {name} %}}")
    return "".join(stack[0](context))


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


def _local_filter(name: str, what: str, shape: Callable[[Any], str]) -> Callable[..., str]:
    """A template filter showing an instant (or a date) in the candidate's zone, shaped by ``shape``."""

    @jinja2.pass_context
    def local_filter(context: Any, value: dt.datetime | dt.date | None) -> str:
        if value is None:
            raise jinja2.TemplateRuntimeError(f"the {name!r} filter got no {what}")
        return shape(_local(value, context.get("tz")))

    local_filter.__name__ = f"_{name}"
    return local_filter


#: ``Thursday, 26 November`` in the candidate's zone
_day = _local_filter("day", "date", lambda local: f"{local:%A}, {local.day} {local:%B}")
#: ``26 November 2026`` in the candidate's zone
_date = _local_filter("date", "date", lambda local: f"{local.day} {local:%B %Y}")
#: ``14:00`` in the candidate's zone
_time = _local_filter("time", "time", lambda local: f"{local:%H:%M}")


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
