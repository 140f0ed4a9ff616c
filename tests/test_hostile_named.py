"""Every hostile case named in issue #11, run through the command line, each bounded in time and memory.

Each run is a separate process (see ``hostile_runner``) limited to 1 GiB of address
space and 10 s of wall time; it must end with exit status 0, 1 or 2, print no
traceback and write a bounded amount of output. Where the issue says what the
answer must be (exit 1 and a message, or accepted), the test says so too.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from hostile_runner import EXAMPLE, Run, Zygote, run_fresh, state_text, write

pytestmark = pytest.mark.hostile

NOW = "2026-03-05T14:00:00+01:00"
KEY = "thank-you-note:acme:onsite:jonas"
EXTREME = "9999-12-31T23:59:59-12:00"


@pytest.fixture(scope="module")
def zygote(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Zygote]:
    process = Zygote(tmp_path_factory.mktemp("zygote"))
    yield process
    process.close()


@pytest.fixture
def state(tmp_path: Path) -> Path:
    return write(tmp_path, "s.yaml", state_text())


def refused(run: Run, *words: str, max_output: int = 20_000) -> Run:
    """Exit 1 with a bounded message holding ``words``."""
    run.check(max_output=max_output)
    assert run.code == 1, f"exit {run.code}: {run.stderr[-2000:]}"
    for word in words:
        assert word in run.stderr, run.stderr[-2000:]
    return run


# -- 2: alias bombs ------------------------------------------------------------------------------

def _alias_bomb(levels: int) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("levels", [6, 9])
def test_alias_bomb_in_a_state_a_rulebook_and_a_rule_test(zygote: Zygote, tmp_path: Path, levels: int) -> None:
    bomb = _alias_bomb(levels)
    state = write(tmp_path, "s.yaml", state_text().replace("version: 1\n", f"version: 1\nx-bomb: &bomb\n{_indent(bomb)}"))
    rules = write(tmp_path, "r.yaml", f"{bomb}rules: *a{levels}\n")
    tests = write(tmp_path, "t.yaml", f"{bomb}tests: *a{levels}\n")
    refused(zygote.run("validate", str(state)), "aliases")
    refused(zygote.run("agenda", str(state), "--now", NOW), "aliases")
    refused(zygote.run("validate", str(rules)), "aliases")
    refused(zygote.run("test", str(tests)), "aliases")


def _indent(text: str) -> str:
    return "".join(f"  {line}\n" for line in text.splitlines())


def test_a_recursive_alias_is_refused(zygote: Zygote, tmp_path: Path) -> None:
    refused(zygote.run("validate", str(write(tmp_path, "s.yaml", "version: 1\ncandidate: &c [*c]\n"))))


# -- 3: extreme instants ---------------------------------------------------------------------------

def test_snooze_past_the_supported_range_is_refused_and_nothing_written(zygote: Zygote, state: Path) -> None:
    before = state.read_bytes()
    refused(zygote.run("snooze", KEY, "--until", "9999-12-31T23:30:00Z", "--state", str(state)), "supported range")
    assert state.read_bytes() == before


def test_an_extreme_instant_in_a_state_is_refused_by_validate_and_agenda_alike(zygote: Zygote, tmp_path: Path) -> None:
    text = state_text() + "    contacts:\n      - {at: 2026-03-05T18:00:00+01:00, kind: snoozed, action: " + KEY + ", until: 9999-12-31T23:30:00Z}\n"
    path = write(tmp_path, "s.yaml", text)
    refused(zygote.run("validate", str(path)))
    refused(zygote.run("agenda", str(path), "--now", NOW))


@pytest.mark.parametrize(
    "args",
    [
        ["agenda", "{state}", "--now", EXTREME],
        ["agenda", "{state}", "--now", EXTREME, "--format", "json"],
        ["explain", "{state}", KEY, "--now", EXTREME],
        ["preview", "{state}", KEY, "--now", EXTREME],
        ["calendar", "{state}", "--now", EXTREME],
        ["simulate", "{state}", "--from", "2026-03-05", "--until", EXTREME],
        ["simulate", "{state}", "--from", EXTREME, "--until", "2026-03-06"],
        ["done", KEY, "--state", "{state}", "--at", EXTREME],
        ["dismiss", KEY, "--state", "{state}", "--why", "no", "--at", EXTREME],
        ["retire", "acme", "--state", "{state}", "--at", EXTREME],
        ["snooze", KEY, "--state", "{state}", "--until", "2026-03-10", "--at", EXTREME],
        ["agenda", "{state}", "--now", "0001-01-01T00:00:00+14:00"],
        ["agenda", "{state}", "--now", "1899-12-31T23:59:59Z"],
        ["agenda", "{state}", "--now", "2201-01-01T00:00:00Z"],
    ],
    ids=lambda a: "-".join(x.strip("-{}") for x in a[:1] + a[-2:-1]),
)
def test_an_instant_outside_1900_2200_is_exit_1_everywhere(zygote: Zygote, state: Path, args: list[str]) -> None:
    refused(zygote.run(*[a.replace("{state}", str(state)) for a in args]), "supported range")


def test_the_store_commands_refuse_an_extreme_now(zygote: Zygote, tmp_path: Path, state: Path) -> None:
    store = f"sqlite:///{tmp_path / 'f.db'}"
    assert zygote.run("import", str(state), "--store", store).check().code == 0
    refused(zygote.run("run", "--once", "--dry-run", "--store", store, "--now", EXTREME), "supported range")
    refused(zygote.run("log", "contact", "acme", "reply", "--store", store, "--at", EXTREME), "supported range")


def test_the_edges_of_the_range_work(zygote: Zygote, state: Path) -> None:
    for now in ("1900-01-01T00:00:00Z", "2200-12-31T00:00:00Z"):
        assert zygote.run("agenda", str(state), "--now", now).check().code == 0


# -- 4: offsets without an upper bound -------------------------------------------------------------

RULE = """
rules:
  - id: far
    kind: thank_you_note
    for_each: interviewer
    channel: email
    window:
      opens: {{at: interview.ended_at, plus: {offset}}}
      due: {{at: opens, plus: {{hours: 1}}}}
