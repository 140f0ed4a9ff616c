"""The Starlette application of ``followup serve``: pages, forms and the JSON API.

Every page is worked out afresh from the state (file or store) at the site's
instant; every form post is checked for its CSRF token before anything is read
from it, and refused (403) without it; a form that does not validate is shown again
with the problems (422) and nothing is written.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from jinja2 import PackageLoader, select_autoescape
from jinja2.sandbox import SandboxedEnvironment
from starlette.applications import Starlette
from starlette.datastructures import FormData
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .._errors import FollowupError, InvalidInput
from ..engine import Action
from ..state import Application, State
from ._site import TOKEN_VARIABLE, Site

__all__ = ["create_app"]

SESSION_COOKIE = "followup_session"
TOKEN_COOKIE = "followup_token"
#: the order and headings of the agenda's sections (statuses come from the engine)
SECTIONS = (
    ("overdue", "Overdue", "Past their due time and still worth doing."),
    ("due", "Due", "Open now."),
    ("suppressed", "Held back", "A cap or the employer's pace holds these; each says why and until when."),
    ("upcoming", "Upcoming", "Not open yet."),
)
#: contact fields the journal sets itself, never asked for on a reply form
_BOOKKEEPING = ("at", "kind", "direction", "action", "until")


# ---------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------


def _environment() -> SandboxedEnvironment:
    environment = SandboxedEnvironment(
        loader=PackageLoader("followup.web", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["words"] = lambda value: str(value).replace("_", " ")
    return environment


def _local(value: dt.datetime | None, tz: dt.tzinfo) -> str:
    """An instant on the candidate's clock, as everything else in followup shows it (empty: none)."""
    from .._time import format_local

    return "" if value is None else format_local(value, tz)


