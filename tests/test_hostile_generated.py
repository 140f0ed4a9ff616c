"""The generated hostile corpus: hypothesis builds states, rulebooks, rule tests and options; every command runs them.

Each example is one run of the command line in its own bounded process (1 GiB of
address space, 10 s of wall time; see ``hostile_runner``). A run passes when it
exits 0, 1 or 2, prints no traceback and writes at most 1 MiB. The examples are
derandomized, so the corpus is the same on every machine and the figures in
``docs/reliability.md`` can be measured again; ``FOLLOWUP_HOSTILE_SCALE=4`` runs
four times as many (different) examples.

About 540 runs in all; with ``pytest -n 2`` (pytest-xdist) each test module half
goes to each worker, each worker with its own zygote.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hostile_runner import Zygote, state_text, write

pytestmark = pytest.mark.hostile

SCALE = max(1, int(os.environ.get("FOLLOWUP_HOSTILE_SCALE", "1")))


def examples(n: int) -> Any:
    return settings(
        max_examples=n * SCALE,
        deadline=None,
        derandomize=SCALE == 1,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )


@pytest.fixture(scope="module")
def zygote(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Zygote]:
    process = Zygote(tmp_path_factory.mktemp("zygote"))
    yield process
    process.close()


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("corpus")


_names = itertools.count()


def fresh(folder: Path) -> Path:
    """A new empty folder for one example (hypothesis reuses the test's fixtures)."""
    path = folder / f"x{next(_names)}"
    path.mkdir()
    return path


# -- building blocks -----------------------------------------------------------------------------

NASTY = [
    "=?utf-8?q?Jonas=0D=0ABcc=3A_victim=40evil.example?=",
    "=?utf-8?b?SGkNCkJjYzogeEBldmlsLmV4YW1wbGU=?=",
    "line\r\nBcc: x@evil.example",
    "\u2028\u2029\x85\x0b\x0c\x1c",
    "\x00",
    "[/] [bold red]x[/",
    "{{ 7 * 7 }}",
    "{% for i in range(10**9) %}{% endfor %}",
    "../../../../etc/passwd",
    "/dev/zero",
    "%s%s%n",
    "A" * 5000,
    "9" * 5000,
    "-0",
    "nan",
    "inf",
    "1e308",
    "~",
    "null",
    "*alias",
    "&anchor",
    "<<",
    "!!python/object/apply:os.system ['true']",
    "Zoë Łukasz, \"Jr.\"",
    "😀" * 50,
    " ",
    "",
]


def mostly(valid: Any, hostile: Any) -> Any:
    """Three draws in four from ``valid``: most documents get far enough to reach the engine and the renderer."""
    return st.one_of(valid, valid, valid, hostile)


hostile_text = st.one_of(st.text(max_size=30), st.sampled_from(NASTY))
text = mostly(st.sampled_from(["Jonas Berg", "Acme", "Senior Engineer", "Zoë O'Brien", "Priya Raman"]), hostile_text)
ident = mostly(st.from_regex(r"\A[a-z][a-z0-9-]{0,12}\Z"), hostile_text)

ZONES = ["Europe/Berlin", "America/New_York", "Asia/Kathmandu", "Pacific/Kiritimati", "Etc/GMT+12", "UTC", "Australia/Lord_Howe"]
zone_name = mostly(st.sampled_from(ZONES), st.one_of(st.sampled_from(["Europe/Atlantis", "", "../../etc", "Z" * 10_000]), hostile_text))


@st.composite
def offsets(draw: Any) -> str:
    minutes = draw(st.integers(-24 * 60 + 1, 24 * 60 - 1))
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


@st.composite
def instants(draw: Any) -> str:
    """ISO 8601 text: in the supported range, at the edges of what Python holds, or not an instant at all."""
    kind = draw(st.sampled_from(["normal"] * 9 + ["extreme", "date", "zoned", "naive", "garbage"]))
    if kind == "normal":
        moment = draw(st.datetimes(min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2027, 12, 31)))
        return moment.replace(microsecond=0).isoformat() + draw(st.sampled_from(["Z", "+01:00", "-05:00", "+05:45"]))
    if kind == "extreme":
        moment = draw(st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31, 23, 59, 59)))
        return moment.replace(microsecond=0).isoformat() + draw(offsets())
    if kind == "date":
        return draw(st.dates(min_value=dt.date(1, 1, 1))).isoformat()
    if kind == "zoned":
        moment = draw(st.datetimes(min_value=dt.datetime(1890, 1, 1), max_value=dt.datetime(2210, 1, 1)))
        return f"{moment.replace(microsecond=0).isoformat()}[{draw(zone_name)}]"
    if kind == "naive":
        return draw(st.datetimes()).replace(microsecond=0).isoformat()
    return draw(hostile_text)


