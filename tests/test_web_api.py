"""``followup serve`` over real HTTP on loopback: the JSON API, its OpenAPI description,
the calendar feed, the forms' CSRF check and refusals, and the access token."""

from __future__ import annotations

import http.cookiejar
import json
import re
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from web_server import NOW, Served, example_copy, serve

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")

ROOT = Path(__file__).resolve().parent.parent


def call(url: str, data: Any = None, *, method: str | None = None, headers: dict[str, str] | None = None, opener: Any = None) -> tuple[int, str, str]:
    """(status, content type, body) of one request; JSON ``data`` is sent as JSON."""
    body = None
    sent = dict(headers or {})
    if data is not None and not isinstance(data, bytes):
        body = json.dumps(data).encode()
        sent.setdefault("Content-Type", "application/json")
    elif isinstance(data, bytes):
        body = data
    request = urllib.request.Request(url, data=body, method=method, headers=sent)
    try:
        with (opener or urllib.request.build_opener()).open(request, timeout=60) as response:
            return response.status, response.headers.get("content-type", ""), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("content-type", ""), exc.read().decode()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Served, Path]]:
    state = example_copy(tmp_path_factory.mktemp("api"))
    with serve([str(state), "--now", NOW]) as running:
        yield running, state


def example_json() -> Any:
    return yaml.safe_load((ROOT / "examples" / "job-search.yaml").read_text(encoding="utf-8"))


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def test_openapi_describes_every_api_route_and_its_schemas_are_valid(served: tuple[Served, Path]) -> None:
    from jsonschema import Draft202012Validator

    from followup.web import Site, create_app

    running, state = served
    status, kind, body = call(running.url + "api/openapi.json")
    assert status == 200 and kind.startswith("application/json")
    document = json.loads(body)
    assert document["openapi"].startswith("3.1")
    app = create_app(Site(state_path=str(state)))
    served_paths = {route.path for route in app.routes if route.path.startswith(("/api/", "/feed/")) and route.path != "/api/openapi.json"}
    assert served_paths == set(document["paths"])
    for name, schema in document["components"]["schemas"].items():
        Draft202012Validator.check_schema(schema), name
    refs = set(re.findall(r'"#/components/schemas/([A-Za-z]+)"', body))
    assert refs <= set(document["components"]["schemas"])


def test_evaluate_a_posted_state_gives_the_agenda_json_of_the_cli(served: tuple[Served, Path]) -> None:
    running, _ = served
    status, _, body = call(running.url + "api/evaluate", {"state": _jsonable(example_json()), "now": NOW})
    assert status == 200
    cli = subprocess.run(
        [sys.executable, "-m", "followup", "agenda", str(ROOT / "examples" / "job-search.yaml"), "--now", NOW, "--format", "json"],
        capture_output=True, text=True, check=True,
    )
    assert json.loads(body) == json.loads(cli.stdout)


def test_evaluate_with_a_posted_rulebook(served: tuple[Served, Path]) -> None:
    running, _ = served
    rules = {"extends": "default", "rules": [{"id": "thank-you-note", "enabled": False}]}
    status, _, body = call(running.url + "api/evaluate", {"state": _jsonable(example_json()), "rules": rules, "now": NOW})
    assert status == 200, body
    kinds = {a["kind"] for a in json.loads(body)["actions"]}
    assert "thank_you_note" not in kinds and "status_call" in kinds


def test_a_malformed_state_is_a_422_naming_line_and_column(served: tuple[Served, Path]) -> None:
    running, _ = served
    document = _jsonable(example_json())
    document["applications"][0]["applied_at"] = "2026-02-31"
    text = json.dumps({"state": document, "now": NOW}, indent=2)
    status, kind, body = call(running.url + "api/evaluate", text.encode(), headers={"Content-Type": "application/json"})
    assert status == 422 and kind.startswith("application/json")
    problems = json.loads(body)["problems"]
    line = next(number for number, content in enumerate(text.splitlines(), 1) if "2026-02-31" in content)
    assert any(p["line"] == line and p["column"] > 0 and "2026-02-31" in p["message"] for p in problems), problems
    status, _, body = call(running.url + "api/evaluate", b'{"state": {', headers={"Content-Type": "application/json"})
    assert status == 422 and json.loads(body)["problems"][0]["line"] == 1
    assert call(running.url + "api/evaluate", b"version: 1", headers={"Content-Type": "text/yaml"})[0] == 415