class _Pages:
    def __init__(self, site: Site) -> None:
        self.site = site
        self.templates = _environment()

    # -- plumbing ------------------------------------------------------------

    def render(self, request: Request, name: str, context: Mapping[str, Any], status: int = 200) -> HTMLResponse:
        session = request.cookies.get(SESSION_COOKIE) or secrets.token_urlsafe(24)
        page = self.templates.get_template(name).render(
            site=self.site,
            csrf=self.site.csrf_token(session),
            token_variable=TOKEN_VARIABLE,
            **context,
        )
        response = HTMLResponse(page, status_code=status)
        if request.cookies.get(SESSION_COOKIE) != session:
            response.set_cookie(SESSION_COOKIE, session, httponly=True, samesite="strict", path="/")
        return response

    async def form(self, request: Request) -> FormData:
        """The posted form, once its CSRF token is checked.

        :raises _Refused: without a valid token (nothing of the form is used).
        """
        form = await request.form()
        token = form.get("csrf")
        if not self.site.csrf_ok(request.cookies.get(SESSION_COOKIE), token if isinstance(token, str) else None):
            raise _Refused(
                "This form was refused: it did not carry this page's CSRF token. "
                "Reload the page and send it again; nothing was written."
            )
        return form

    def context(self) -> tuple[Any, Any, dt.datetime]:
        """The state, its agenda and the instant, worked out now."""
        state = self.site.load()
        tz = state.candidate.calendar.tz
        now = self.site.moment(tz)
        return state, self.site.engine.evaluate(state, now), now

    # -- pages -----------------------------------------------------------------

    async def agenda(self, request: Request) -> Response:
        state, agenda, now = self.context()
        tz = state.candidate.calendar.tz
        sections = [
            (status, title, blurb, [_row(a, tz) for a in agenda.with_status(status)]) for status, title, blurb in SECTIONS
        ]
        done = agenda.with_status("done")
        from ..journal import proposal_to_dict, proposals

        return self.render(
            request,
            "agenda.html",
            {
                "to_confirm": [proposal_to_dict(application, reply, tz) for application, reply in proposals(state)],
                "state": state,
                "now": _local(now, tz),
                "sections": sections,
                "done": [_row(a, tz) for a in done] if request.query_params.get("all") else [],
                "done_count": len(done),
                "next_wake": _local(agenda.next_wake_at, tz),
            },
        )

    async def application(self, request: Request) -> Response:
        identifier = str(request.path_params["application"])
        state, agenda, now = self.context()
        found = state.application(identifier)
        if found is None:
            return self.render(request, "missing.html", {"what": f"no application {identifier!r}"}, 404)
        tz = state.candidate.calendar.tz
        with self.site.journal() as journal:
            document = _plain(journal.document())
        item = next(a for a in document.get("applications") or [] if a.get("id") == identifier)
        schema = _schema("application")
        details = [
            (name, _show(item[name]), schema["properties"].get(name, {}).get("description", ""))
            for name in item
            if not isinstance(item[name], list | dict) or name not in ("interviews", "contacts")
        ]
        actions = [_row(a, tz) for a in agenda if a.application == identifier]
        interviews = item.get("interviews") or []
        people = [
            {**person, "interview": interview.get("id")} for interview in interviews for person in interview.get("interviewers") or []
        ]
        contacts = sorted(item.get("contacts") or [], key=lambda c: str(c.get("at")))
        columns = _columns(contacts, _schema("contact"))
        return self.render(
            request,
            "application.html",
            {
                "state": state,
                "application": found,
                "now": _local(now, tz),
                "details": details,
                "actions": actions,
                "interviews": [
                    {
                        "fields": [(k, _show(v)) for k, v in interview.items() if k != "interviewers"],
                        "interviewers": interview.get("interviewers") or [],
                    }
                    for interview in interviews
                ],
                "people": people,
                "contacts": contacts,
                "contact_columns": columns,
            },
        )

    async def timeline(self, request: Request) -> Response:
        """The timeline ``followup simulate --format html`` draws, for one application."""
        from ..engine import render_html, simulate

        identifier = str(request.path_params["application"])
        state, _, now = self.context()
        if state.application(identifier) is None:
            return PlainTextResponse(f"no application {identifier!r}", status_code=404)
        timeline = simulate(self.site.engine, state, now - dt.timedelta(days=21), now + dt.timedelta(days=42))
        events = tuple(e for e in timeline.events if e.application == identifier)
        return HTMLResponse(render_html(dataclasses.replace(timeline, events=events)))

    async def action(self, request: Request, problems: list[str] | None = None, values: Mapping[str, str] | None = None) -> Response:
        from ..engine import explain

        key = request.path_params["key"]
        state, agenda, now = self.context()
        found = agenda.get(key)
        if found is None:
            return self.render(request, "missing.html", {"what": f"no action has the key {key!r}"}, 404)
        tz = state.candidate.calendar.tz
        lines = explain(self.site.engine, state, now, found.key)
        return self.render(
            request,
            "action.html",
            {
                "state": state,
                "action": _row(found, tz),
                "explanation": lines,
                "now": _local(now, tz),
                "problems": problems or [],
                "values": values or {},
            },
            422 if problems else 200,
        )

    async def settle(self, request: Request) -> Response:
        """``done``, ``snooze`` or ``dismiss`` posted from an action's page."""
        from ..journal import dismiss, mark_done, snooze
        from ..state import parse_instant

        verb = request.path_params["verb"]
        if verb not in ("done", "snooze", "dismiss"):
            return PlainTextResponse(f"unknown step {verb!r}: done, snooze or dismiss", status_code=404)
        form = await self.form(request)
        key = request.path_params["key"]
        values = {k: str(v) for k, v in form.items() if k != "csrf"}
        state = self.site.load()
        tz = state.candidate.calendar.tz
        now = self.site.moment(tz)
        try:
            with self.site.journal() as journal:
                if verb == "done":
                    mark_done(journal, self.site.engine, key, at=now, note=values.get("note", "").strip() or None)
                elif verb == "snooze":
                    text = _zoned(values.get("until", "").strip(), tz)
                    try:
                        until = parse_instant(text, tz)
                    except ValueError as exc:
                        raise InvalidInput.single("until", f"{values.get('until', '')!r}: {exc}") from None
                    snooze(journal, self.site.engine, key, until=until, at=now)
                else:
                    dismiss(journal, self.site.engine, key, why=values.get("why", ""), at=now)
        except InvalidInput as exc:
            return await self.action(request, [str(p) for p in exc.problems], values)
        return RedirectResponse(request.url_for("agenda"), status_code=303)

    # -- forms that add to the state ------------------------------------------

    def named_application(self, request: Request) -> tuple[str, State, Application] | Response:
        """The application the path names, with the state it is in, or the page saying there is none."""
        identifier = str(request.path_params["application"])
        state = self.site.load()
        found = state.application(identifier)
        if found is None:
            return self.render(request, "missing.html", {"what": f"no application {identifier!r}"}, 404)
        return identifier, state, found

    async def entry_form(
        self,
        request: Request,
        state: State,
        *,
        fields: list[Any],
        values: dict[str, str],
        write: Callable[[FormData, dt.tzinfo], str],
        title: str,
        intro: str,
        back: Any,
    ) -> Response:
        """A form that adds to the state: shown; or posted, written by ``write`` (which
        names the application to go back to); or shown again with what was wrong, and
        nothing written."""
        problems: list[str] = []
        if request.method == "POST":
            form = await self.form(request)
            values = {k: str(v) for k, v in form.items() if k != "csrf"}
            try:
                target = write(form, state.candidate.calendar.tz)
            except InvalidInput as exc:
                problems = [str(p) for p in exc.problems]
            else:
                return RedirectResponse(request.url_for("application", application=target), status_code=303)
        context = {"state": state, "title": title, "intro": intro, "fields": fields, "values": values, "problems": problems, "back": back}
        return self.render(request, "form.html", context, 422 if problems else 200)

    async def reply(self, request: Request) -> Response:
        from ..journal import record_contact

        named = self.named_application(request)
        if isinstance(named, Response):
            return named
        identifier, state, found = named
        fields = _reply_fields(found)

        def write(form: FormData, tz: dt.tzinfo) -> str:
            document = {"kind": "reply", "direction": "in", **_collect(fields, form, tz)}
            with self.site.journal() as journal:
                record_contact(journal, identifier, document, where="reply")
            return identifier

        return await self.entry_form(
            request,
            state,
            fields=fields,
            values={"at": self.site.moment(state.candidate.calendar.tz).replace(microsecond=0).isoformat()},
            write=write,
            title=f"Record a reply from {found.company}",
            intro="What the employer said. Every field but the time is optional; a reply that says nothing "
            "more is an acknowledgement.",
            back=request.url_for("application", application=identifier),
        )

    async def confirm(self, request: Request) -> Response:
        """Confirm a reply's proposed meaning: as proposed (the agenda's button), or as the form says."""
        from ..journal import confirm, proposals

        identifier = str(request.path_params["application"])
        application = None if identifier == "-" else identifier
        state = self.site.load()
        tz = state.candidate.calendar.tz
        message_id = request.query_params.get("message_id", "")
        waiting = {reply.message_id: reply for owner, reply in proposals(state) if owner == application}
        if request.method == "POST":
            form = await self.form(request)
            message_id = str(form.get("message_id") or message_id)
            if form.get("as_proposed"):
                try:
                    with self.site.journal() as journal:
                        confirm(journal, application, message_id, None, where="confirm")
                except InvalidInput as exc:
                    return self.render(request, "missing.html", {"what": "; ".join(str(p) for p in exc.problems)}, 422)
                return RedirectResponse(request.url_for("agenda"), status_code=303)
        reply = waiting.get(message_id)
        if reply is None or reply.proposed is None:
            return self.render(request, "missing.html", {"what": f"no reply {message_id!r} waits for confirmation in {identifier!r}"}, 404)
        fields = [_Field("message_id", "message", "text", "The Message-ID of the reply (kept as it is).", True)]
        fields += [f for f in _reply_fields_only() if f.name != "message_id"]
        proposed = {k: (v.astimezone(tz).date().isoformat() if isinstance(v, dt.datetime) else ("yes" if v is True else str(v))) for k, v in reply.proposed.said().items()}

        def write(form: FormData, tz: dt.tzinfo) -> str:
            said = _collect(fields, form, tz)
            said.pop("message_id", None)
            with self.site.journal() as journal:
                confirm(journal, application, message_id, said, where="confirm")
            return identifier

        return await self.entry_form(
            request,
            state,
            fields=fields,
            values={"message_id": message_id, **proposed},
            write=write,
            title=f"What did {reply.to or 'the employer'} say? ({reply.note or 'a reply'})",
            intro=(f"Proposed from: “{reply.proposed.evidence}”. " if reply.proposed.evidence else "")
            + "Change what is wrong and save; clear every field for a reply that said nothing more than thanks.",
            back=request.url_for("agenda"),
        )

    async def new_application(self, request: Request) -> Response:
        from ..journal import add_application

        fields = _scalar_fields(_schema("application"))

        def write(form: FormData, tz: dt.tzinfo) -> str:
            document = _collect(fields, form, tz)
            with self.site.journal() as journal:
                add_application(journal, document)
            return str(document["id"])

        return await self.entry_form(
            request,
            self.site.load(),
            fields=fields,
            values={},
            write=write,
            title="Add an application",
            intro="One position at one employer.",
            back=request.url_for("agenda"),
        )

    async def new_interview(self, request: Request) -> Response:
        from ..journal import add_interview

        named = self.named_application(request)
        if isinstance(named, Response):
            return named
        identifier, state, found = named
        schema = _schema("interview")
        fields = _scalar_fields(schema)
        person = _scalar_fields(schema["properties"]["interviewers"]["items"], prefix="interviewer.")

        def write(form: FormData, tz: dt.tzinfo) -> str:
            document = _collect(fields, form, tz)
            interviewer = _collect(person, form, tz)
            if interviewer:
                document["interviewers"] = [interviewer]
            with self.site.journal() as journal:
                add_interview(journal, identifier, document)
            return identifier

        return await self.entry_form(
            request,
            state,
            fields=fields + person,
            values={},
            write=write,
            title=f"Add an interview with {found.company}",
            intro="Times without an offset are read on your own clock. Add one interviewer here; more can "
            "follow in the state file.",
            back=request.url_for("application", application=identifier),
        )