numbers = mostly(
    st.integers(1, 100),
    st.one_of(st.integers(), st.sampled_from([0, -1, 10**40, -(10**40)]), st.floats(allow_nan=True, allow_infinity=True)),
)
STATUSES = ["applied", "interviewing", "offer", "accepted", "rejected", "withdrawn", "ghosted", "bogus"]
KINDS = ["thank_you_note", "reply", "status_call", "follow_up", "snoozed", "dismissed", "retired", "interview", "x y"]


NAMES = ["Jonas Berg", "Zoë O'Brien", "Priya Raman", "李小龙", "Dr. Ann-Marie d'Arcy, PhD", "Acme", "Senior Engineer"]
valid_text = st.one_of(
    st.sampled_from(NAMES),
    st.sampled_from([n for n in NASTY if n.strip()]),  # hostile but valid: they reach the engine and the renderer
    st.text(min_size=1, max_size=30).filter(str.strip),
)
valid_id = st.from_regex(r"\A[a-z][a-z0-9-]{0,12}\Z")


@st.composite
def valid_instants(draw: Any) -> str:
    moment = draw(st.datetimes(min_value=dt.datetime(2025, 6, 1), max_value=dt.datetime(2026, 9, 30)))
    return moment.replace(microsecond=0).isoformat() + draw(st.sampled_from(["Z", "+01:00", "-05:00", "+05:45"]))


@st.composite
def valid_states(draw: Any) -> dict[str, Any]:
    """A state the schema accepts, with hostile-but-legal names, so the engine, the renderer and the writers run."""
    candidate: dict[str, Any] = {"name": draw(valid_text), "timezone": draw(st.sampled_from(ZONES))}
    if draw(st.booleans()):
        candidate["email"] = draw(st.emails())
    if draw(st.integers(0, 3)) == 0:
        candidate["holidays"] = {"country": draw(st.sampled_from(["DE", "US", "FR", "NP"]))}
    applications = []
    for index in range(draw(st.integers(1, 3))):
        app_id = "acme" if index == 0 else f"app{index}"
        people = [{"id": "jonas" if n == 0 else f"p{n}", "name": draw(valid_text), "email": draw(st.emails())}
                  for n in range(draw(st.integers(1, 3)))]  # fmt: skip
        start = draw(valid_instants())
        app: dict[str, Any] = {
            "id": app_id, "company": draw(valid_text), "position": draw(valid_text),
            "status": draw(st.sampled_from(STATUSES[:4])),
            "interviews": [{"id": "onsite", "starts_at": start, "ended_at": start, "interviewers": people}],
        }  # fmt: skip
        if draw(st.booleans()):
            app["priority"] = draw(st.integers(1, 5))
        if draw(st.booleans()):
            app["contacts"] = [
                {"at": draw(valid_instants()), "kind": draw(st.sampled_from(["thank_you_note", "reply", "status_call"])),
                 "to": draw(st.sampled_from([p["id"] for p in people]))}
                for _ in range(draw(st.integers(1, 3)))
            ]  # fmt: skip
        applications.append(app)
    return {"version": 1, "candidate": candidate, "applications": applications}


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [path] + [leaf for key, item in value.items() for leaf in _leaves(item, (*path, key))]
    if isinstance(value, list):
        return [path] + [leaf for index, item in enumerate(value) for leaf in _leaves(item, (*path, index))]
    return [path]