def test_an_unknown_action_key_is_a_404_and_nothing_is_written(served: tuple[Served, Path]) -> None:
    running, state = served
    before = state.read_text(encoding="utf-8")
    status, kind, body = call(running.url + "api/actions/thank-you-note:northwind-data:onsite:nobody/done", {})
    assert status == 404 and kind.startswith("application/json")
    assert "thank-you-note:northwind-data:onsite:jonas" in json.loads(body)["error"]  # the closest keys are named
    assert state.read_text(encoding="utf-8") == before


def test_mark_done_through_the_api_then_read_the_state_and_the_agenda(served: tuple[Served, Path]) -> None:
    running, state = served
    key = "thank-you-note:harbor-logistics:panel:greta"
    status, _, body = call(running.url + f"api/actions/{key}/done", {"note": "letter posted"})
    assert status == 201, body
    assert json.loads(body)["entry"]["action"] == key
    _, _, body = call(running.url + "api/agenda?all=1")
    assert next(a for a in json.loads(body)["actions"] if a["key"] == key)["status"] == "done"
    _, _, body = call(running.url + "api/state")
    harbor = next(a for a in json.loads(body)["applications"] if a["id"] == "harbor-logistics")
    assert harbor["contacts"][-1]["note"] == "letter posted"
    assert "# The employer prefers letters" in state.read_text(encoding="utf-8")


def test_api_adds_an_application_an_interview_and_a_reply(served: tuple[Served, Path]) -> None:
    running, state = served
    status, _, body = call(running.url + "api/applications", {"id": "zeta-labs", "company": "Zeta Labs", "position": "Data Engineer", "status": "applied"})
    assert status == 201, body
    status, _, body = call(running.url + "api/applications/zeta-labs/interviews", {"id": "screen", "starts_at": "2026-11-30T10:00:00+01:00", "ended_at": "2026-11-30T10:45:00+01:00", "interviewers": [{"id": "ana", "name": "Ana Lopez", "email": "ana@zeta.example"}]})
    assert status == 201, body
    status, _, body = call(running.url + "api/applications/zeta-labs/contacts", {"kind": "reply", "at": "2026-11-30T16:00:00+01:00", "note": "thanks"})
    assert status == 201, body
    document = yaml.safe_load(state.read_text(encoding="utf-8"))
    zeta = next(a for a in document["applications"] if a["id"] == "zeta-labs")
    assert zeta["interviews"][0]["interviewers"][0]["name"] == "Ana Lopez"
    assert zeta["contacts"][0]["direction"] == "in"
    _, _, body = call(running.url + "api/agenda")
    assert "thank-you-note:zeta-labs:screen:ana" in {a["key"] for a in json.loads(body)["actions"]}
    status, _, body = call(running.url + "api/applications/zeta-labs/interviews", {"id": "again", "starts_at": "next tuesday"})
    assert status == 422 and "next tuesday" in body
    assert call(running.url + "api/applications/nowhere/contacts", {"kind": "reply"})[0] == 404


def test_the_calendar_feed_needs_its_secret(served: tuple[Served, Path]) -> None:
    running, _ = served
    status, kind, body = call(running.feed_url)
    assert status == 200 and kind.startswith("text/calendar") and body.startswith("BEGIN:VCALENDAR")
    assert "SUMMARY:" in body
    assert call(running.feed_url.replace("/feed/", "/feed/x"))[0] == 404


def _session() -> Any:
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))