class _Refused(Exception):
    """A form post without a valid CSRF token."""


# ---------------------------------------------------------------------------
# The state schema drives the forms and the tables
# ---------------------------------------------------------------------------


def _schema(what: str) -> dict[str, Any]:
    from ..state import STATE_SCHEMA

    application = STATE_SCHEMA["properties"]["applications"]["items"]
    schemas: dict[str, dict[str, Any]] = {
        "application": application,
        "interview": application["properties"]["interviews"]["items"],
        "contact": application["properties"]["contacts"]["items"],
    }
    return schemas[what]


@dataclasses.dataclass(frozen=True)
class _Field:
    name: str
    label: str
    widget: str  # text, number, select, checkbox, lines
    help: str
    required: bool = False
    choices: tuple[str, ...] = ()


def _field(name: str, spec: Mapping[str, Any], required: bool, prefix: str = "") -> _Field | None:
    label = name.replace("_", " ")
    help = str(spec.get("description", ""))
    if "enum" in spec:
        return _Field(prefix + name, label, "select", help, required, tuple(str(v) for v in spec["enum"]))
    kind = spec.get("type")
    if kind == "boolean" or spec.get("const") is True:
        return _Field(prefix + name, label, "checkbox", help, required)
    if kind == "integer":
        return _Field(prefix + name, label, "number", help, required)
    if kind == "string":
        return _Field(prefix + name, label, "text", help, required)
    if kind == "array" and spec.get("items", {}).get("type") == "string":
        return _Field(prefix + name, label, "lines", help + " One a line.", required)
    return None


