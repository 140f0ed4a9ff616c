"""The JSON API beside the pages (``/api/...``), its OpenAPI description, and the calendar feed.

Errors are JSON: ``{"error": "...", "problems": [{"path", "line", "column", "message"}]}``,
the same problems the command line prints as ``path:line:column: message``; 422 for
input that cannot be used (a malformed state, a bad date), 404 for an unknown action
key or application, 415 for a body that is not JSON. Writes need
``Content-Type: application/json``, which a cross-site form cannot send, so the API
needs no CSRF token; beyond loopback it needs the access token like the pages.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .._errors import FollowupError, InvalidInput, Problem
from ._site import Site

__all__ = ["OPENAPI_PATH", "api_routes", "openapi"]

OPENAPI_PATH = "/api/openapi.json"
_VERBS = ("done", "snooze", "dismiss")


def _problems(error: FollowupError) -> list[dict[str, Any]]:
    problems = getattr(error, "problems", None) or [Problem("", 0, 0, str(error))]
    return [{"path": p.path, "line": p.line, "column": p.column, "message": p.message} for p in problems]


def _error(status: int, error: FollowupError | str) -> JSONResponse:
    if isinstance(error, str):
        error = InvalidInput.single("request", error)
    return JSONResponse({"error": str(error), "problems": _problems(error)}, status_code=status)


async def _body(request: Request, where: str = "request") -> Any:
    """The JSON body, with line and column kept (JSON is read as YAML by the state reader)."""
    from ..state import parse_document

    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise _Status(415, InvalidInput.single(where, "send the body as JSON with Content-Type: application/json"))
    text = (await request.body()).decode("utf-8", "replace")
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise _Status(422, InvalidInput.single(where, f"not valid JSON: {exc.msg}", exc.lineno, exc.colno)) from None
    return parse_document(text, where)


class _Status(Exception):
    def __init__(self, status: int, error: FollowupError) -> None:
        super().__init__(str(error))
        self.status = status
        self.error = error


def _handler(call: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
    async def handle(request: Request) -> Response:
        try:
            return await call(request)
        except _Status as exc:
            return _error(exc.status, exc.error)
        except FollowupError as exc:
            return _error(422, exc)

    return handle


def api_routes(site: Site) -> list[Route]:
    """The API's routes for ``site``."""

    def moment(state: Any, given: Any = None) -> dt.datetime:
        from ..state import parse_instant

        tz = state.candidate.calendar.tz
        if given is None:
            return site.moment(tz)
        try:
            return parse_instant(str(given), tz)
        except ValueError as exc:
            raise InvalidInput.single("now", str(exc)) from None

    async def evaluate(request: Request) -> Response:
        """POST a state (and optionally a rulebook and an instant); get the agenda JSON."""
        from ..engine import Engine
        from ..rules import load_rulebook
        from ..state import state_from_document

        body = await _body(request)
        if isinstance(body, dict) and "state" in body and "candidate" not in body:
            document, rules, now = body["state"], body.get("rules"), body.get("now")
        else:
            document, rules, now = body, None, request.query_params.get("now")
        state = state_from_document(document, "request")
        rulebook = load_rulebook(rules) if rules is not None else None
        engine = Engine(rulebook) if rulebook is not None else site.engine
        agenda = engine.evaluate(state, moment(state, now))
        return JSONResponse(agenda.to_dict(include_done=bool(request.query_params.get("all"))))

    async def agenda(request: Request) -> Response:
        """The agenda of the served state, as ``followup agenda --format json`` prints it."""
        state = site.load()
        result = site.engine.evaluate(state, moment(state, request.query_params.get("now")))
        return JSONResponse(result.to_dict(include_done=bool(request.query_params.get("all"))))

    async def read_state(request: Request) -> Response:
        with site.journal() as journal:
            from .._time import format_instant

            def plain(value: Any) -> Any:
                if isinstance(value, dict):
                    return {str(k): plain(v) for k, v in value.items()}
                if isinstance(value, list | tuple):
                    return [plain(v) for v in value]
                if isinstance(value, dt.datetime):
                    return format_instant(value)
                if isinstance(value, dt.date):
                    return value.isoformat()
                return value

            return JSONResponse(plain(journal.document()))

    async def settle(request: Request) -> Response:
        from ..journal import dismiss, mark_done, snooze
        from ..state import parse_instant

        verb, key = request.path_params["verb"], request.path_params["key"]
        if verb not in _VERBS:
            return _error(404, f"unknown step {verb!r}; valid: {', '.join(_VERBS)}")
        body = await _body(request)
        body = body if isinstance(body, dict) else {}
        state = site.load()
        now = moment(state)
        if site.engine.evaluate(state, now).get(key) is None:
            from ..journal import resolve

            try:
                resolve(site.engine, state, key, now)
            except InvalidInput as exc:
                return _error(404, exc)
        with site.journal() as journal:
            if verb == "done":
                entry = mark_done(journal, site.engine, key, at=now, note=body.get("note"))
            elif verb == "snooze":
                try:
                    until = parse_instant(str(body.get("until", "")), state.candidate.calendar.tz)
                except ValueError as exc:
                    raise InvalidInput.single("until", f"{body.get('until')!r}: {exc}") from None
                entry = snooze(journal, site.engine, key, until=until, at=now)
            else:
                entry = dismiss(journal, site.engine, key, why=str(body.get("why", "")), at=now)
        return JSONResponse({"application": entry.application, "entry": entry.to_document()}, status_code=201)

    async def application_body(request: Request, what: str) -> tuple[str, dict[str, Any]] | Response:
        """The application the path names and the JSON object posted for it, or the error response."""
        identifier = request.path_params["application"]
        if site.load().application(identifier) is None:
            return _error(404, f"no application {identifier!r}")
        body = await _body(request, what)
        if not isinstance(body, dict):
            return _error(422, f"the {what} must be a JSON object")
        return identifier, dict(body)

    async def add_contact(request: Request) -> Response:
        from ..journal import record_contact

        found = await application_body(request, "contact")
        if isinstance(found, Response):
            return found
        identifier, fields = found
        fields.setdefault("at", site.moment(dt.UTC).isoformat(timespec="seconds"))
        with site.journal() as journal:
            entry = record_contact(journal, identifier, fields)
        return JSONResponse({"application": identifier, "entry": entry.to_document()}, status_code=201)

    async def add_application(request: Request) -> Response:
        from ..journal import add_application as add

        body = await _body(request, "application")
        if not isinstance(body, dict):
            return _error(422, "an application is a JSON object")
        with site.journal() as journal:
            add(journal, dict(body))
        return JSONResponse({"id": body.get("id")}, status_code=201)

    async def add_interview(request: Request) -> Response:
        from ..journal import add_interview as add

        found = await application_body(request, "interview")
        if isinstance(found, Response):
            return found
        identifier, body = found
        with site.journal() as journal:
            add(journal, identifier, body)
        return JSONResponse({"application": identifier, "id": body.get("id")}, status_code=201)

    async def feed(request: Request) -> Response:
        """The candidate's own tasks as an iCalendar feed; the secret is in the URL."""
        from ..delivery.channels.ical import agenda_ics

        if not site.feed_ok(request.path_params["token"]):
            return Response("unknown feed", status_code=404, media_type="text/plain")
        state = site.load()
        now = moment(state)
        data, _ = agenda_ics(state, site.engine.evaluate(state, now), now)
        return Response(data, media_type="text/calendar; charset=utf-8")

    async def describe(request: Request) -> Response:
        return JSONResponse(openapi())

    return [
        Route(OPENAPI_PATH, describe, name="openapi"),
        Route("/api/evaluate", _handler(evaluate), methods=["POST"], name="api_evaluate"),
        Route("/api/agenda", _handler(agenda), name="api_agenda"),
        Route("/api/state", _handler(read_state), name="api_state"),
        Route("/api/actions/{key}/{verb}", _handler(settle), methods=["POST"], name="api_settle"),
        Route("/api/applications", _handler(add_application), methods=["POST"], name="api_add_application"),
        Route("/api/applications/{application}/contacts", _handler(add_contact), methods=["POST"], name="api_add_contact"),
        Route("/api/applications/{application}/interviews", _handler(add_interview), methods=["POST"], name="api_add_interview"),
        Route("/feed/{token}/calendar.ics", _handler(feed), name="feed"),
    ]