def _csrf(page: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', page)
    assert match
    return match[1]


def _form(fields: dict[str, str]) -> bytes:
    return urllib.parse.urlencode(fields).encode()


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def test_forms_refuse_a_post_without_or_with_a_wrong_csrf_token(served: tuple[Served, Path]) -> None:
    running, state = served
    before = state.read_text(encoding="utf-8")
    key = "thank-you-note:harbor-logistics:panel:lars"
    browser = _session()
    _, _, page = call(running.url + f"actions/{key}", opener=browser)
    token = _csrf(page)
    assert call(running.url + f"actions/{key}/done", _form({"note": "x"}), headers=FORM, opener=browser)[0] == 403
    assert call(running.url + f"actions/{key}/done", _form({"csrf": token + "0"}), headers=FORM, opener=browser)[0] == 403
    assert call(running.url + f"actions/{key}/done", _form({"csrf": token}), headers=FORM)[0] == 403  # no session cookie
    assert state.read_text(encoding="utf-8") == before


def test_add_an_application_and_an_interview_from_the_forms(served: tuple[Served, Path]) -> None:
    running, state = served
    browser = _session()
    _, _, page = call(running.url + "applications/new", opener=browser)
    assert 'name="preferred_medium"' in page and 'name="priority"' in page  # fields come from the state schema
    fields = {"csrf": _csrf(page), "id": "orbit-maps", "company": "Orbit Maps", "position": "GIS Engineer", "status": "applied", "priority": "2", "applied_at": "2026-11-20"}
    status, _, page = call(running.url + "applications/new", _form({**fields, "priority": "high"}), headers=FORM, opener=browser)
    assert status == 422 and "not a whole number" in page and "orbit-maps" not in state.read_text(encoding="utf-8")
    status, _, page = call(running.url + "applications/new", _form(fields), headers=FORM, opener=browser)
    assert status == 200 and "Orbit Maps" in page  # followed the redirect to the application's page
    before = state.read_text(encoding="utf-8")
    bad = {"csrf": fields["csrf"], "id": "first", "starts_at": "2026-12-32 10:00", "interviewer.id": "lee", "interviewer.name": "Lee Park"}
    status, _, page = call(running.url + "applications/orbit-maps/interviews/new", _form(bad), headers=FORM, opener=browser)
    assert status == 422 and "2026-12-32" in page and 'value="Lee Park"' in page
    assert state.read_text(encoding="utf-8") == before
    good = {**bad, "starts_at": "2026-12-03 10:00"}
    status, _, page = call(running.url + "applications/orbit-maps/interviews/new", _form(good), headers=FORM, opener=browser)
    assert status == 200
    document = yaml.safe_load(state.read_text(encoding="utf-8"))
    orbit = next(a for a in document["applications"] if a["id"] == "orbit-maps")
    assert orbit["priority"] == 2
    assert orbit["interviews"] == [{"id": "first", "starts_at": "2026-12-03T10:00[Europe/Berlin]", "interviewers": [{"id": "lee", "name": "Lee Park"}]}]
    assert state.read_text(encoding="utf-8").startswith(before.split("  - id: orbit-maps")[0])  # the rest kept as it was


def test_unknown_pages_are_404(served: tuple[Served, Path]) -> None:
    running, _ = served
    assert call(running.url + "applications/nowhere")[0] == 404
    assert call(running.url + "actions/no-such-key")[0] == 404


def test_with_an_access_token_every_request_must_carry_it(tmp_path: Path) -> None:
    state = example_copy(tmp_path)
    with serve([str(state), "--now", NOW], env={"FOLLOWUP_WEB_TOKEN": "s3cret-token"}) as running:
        status, _, body = call(running.url)
        assert status == 401 and "FOLLOWUP_WEB_TOKEN" in body
        assert call(running.url + "api/agenda", headers={"Authorization": "Bearer wrong"})[0] == 401
        assert call(running.url + "api/agenda", headers={"Authorization": "Bearer s3cret-token"})[0] == 200
        browser = _session()
        status, _, page = call(running.url + "?token=s3cret-token", opener=browser)
        assert status == 200 and "Today's agenda" in page  # the cookie carries it from then on
        assert call(running.url + "applications/northwind-data", opener=browser)[0] == 200
        assert call(running.feed_url)[0] == 200  # the feed has its own secret


def test_binding_beyond_loopback_needs_a_token() -> None:
    env = {k: v for k, v in __import__("os").environ.items() if k != "FOLLOWUP_WEB_TOKEN"}
    result = subprocess.run(
        [sys.executable, "-m", "followup", "serve", str(ROOT / "examples" / "job-search.yaml"), "--host", "0.0.0.0"],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert result.returncode == 1
    assert "FOLLOWUP_WEB_TOKEN" in result.stderr and "Traceback" not in result.stderr