"""


@pytest.mark.parametrize(
    "offset", ["{days: 1000000000000}", "{days: 3000000}", "{business_days: 100000}", "{minutes: 99999999999999999}", "{weeks: 100000}"]
)
def test_an_offset_past_ten_years_is_refused_in_the_rulebook(zygote: Zygote, tmp_path: Path, state: Path, offset: str) -> None:
    rules = write(tmp_path, "r.yaml", RULE.format(offset=offset))
    refused(zygote.run("validate", str(rules)), "r.yaml:")
    refused(zygote.run("agenda", str(state), "--rules", str(rules), "--now", NOW))
    refused(zygote.run("simulate", str(state), "--rules", str(rules), "--from", "2026-03-05", "--until", "2026-04-05"))


def test_large_after_offsets_in_a_contact_match_are_refused(zygote: Zygote, tmp_path: Path) -> None:
    text = RULE.format(offset="{days: 1}") + "    done_when:\n      - {kind: thank_you_note, after: {at: opens, minus: {days: 100000000}}}\n"
    refused(zygote.run("validate", str(write(tmp_path, "r.yaml", text))), "3,660")


def test_the_longest_offsets_still_evaluate_quickly(zygote: Zygote, tmp_path: Path, state: Path) -> None:
    rules = write(tmp_path, "r.yaml", RULE.format(offset="{business_days: 2610}"))
    run = zygote.run("simulate", str(state), "--rules", str(rules), "--from", "2026-03-05", "--until", "2036-12-31")
    run.check()


# -- 5: other exit-3 and hang cases ------------------------------------------------------------------

def test_integers_past_python_s_digit_limit(zygote: Zygote, tmp_path: Path) -> None:
    digits = "9" * 5000
    refused(zygote.run("validate", str(write(tmp_path, "s.yaml", f"version: {digits}\n"))), "digits")
    refused(zygote.run("validate", str(write(tmp_path, "s.json", f'{{"version": {digits}}}'))), "digits")
    refused(zygote.run("validate", str(write(tmp_path, "r.yaml", f"rules: []\nversion: {digits}\n"))))


def test_a_merge_key_of_scalars(zygote: Zygote, tmp_path: Path) -> None:
    refused(zygote.run("validate", str(write(tmp_path, "s.yaml", "version: 1\n<<: [1, 2]\n"))), "merge key")
    refused(zygote.run("test", str(write(tmp_path, "t.yaml", "tests:\n  - <<: [1, 2]\n"))), "merge key")


def test_a_merge_key_of_mappings_still_works(zygote: Zygote, tmp_path: Path) -> None:
    text = state_text().replace("  - id: acme\n    company: Acme\n", "  - <<: &base {company: Acme}\n    id: acme\n")
    assert zygote.run("validate", str(write(tmp_path, "s.yaml", text))).check().code == 0


@pytest.mark.parametrize("depth", [1_000, 50_000])
def test_json_nested_very_deep(zygote: Zygote, tmp_path: Path, depth: int) -> None:
    text = '{"version": 1, "candidate": ' + "[" * depth + "]" * depth + "}"
    refused(zygote.run("validate", str(write(tmp_path, "s.json", text))), "nest")
    tabbed = '{\t"x": "\\/", "v": ' + "[" * depth + "]" * depth + "}"  # YAML cannot read it: the JSON parser does
    refused(zygote.run("validate", str(write(tmp_path, "t.json", tabbed))), "nest")


def test_a_10000_character_time_zone(zygote: Zygote, tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", state_text().replace("Europe/Berlin", "Z" * 10_000))
    run = refused(zygote.run("validate", str(path)), "unknown time zone")
    assert len(run.stderr) < 1000
    refused(zygote.run("agenda", str(write(tmp_path, "s2.yaml", state_text())), "--now", f"2026-03-05T10:00[{'Z' * 10_000}]"))


def test_an_extends_chain_1200_deep(zygote: Zygote, tmp_path: Path) -> None:
    for n in range(1200):
        write(tmp_path, f"r{n}.yaml", f"extends: r{n + 1}.yaml\nrules: []\n" if n < 1199 else "rules: []\n")
    refused(zygote.run("validate", str(tmp_path / "r0.yaml")), "extends chain")


@pytest.mark.parametrize("name", ["a" * 5000, "a/" * 2500, "a" * 1000])
def test_a_very_long_extends_name(zygote: Zygote, tmp_path: Path, name: str) -> None:
    run = refused(zygote.run("validate", str(write(tmp_path, "r.yaml", f"extends: {name}\nrules: []\n"))))
    assert len(run.stderr) < 2000


@pytest.mark.parametrize("where", ["state", "rules", "test", "extends", "config"])
def test_dev_zero_and_a_fifo_as_input_do_not_hang(zygote: Zygote, tmp_path: Path, state: Path, where: str) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    for special in ("/dev/zero", str(fifo)):
        env: dict[str, str] = {}
        if where == "state":
            args = ["agenda", special, "--now", NOW]
        elif where == "rules":
            args = ["agenda", str(state), "--rules", special, "--now", NOW]
        elif where == "test":
            args = ["test", special]
        elif where == "extends":
            args = ["validate", str(write(tmp_path, "r.yaml", f"extends: {special}\nrules: []\n"))]
        else:
            args, env = ["preview", str(state), KEY, "--now", NOW], {"FOLLOWUP_CONFIG": special}
        refused(zygote.run(*args, env=env), "expected a regular")


def test_followup_test_slash(zygote: Zygote) -> None:
    refused(zygote.run("test", "/"), "name the folder")


@pytest.mark.parametrize("timeout", ["inf", "nan", "1e300", "-inf"])
def test_run_with_a_timeout_that_is_not_a_number_of_seconds(zygote: Zygote, tmp_path: Path, state: Path, timeout: str) -> None:
    store = f"sqlite:///{tmp_path / 'f.db'}"
    assert zygote.run("import", str(state), "--store", store).check().code == 0
    run = zygote.run("run", "--once", "--store", store, "--timeout", timeout, "--now", NOW).check()
    assert run.code in (1, 2) and "--timeout" in run.stderr


@pytest.mark.parametrize("query", ["?timeout=nan", "?timeout=inf", "?timeout=1e300", "?timeout=-1", "?nonsense=1"])
def test_odd_store_url_options(zygote: Zygote, tmp_path: Path, query: str) -> None:
    refused(zygote.run("init", "--store", f"sqlite:///{tmp_path / 'f.db'}{query}"), "--store")


@pytest.mark.parametrize("path", ["f%00.db", "%00", "a%0Ab.db", "x" * 5000])
def test_odd_store_file_names(zygote: Zygote, tmp_path: Path, path: str) -> None:
    run = zygote.run("init", "--store", f"sqlite:///{tmp_path}/{path}").check()
    assert run.code == 1


def test_version_1_0_is_read_as_1_by_every_command(zygote: Zygote, tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", state_text().replace("version: 1\n", "version: 1.0\n"))
    store = f"sqlite:///{tmp_path / 'f.db'}"
    for args in (
        ["validate", str(path)],
        ["agenda", str(path), "--now", NOW],
        ["import", str(path), "--store", store],
        ["run", "--once", "--dry-run", "--store", store, "--now", NOW],
        ["export", "--store", store],
        ["log", "status", "acme", "rejected", "--store", store],
        ["export", "--store", store, "--format", "json"],
    ):
        run = zygote.run(*args).check()
        assert run.code == 0, f"{args[0]}: {run.stderr[-1000:]}"
    exported = json.loads(zygote.run("export", "--store", store, "--format", "json").stdout)
    assert exported["version"] == 1 and isinstance(exported["version"], int)
    refused(zygote.run("validate", str(write(tmp_path, "s2.yaml", state_text().replace("version: 1\n", "version: 1.5\n")))))


def test_a_10_mb_company_name_in_the_agenda_table(zygote: Zygote, tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", state_text().replace("company: Acme", f"company: {'A' * 10_000_000}"))
    run = zygote.run("agenda", str(path), "--now", NOW).check(max_output=100_000)
    assert run.code == 0 and "characters" in run.stdout  # the cell says how long the name was


def test_rich_markup_in_a_name_is_shown_as_written(zygote: Zygote, tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", state_text().replace("company: Acme", 'company: "[/] [bold red]Acme[/"'))
    run = zygote.run("agenda", str(path), "--now", NOW).check()
    assert run.code == 0 and "[bold red]Acme" in run.stdout


def test_a_document_over_16_mib(zygote: Zygote, tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", state_text() + "# " + "x" * (17 * 1024 * 1024) + "\n")
    refused(zygote.run("validate", str(path)), "limit")


@pytest.mark.parametrize("case", ["range", "macro", "loops"])
def test_runaway_templates_in_preview(zygote: Zygote, tmp_path: Path, state: Path, case: str) -> None:
    body = {
        "range": "{% for i in range(10**9) %}x{% endfor %}",
        "macro": "{% macro m(n) %}{{ m(n + 1) }}{% endmacro %}{{ m(0) }}",
        "loops": "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}",
    }[case]
    templates = tmp_path / "templates"
    write(templates, "thank_you_note.txt", "{% block subject -%}Hi{%- endblock %}\n{% block body -%}\n" + body + "\n{%- endblock %}\n")
    config = write(tmp_path, "config.toml", f'template_dir = "{templates}"\n')
    refused(zygote.run("preview", str(state), KEY, "--now", NOW, env={"FOLLOWUP_CONFIG": str(config)}), "thank_you_note.txt:3")


# -- 10: minor ---------------------------------------------------------------------------------------

SECRET = "root:$6$N0tAR3alHash$abcdef:19000:0:99999:7:::"


@pytest.mark.parametrize("content", [SECRET + "\n", f"{SECRET}\nsecond: line\n", f"password: {SECRET}\n", f"- {SECRET}\n"])
def test_extends_never_prints_another_file(zygote: Zygote, tmp_path: Path, content: str) -> None:
    write(tmp_path, "shadow", content)
    run = refused(zygote.run("validate", str(write(tmp_path, "r.yaml", "extends: shadow\nrules: []\n"))))
    assert "N0tAR3al" not in run.stderr + run.stdout


def test_extends_etc_shadow(zygote: Zygote, tmp_path: Path) -> None:
    run = refused(zygote.run("validate", str(write(tmp_path, "r.yaml", "extends: /etc/shadow\nrules: []\n"))))
    if os.access("/etc/shadow", os.R_OK):
        lines = [line for line in Path("/etc/shadow").read_text(errors="replace").splitlines() if len(line) > 8]
        assert not any(line in run.stderr for line in lines)
        assert not any(line.split(":")[1] in run.stderr for line in lines if len(line.split(":")) > 1 and len(line.split(":")[1]) > 3)


def test_a_rule_message_field_is_refused_not_ignored(zygote: Zygote, tmp_path: Path) -> None:
    text = RULE.format(offset="{days: 1}") + "    message: other_template\n"
    refused(zygote.run("validate", str(write(tmp_path, "r.yaml", text))), "unknown field 'message'")


def test_header_injection_through_preview(zygote: Zygote, tmp_path: Path) -> None:
    hostile = "{id: jonas, name: '=?utf-8?q?Jonas=0D=0ABcc=3A_victim=40evil.example?=', email: jonas@acme.example}"
    path = write(tmp_path, "s.yaml", state_text(hostile))
    refused(zygote.run("preview", str(path), KEY, "--now", NOW), "blocked by headers")


# -- the real entry point, in a fresh interpreter ------------------------------------------------------

@pytest.mark.parametrize(
    "args",
    [
        ["validate", "/dev/zero"],
        ["agenda", str(EXAMPLE), "--now", EXTREME],
        ["test", "/"],
    ],
    ids=["dev-zero", "extreme-now", "test-slash"],
)
def test_fresh_interpreter(tmp_path: Path, args: list[str]) -> None:
    run = run_fresh(*args, cwd=tmp_path).check()
    assert run.code == 1


def test_the_harness_bounds_are_real(zygote: Zygote) -> None:
    """A run past the wall limit is killed and reported; one past the memory limit fails (the harness itself)."""
    late = zygote.run("agenda", str(EXAMPLE), "--now", NOW, wall=0.001, label="harness")
    assert late.killed and late.problems()
    # (16 MB: a start-up that imports only what agenda needs runs within 64 MB now)
    starved = zygote.run("agenda", str(EXAMPLE), "--now", NOW, memory=16 << 20, label="harness")
    assert starved.code != 0