def _scalar_fields(schema: Mapping[str, Any], prefix: str = "", skip: tuple[str, ...] = ()) -> list[_Field]:
    """A form field for every property of ``schema`` a form can carry (nested objects are left out)."""
    required = set(schema.get("required", ()))
    fields = []
    for name, spec in schema["properties"].items():
        if name in skip:
            continue
        made = _field(name, spec, name in required, prefix)
        if made is not None:
            fields.append(made)
    return fields


#: the fields of a reply that say something (what a confirmation sets)
_SAYS = ("decision_expected_by", "follow_up_requested_on", "medium", "next_round", "on_hold", "outcome", "respond_by")


def _reply_fields_only() -> list[_Field]:
    """The form fields of what a reply can say, from the state schema."""
    properties = _schema("contact")["properties"]
    return [made for name in _SAYS if (made := _field(name, properties[name], False)) is not None]


def _reply_fields(application: Any) -> list[_Field]:
    """The reply form: when, from whom, about which interview, then whatever the schema says a contact carries."""
    schema = _schema("contact")
    people = sorted({p.id for i in application.interviews for p in i.interviewers})
    fields = [
        _Field("at", "when", "text", "When the reply came: a date, a local time, or ISO 8601 with an offset.", True),
        _Field("to", "from", "select", "Who replied (leave empty for the company).", False, tuple(people)),
        _Field("interview", "interview", "select", "The interview it is about.", False, tuple(i.id for i in application.interviews)),
    ]
    for name, spec in schema["properties"].items():
        if name in (*_BOOKKEEPING, "to", "interview"):
            continue
        made = _field(name, spec, False)
        if made is None:
            continue
        if name == "note":
            made = dataclasses.replace(made, label="what they said", widget="lines_text")
        fields.append(made)
    return fields


def _zoned(text: str, tz: dt.tzinfo) -> str:
    from ..journal import on_clock

    return on_clock(text, tz)