def openapi() -> dict[str, Any]:
    """The OpenAPI 3.1 description of the API; the state's schema is the published one."""
    from .. import __version__ as version
    from ..state import STATE_SCHEMA

    state_schema = {k: v for k, v in STATE_SCHEMA.items() if k not in ("$schema", "$id")}
    application = STATE_SCHEMA["properties"]["applications"]["items"]
    problem = {
        "type": "object",
        "required": ["error", "problems"],
        "properties": {
            "error": {"type": "string", "description": "Every problem, one a line, as the command line prints them."},
            "problems": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["path", "line", "column", "message"],
                    "properties": {
                        "path": {"type": "string"},
                        "line": {"type": "integer", "description": "1-based; 0 when unknown."},
                        "column": {"type": "integer", "description": "1-based; 0 when unknown."},
                        "message": {"type": "string"},
                    },
                },
            },
        },
    }
    action = {
        "type": "object",
        "description": "One action, as in `followup agenda --format json`.",
        "required": ["key", "rule", "kind", "status", "due_at", "reason"],
        "properties": {
            name: {"type": ["string", "null"]}
            for name in (
                "key", "rule", "kind", "status", "application", "company", "position", "interview", "recipient",
                "recipient_name", "channel", "opens_at", "due_at", "expires_at", "reason", "cap", "frees_at", "done_at",
            )
        }
        | {"priority": {"type": "integer"}},
    }
    agenda = {
        "type": "object",
        "required": ["now", "actions"],
        "properties": {
            "now": {"type": "string"},
            "next_wake_at": {"type": ["string", "null"]},
            "actions": {"type": "array", "items": {"$ref": "#/components/schemas/Action"}},
        },
    }
    errors = {
        "404": {"description": "No such action key or application.", "content": _json("Problem")},
        "415": {"description": "The body is not JSON.", "content": _json("Problem")},
        "422": {"description": "The input cannot be used; every problem with its position.", "content": _json("Problem")},
    }
    entry = {"type": "object", "properties": {"application": {"type": ["string", "null"]}, "entry": {"type": "object"}}}
    key = {"name": "key", "in": "path", "required": True, "schema": {"type": "string"}, "description": "An action key from the agenda."}
    app_id = {"name": "application", "in": "path", "required": True, "schema": {"type": "string"}}
    now = {"name": "now", "in": "query", "schema": {"type": "string"}, "description": "Evaluate as of this instant (ISO 8601 with offset, or a date)."}
    show_all = {"name": "all", "in": "query", "schema": {"type": "string"}, "description": "Any value: include done actions."}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "followup",
            "version": version,
            "description": "Interview follow-ups worked out from rules. Beyond loopback every request needs "
            "'Authorization: Bearer <FOLLOWUP_WEB_TOKEN>'.",
        },
        "paths": {
            "/api/evaluate": {
                "post": {
                    "summary": "Evaluate a posted state against the served (or a posted) rulebook",
                    "description": "The body is a state document, or {state, rules, now}: rules is a rulebook "
                    "document (it may extend 'default'), now an instant.",
                    "parameters": [now, show_all],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "oneOf": [
                                        {"$ref": "#/components/schemas/State"},
                                        {
                                            "type": "object",
                                            "required": ["state"],
                                            "properties": {
                                                "state": {"$ref": "#/components/schemas/State"},
                                                "rules": {"type": "object", "description": "A rulebook (see `followup schema rules`)."},
                                                "now": {"type": "string"},
                                            },
                                        },
                                    ]
                                }
                            }
                        },
                    },
                    "responses": {"200": {"description": "The agenda.", "content": _json("Agenda")}, **errors},
                }
            },
            "/api/agenda": {
                "get": {
                    "summary": "The agenda of the served state",
                    "parameters": [now, show_all],
                    "responses": {"200": {"description": "The agenda.", "content": _json("Agenda")}, "422": errors["422"]},
                }
            },
            "/api/state": {
                "get": {
                    "summary": "The served state (file or store) as a state document",
                    "responses": {"200": {"description": "The state.", "content": _json("State")}},
                }
            },
            "/api/actions/{key}/{verb}": {
                "post": {
                    "summary": "Mark an action done, snooze it or dismiss it",
                    "parameters": [
                        key,
                        {"name": "verb", "in": "path", "required": True, "schema": {"enum": list(_VERBS)}},
                    ],
                    "requestBody": {
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "note": {"type": "string", "description": "done: what was said or sent."},
                                        "until": {"type": "string", "description": "snooze: a date or an instant."},
                                        "why": {"type": "string", "description": "dismiss: the reason."},
                                    },
                                }
                            }
                        }
                    },
                    "responses": {"201": {"description": "The entry written.", "content": {"application/json": {"schema": entry}}}, **errors},
                }
            },
            "/api/applications": {
                "post": {
                    "summary": "Add an application",
                    "requestBody": {"required": True, "content": _json("Application")},
                    "responses": {"201": {"description": "Added."}, **errors},
                }
            },
            "/api/applications/{application}/contacts": {
                "post": {
                    "summary": "Log a contact or a reply (kind: reply) in an application's log",
                    "parameters": [app_id],
                    "requestBody": {"required": True, "content": _json("Contact")},
                    "responses": {"201": {"description": "The entry written.", "content": {"application/json": {"schema": entry}}}, **errors},
                }
            },
            "/api/applications/{application}/interviews": {
                "post": {
                    "summary": "Add an interview to an application",
                    "parameters": [app_id],
                    "requestBody": {"required": True, "content": _json("Interview")},
                    "responses": {"201": {"description": "Added."}, **errors},
                }
            },
            "/feed/{token}/calendar.ics": {
                "get": {
                    "summary": "The candidate's own tasks (calls, reminders) as an iCalendar feed",
                    "parameters": [{"name": "token", "in": "path", "required": True, "schema": {"type": "string"}, "description": "The feed's secret, printed by followup serve."}],
                    "responses": {"200": {"description": "iCalendar.", "content": {"text/calendar": {"schema": {"type": "string"}}}}, "404": {"description": "Wrong secret."}},
                }
            },
        },
        "components": {
            "schemas": {
                "State": state_schema,
                "Application": application,
                "Interview": application["properties"]["interviews"]["items"],
                "Contact": application["properties"]["contacts"]["items"],
                "Action": action,
                "Agenda": agenda,
                "Problem": problem,
            }
        },
    }


def _json(name: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}