hostile_values = st.one_of(
    hostile_text, numbers, instants(), st.none(), st.booleans(), st.lists(hostile_text, max_size=3),
    st.dictionaries(hostile_text, hostile_text, max_size=2), st.sampled_from([*ZONES, "Z" * 10_000]),
)  # fmt: skip


@st.composite
def mutated(draw: Any, base: Any) -> Any:
    """``base`` with none, one or two of its values (or keys) replaced by something hostile."""
    import copy

    document = copy.deepcopy(draw(base))
    for _ in range(draw(st.sampled_from([0, 1, 1, 1, 2]))):
        paths = [p for p in _leaves(document) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = document
        for step in path[:-1]:
            parent = parent[step]
        if isinstance(parent, dict) and draw(st.integers(0, 5)) == 0:
            parent[draw(hostile_text) or "k"] = parent.pop(path[-1])  # a hostile key
        else:
            parent[path[-1]] = draw(hostile_values)
    return document


def state_documents() -> Any:
    return mutated(valid_states())


SNIPPETS = [
    "",
    "x-a: &a [1, 2, 3]\nx-b: [*a, *a, *a]\n",
    "x-m: {<<: [1, 2]}\n",
    "x-t: !!python/object/apply:os.system ['true']\n",
    "x-d: " + "[" * 300 + "]" * 300 + "\n",
    "x-r: &r [*r]\n",
    "x-i: " + "7" * 4400 + "\n",
    "x-u: !!binary aGk=\n",
    "%YAML 1.1\n---\n",
    "x-dup: 1\nx-dup: 2\n",
    "\t",
    "x-f: .nan\n",
]


@st.composite
def documents(draw: Any, inner: Any) -> tuple[str, str]:
    """(file name, text): a document as YAML or JSON, sometimes with a hostile YAML fragment added."""
    value = draw(inner)
    if draw(st.integers(0, 3)) == 0:
        return "doc.json", json.dumps(value, default=str)
    body = yaml.safe_dump(value, allow_unicode=draw(st.booleans()), sort_keys=False, width=10**6)
    snippet = draw(mostly(st.just(""), st.sampled_from(SNIPPETS)))
    return "doc.yaml", (snippet + body if snippet.startswith("%") else body + snippet)


# -- rulebooks -----------------------------------------------------------------------------------

FACTS = ["interview.ended_at", "interview.starts_at", "application.decision_by", "opens", "nonsense.fact", "x"]
UNITS = ["minutes", "hours", "days", "weeks", "business_days", "fortnights"]
fact = mostly(st.sampled_from(FACTS[:2]), st.sampled_from(FACTS))
unit = mostly(st.sampled_from(UNITS[:5]), st.sampled_from(UNITS))


@st.composite
def moments(draw: Any, depth: int = 0) -> Any:
    moment: dict[str, Any] = {"at": draw(st.sampled_from(FACTS[:2]))}
    if depth < 2 and draw(st.integers(0, 4)) == 0:
        moment = {draw(st.sampled_from(["earliest", "latest"])): draw(st.lists(moments(depth + 1), min_size=1, max_size=2))}
    if draw(st.booleans()):
        amount = draw(st.one_of(st.integers(0, 30), st.sampled_from([2610, 3660, 87_600, 5_256_000])))
        moment[draw(st.sampled_from(["plus", "minus"]))] = {draw(st.sampled_from(UNITS[:5])): amount}
    if draw(st.booleans()):
        moment["time"] = draw(st.sampled_from(["start_of_day", "end_of_day", "16:00"]))
    return moment


@st.composite
def valid_rulebooks(draw: Any) -> dict[str, Any]:
    """A rulebook the schema accepts (offsets up to the largest allowed), overlaying the default one or not."""
    rules = []
    for index in range(draw(st.integers(1, 3))):
        rule: dict[str, Any] = {
            "id": f"r{index}",
            "kind": draw(st.sampled_from(["thank_you_note", "follow_up", "status_call"])),
            "for_each": "interviewer",
            "channel": draw(st.sampled_from(["email", "phone", "reminder", "postal"])),
            "window": {"opens": draw(moments()), "due": {"at": "opens", "plus": {draw(st.sampled_from(UNITS[:5])): draw(st.integers(0, 30))}}},
        }
        if draw(st.booleans()):
            rule["window"]["expires"] = draw(moments())
        if draw(st.booleans()):
            rule["priority"] = draw(st.integers(1, 100))
        if draw(st.integers(0, 3)) == 0:
            rule["done_when"] = [{"kind": "thank_you_note", "after": draw(moments())}]
        rules.append(rule)
    book: dict[str, Any] = {"rules": rules}
    if draw(st.booleans()):
        book["caps"] = [{"id": "c0", "per": draw(st.sampled_from(["recipient", "everything", "application"])),
                         "max": draw(st.integers(1, 5)), "within": {draw(st.sampled_from(UNITS[:5])): draw(st.integers(1, 30))}}]  # fmt: skip
        for rule in rules:
            rule["caps"] = ["c0"]
    return book


def rulebooks() -> Any:
    hostile_extends = st.sampled_from(["/dev/zero", "/etc/shadow", "missing.yaml", "a" * 3000, "doc.yaml", "default"])
    return st.one_of(mutated(valid_rulebooks()), mutated(valid_rulebooks().map(lambda b: {**b, "extends": "default"})),
                     valid_rulebooks().flatmap(lambda b: hostile_extends.map(lambda e: {**b, "extends": e})))  # fmt: skip


@st.composite
def valid_rule_tests(draw: Any) -> dict[str, Any]:
    tests = []
    for _ in range(draw(st.integers(1, 3))):
        test: dict[str, Any] = {"name": draw(valid_text), "now": draw(valid_instants())}
        if draw(st.booleans()):
            test["expect"] = [{"rule": "thank-you-note", "status": draw(st.sampled_from(["due", "upcoming", "done"]))}]
        tests.append(test)
    return {
        "rules": draw(st.one_of(st.just("default"), valid_rulebooks())),
        "state": draw(st.one_of(st.just("s.yaml"), valid_states())),
        "tests": tests,
    }


def rule_tests() -> Any:
    return mutated(valid_rule_tests())


# -- the runs --------------------------------------------------------------------------------------

NOW = "2026-03-05T14:00:00+01:00"
KEY = "thank-you-note:acme:onsite:jonas"

STATE_COMMANDS = [
    ["validate", "{f}"],
    ["agenda", "{f}", "--now", NOW],
    ["agenda", "{f}", "--now", NOW, "--format", "json", "--all"],
    ["agenda", "{f}", "--now", NOW, "--format", "ics"],
    ["explain", "{f}", KEY, "--now", NOW],
    ["preview", "{f}", KEY, "--now", NOW],
    ["calendar", "{f}", "--now", NOW],
    ["simulate", "{f}", "--from", "2026-03-01", "--until", "2026-03-20", "--assume-done"],
    ["done", KEY, "--state", "{f}", "--at", NOW],
    ["snooze", KEY, "--state", "{f}", "--until", "2026-03-10", "--at", NOW],
    ["dismiss", KEY, "--state", "{f}", "--why", "no", "--at", NOW],
    ["retire", "acme", "--state", "{f}", "--at", NOW],
    ["import", "{f}", "--store", "sqlite:///{d}/f.db"],
]


def _args(template: list[str], **values: str) -> list[str]:
    return [part.format(**values) for part in template]


@examples(170)
@given(document=documents(state_documents()), command=st.sampled_from(STATE_COMMANDS))
def test_generated_states(zygote: Zygote, folder: Path, document: tuple[str, str], command: list[str]) -> None:
    here = fresh(folder)
    path = write(here, *document)
    zygote.run(*_args(command, f=str(path), d=str(here)), cwd=here, label="state").check()


@examples(120)
@given(
    book=documents(rulebooks()),
    command=st.sampled_from([["validate", "{r}"], ["agenda", "{s}", "--rules", "{r}", "--now", NOW],
                             ["simulate", "{s}", "--rules", "{r}", "--from", "2026-03-01", "--until", "2026-04-30"],
                             ["explain", "{s}", KEY, "--rules", "{r}", "--now", NOW]]),
)
def test_generated_rulebooks(zygote: Zygote, folder: Path, book: tuple[str, str], command: list[str]) -> None:
    here = fresh(folder)
    rules = write(here, *book)
    state = write(here, "s.yaml", state_text())
    zygote.run(*_args(command, r=str(rules), s=str(state)), cwd=here, label="rulebook").check()


@examples(80)
@given(document=documents(rule_tests()), verbose=st.booleans())
def test_generated_rule_tests(zygote: Zygote, folder: Path, document: tuple[str, str], verbose: bool) -> None:
    here = fresh(folder)
    write(here, "s.yaml", state_text())
    path = write(here, "t" + document[0][3:], document[1])
    zygote.run("test", str(path), *(["-v"] if verbose else []), cwd=here, label="ruletest").check()


STORE_URLS = st.one_of(
    st.just("sqlite:///{d}/f.db"),
    st.builds(lambda q: "sqlite:///{d}/f.db?" + q, st.text(alphabet=string.printable, max_size=20)),
    st.builds(lambda v: "sqlite:///{d}/f.db?timeout=" + v, st.sampled_from(["nan", "inf", "1e300", "-1", "0", "5", ""])),
    st.builds(lambda p: "sqlite:///{d}/" + p, st.sampled_from(["%00", "a%0Ab", "x" * 5000, "..", "/", "f.db/"])),
    st.sampled_from(["memory:", "postgresql://nobody@127.0.0.1:1/x", "mysql://x", "", "sqlite://", "file:///etc/passwd"]),
)
seconds = st.one_of(st.sampled_from(["inf", "nan", "1e300", "-1", "0", "0.05", "abc", "30"]), st.floats().map(repr))


@st.composite
def option_runs(draw: Any) -> list[str]:
    choice = draw(st.integers(0, 7))
    if choice == 0:
        return ["agenda", "{s}", "--now", draw(instants())]
    if choice == 1:
        return ["simulate", "{s}", "--from", draw(instants()), "--until", draw(instants()),
                "--max-steps", str(draw(st.one_of(st.integers(-5, 50), st.integers())))]  # fmt: skip
    if choice == 2:
        return ["snooze", KEY, "--state", "{s}", "--until", draw(instants()), "--at", draw(instants())]
    if choice == 3:
        return ["run", "--once", "--store", draw(STORE_URLS), "--timeout", draw(seconds), "--now", draw(instants())]
    if choice == 4:
        return ["run", "--dry-run", "--store", draw(STORE_URLS), "--batch", draw(st.sampled_from(["0", "1", "-1", "99999999999999999999", "x"])), "--now", NOW]
    if choice == 5:
        return ["log", "contact", draw(st.one_of(st.just("acme"), ident)), draw(st.sampled_from(KINDS)),
                "--store", draw(STORE_URLS), "--at", draw(instants())]  # fmt: skip
    if choice == 6:
        return ["outbox", "--store", draw(STORE_URLS), "--resolve", draw(text) or "k", draw(st.sampled_from(["sent", "not-sent", "maybe"]))]
    return ["export", "--store", draw(STORE_URLS), "--format", draw(st.sampled_from(["yaml", "json", "xml"]))]


@examples(170)
@given(command=option_runs())
def test_generated_options(zygote: Zygote, folder: Path, command: list[str]) -> None:
    here = fresh(folder)
    state = write(here, "s.yaml", state_text())
    if any(part.startswith("sqlite:///{d}/f.db") for part in command):
        zygote.run("import", str(state), "--store", f"sqlite:///{here}/f.db", cwd=here, label="setup")
    args = [part.replace("{s}", str(state)).replace("{d}", str(here)) for part in command]
    zygote.run(*args, cwd=here, label="option").check()