def _collect(fields: list[_Field], form: FormData, tz: dt.tzinfo) -> dict[str, Any]:
    """The posted values of ``fields`` as state-document fields (empty ones left out).

    :raises InvalidInput: for a required field left empty or a number that is not one.
    """
    problems = []
    document: dict[str, Any] = {}
    for field in fields:
        raw = form.get(field.name)
        text = raw.strip() if isinstance(raw, str) else ""
        name = field.name.rsplit(".", 1)[-1]
        if field.widget == "checkbox":
            if text:
                document[name] = True
            continue
        if not text:
            if field.required:
                problems.append((field.label, "is required"))
            continue
        if field.widget == "number":
            try:
                document[name] = int(text)
            except ValueError:
                problems.append((field.label, f"{text!r} is not a whole number"))
        elif field.widget == "lines":
            document[name] = [line.strip() for line in text.splitlines() if line.strip()]
        else:
            document[name] = _zoned(text, tz)
    if problems:
        from .._errors import Problem

        raise InvalidInput([Problem(label, 0, 0, message) for label, message in problems])
    return document


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _show(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(_show(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_show(v)}" for k, v in value.items())
    return str(value)


def _columns(rows: list[dict[str, Any]], schema: Mapping[str, Any]) -> list[str]:
    """The columns of a log table: the schema's fields that some row has, in the schema's order."""
    seen = {key for row in rows for key in row}
    ordered = [name for name in schema["properties"] if name in seen]
    return ordered + sorted(seen - set(ordered))


def _row(action: Action, tz: dt.tzinfo) -> dict[str, Any]:
    """An action as the templates show it: the agenda JSON, with times on the candidate's clock."""
    row = action.to_dict()
    for name in ("opens_at", "due_at", "expires_at", "frees_at", "done_at"):
        row[name + "_local"] = _local(getattr(action, name), tz)
    return row


# ---------------------------------------------------------------------------
# Access
# ---------------------------------------------------------------------------


class _Access(BaseHTTPMiddleware):
    """With an access token (a non-loopback bind), every request must carry it.

    A browser opens ``/?token=…`` once (the token is then kept in a cookie); a
    program sends ``Authorization: Bearer …``. The calendar feed has its own secret
    in its URL instead.
    """

    def __init__(self, app: Any, site: Site) -> None:
        super().__init__(app)
        self.site = site

    async def dispatch(self, request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        if not self.site.token or request.url.path.startswith("/feed/"):
            return await call_next(request)
        given = request.query_params.get("token")
        if given is not None and self.site.token_ok(given):
            response = RedirectResponse(request.url.remove_query_params("token"), status_code=303)
            response.set_cookie(TOKEN_COOKIE, given, httponly=True, samesite="strict")
            return response
        header = request.headers.get("authorization", "")
        bearer = header[7:] if header.lower().startswith("bearer ") else None
        if self.site.token_ok(request.cookies.get(TOKEN_COOKIE)) or self.site.token_ok(bearer):
            return await call_next(request)
        return PlainTextResponse(
            f"This followup server is reachable from the network, so it needs its access token "
            f"(the value of {TOKEN_VARIABLE} it was started with): open /?token=… once, or send "
            "'Authorization: Bearer …'.",
            status_code=401,
        )


def create_app(site: Site) -> Starlette:
    """The ASGI application for ``site``."""
    from importlib.resources import files

    from ._api import api_routes

    pages = _Pages(site)

    async def refused(request: Request, exc: Exception) -> Response:
        return pages.render(request, "missing.html", {"what": str(exc), "title": "Refused"}, 403)

    async def problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, FollowupError)
        return pages.render(request, "missing.html", {"what": str(exc), "title": "Cannot read the state"}, 422)

    static = files("followup.web").joinpath("static")
    routes = [
        Route("/", pages.agenda, name="agenda"),
        Route("/applications/new", pages.new_application, methods=["GET", "POST"], name="new_application"),
        Route("/applications/{application}", pages.application, name="application"),
        Route("/applications/{application}/timeline", pages.timeline, name="timeline"),
        Route("/applications/{application}/reply", pages.reply, methods=["GET", "POST"], name="reply"),
        Route("/applications/{application}/interviews/new", pages.new_interview, methods=["GET", "POST"], name="new_interview"),
        Route("/replies/{application}/confirm", pages.confirm, methods=["GET", "POST"], name="confirm"),
        Route("/actions/{key}", pages.action, name="action"),
        Route("/actions/{key}/{verb:str}", pages.settle, methods=["POST"], name="settle"),
        *api_routes(site),
        Mount("/static", app=StaticFiles(directory=str(static)), name="static"),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(_Access, site=site)],
        exception_handlers={_Refused: refused, FollowupError: problem},
    )
    return app
