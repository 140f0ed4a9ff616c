"""The store commands as a person types them: the quick start of docs/stores.md, run
for real, and bad input answered with a message and exit status 1, never a traceback."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "stores.md"
NOW = "2026-11-30T09:30:00+01:00"


def followup(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from followup.cli import main; main()", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def followup_in_process(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The same command line in this process (faster): output captured, exit status kept."""
    import contextlib
    import io

    from followup.cli import main

    out, err = io.StringIO(), io.StringIO()
    saved_env, saved_cwd = dict(os.environ), Path.cwd()
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    code = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main(list(args))
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
    return subprocess.CompletedProcess(list(args), code, out.getvalue(), err.getvalue())


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    config = tmp_path / "config.toml"
    config.write_text("# no channels configured: everything goes to the console\n")
    environment = {k: v for k, v in os.environ.items() if not k.startswith("FOLLOWUP_")}
    environment.update(FOLLOWUP_CONFIG=str(config), FOLLOWUP_STORE=f"sqlite:///{tmp_path / 'store.sqlite3'}")
    return environment


def quick_start() -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    block = text.split("## Quick start", 1)[1].split("```console", 1)[1].split("```", 1)[0]
    return [line[2:] for line in block.strip().splitlines() if line.startswith("$ ")]


def test_the_python_example_runs(tmp_path: Path, env: dict[str, str]) -> None:
    text = DOC.read_text(encoding="utf-8")
    code = text.split("## From Python", 1)[1].split("```python", 1)[1].split("```", 1)[0]
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert "would-send thank-you-note:northwind-data:onsite:jonas via console" in result.stdout


def test_the_quick_start_delivers_once_then_nothing(tmp_path: Path, env: dict[str, str]) -> None:
    """Done when: init, import, run --once delivers the example's due actions through the
    console channel; a second run --once delivers nothing new."""
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    from followup import Engine, load_state, parse_instant

    due = Engine().evaluate(load_state(ROOT / "examples" / "job-search.yaml"), parse_instant(NOW)).pending
    assert len(due) >= 10
    results = []
    for line in quick_start():
        words = shlex.split(line)
        if words[0] == "export":
            name, _, value = words[1].partition("=")
            env[name] = value
            continue
        assert words[0] == "followup", line
        result = followup(*words[1:], cwd=tmp_path, env=env)
        assert result.returncode == 0, (line, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr
        results.append((line, result))
    assert (tmp_path / "followup-demo.sqlite3").exists()
    by_command = {line: result for line, result in results}
    dry = by_command[f"followup run --once --dry-run --now {NOW}"]
    assert f"dry run: {len(due)} would-send; nothing was changed" in dry.stdout
    runs = [result for line, result in results if line == f"followup run --once --now {NOW}"]
    assert len(runs) == 2
    assert f"followup run: {len(due)} delivered" in runs[0].stdout
    for action in due:
        assert action.key in runs[0].stdout or (action.company or "") in runs[0].stdout
    assert "followup run: nothing to send" in runs[1].stdout
    outbox = followup("outbox", "--all", "--format", "json", cwd=tmp_path, env=env)
    entries = json.loads(outbox.stdout)
    assert sorted(e["key"] for e in entries) == sorted(a.key for a in due)
    assert {(e["status"], e["channel"]) for e in entries} == {("delivered", "console")}


def test_import_export_round_trip_and_log_commands(tmp_path: Path, env: dict[str, str]) -> None:
    example = ROOT / "examples" / "job-search.yaml"
    assert followup_in_process("init", cwd=tmp_path, env=env).returncode == 0
    first = followup_in_process("import", str(example), cwd=tmp_path, env=env)
    assert "7 application(s) added" in first.stdout
    again = followup_in_process("import", str(example), cwd=tmp_path, env=env)
    assert "nothing new" in again.stdout
    steps = [
        ("log", "contact", "atlas-insurance", "reply", "--note", "decision next week", "--at", "2026-11-28T10:00:00+01:00"),
        ("log", "status", "cobalt-retail", "withdrawn", "--at", "2026-11-28"),
        (
            "log", "interview", "delta-robotics", "first-round", "--starts-at", "2026-12-01T11:00:00+01:00",
            "--ended-at", "2026-12-01T12:00:00+01:00",
            "--interviewer", "{id: tomasz, name: Tomasz Nowak, title: Head of ML, email: tomasz.nowak@delta.example}",
        ),
        ("log", "contact", "-", "keep_searching", "--at", "2026-11-28T12:00:00+01:00"),
    ]  # fmt: skip
    for step in steps:
        result = followup_in_process(*step, cwd=tmp_path, env=env)
        assert result.returncode == 0, (step, result.stderr)
    exported = followup_in_process("export", "--format", "json", cwd=tmp_path, env=env)
    document = json.loads(exported.stdout)
    from followup import load_state

    state = load_state(document)
    atlas, cobalt, delta = (state.application(i) for i in ("atlas-insurance", "cobalt-retail", "delta-robotics"))
    assert atlas is not None and atlas.contacts[-1].note == "decision next week" and atlas.contacts[-1].direction == "in"
    assert cobalt is not None and cobalt.status == "withdrawn"
    assert delta is not None and delta.interviews[0].ended_at is not None
    assert [c.kind for c in state.contacts] == ["keep_searching"]
    # the export imports into an empty store as the same state
    out = tmp_path / "exported.yaml"
    assert followup_in_process("export", "-o", str(out), cwd=tmp_path, env=env).returncode == 0
    other = dict(env, FOLLOWUP_STORE=f"sqlite:///{tmp_path / 'other.sqlite3'}")
    assert followup_in_process("import", str(out), cwd=tmp_path, env=other).returncode == 0
    assert json.loads(followup_in_process("export", "--format", "json", cwd=tmp_path, env=other).stdout) == document


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("run", "--once", "--store", "followup.db"), "'followup.db' is not a store URL"),
        (("run", "--once", "--store", "redis://x"), "no installed store serves 'redis:'"),
        (("export",), "no store at"),
        (("log", "status", "nope", "offer"), "no store at"),
    ],
)
def test_bad_input_before_init(tmp_path: Path, env: dict[str, str], args: tuple[str, ...], message: str) -> None:
    result = followup_in_process(*args, cwd=tmp_path, env=env)
    assert result.returncode == 1 and message in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("log", "contact", "acme", "reply"), "no application 'acme' in the store"),
        (("log", "contact", "northwind-data", "thank_you_note", "--to", "jonaz"), "unknown interviewer or reference 'jonaz'"),
        (("log", "contact", "northwind-data", "Thank You"), "is not a contact kind"),
        (("log", "contact", "northwind-data", "reply", "--at", "2026-11-28T10:00"), "has no time zone"),
        (("log", "status", "northwind-data", "hired"), "unknown status 'hired'; valid: applied"),
        (("log", "interview", "northwind-data", "x", "--starts-at", "2026-12-01T10:00:00Z", "--interviewer", "{name: No Id}"), "needs at least an id"),
        (("log", "interview", "northwind-data", "x", "--starts-at", "2026-12-01T10:00:00Z", "--interviewer", "{id: a, mobile: 1}"), "unknown field 'mobile'"),
        (("outbox", "--resolve", "no-such-key", "sent"), "no claim with key 'no-such-key'"),
        (("run", "--once", "--rules", "missing.yaml"), "missing.yaml"),
    ],
)
def test_bad_input_is_a_message_and_exit_1(
    tmp_path: Path, env: dict[str, str], imported: Path, args: tuple[str, ...], message: str
) -> None:
    shutil.copy(imported, tmp_path / "store.sqlite3")
    before = dump(tmp_path / "store.sqlite3")
    result = followup_in_process(*args, cwd=tmp_path, env=env)
    assert result.returncode == 1, result
    assert re.search(re.escape(message), result.stderr), result.stderr
    assert "Traceback" not in result.stderr
    assert dump(tmp_path / "store.sqlite3") == before  # nothing changed


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite store holding the example, made once (tests copy it)."""
    from followup import load_state
    from followup.stores import open_store

    path = tmp_path_factory.mktemp("imported") / "store.sqlite3"
    store = open_store(f"sqlite:///{path}")
    store.import_state(load_state(ROOT / "examples" / "job-search.yaml"))
    store.close()
    return path


def dump(path: Path) -> list[str]:
    import sqlite3

    with sqlite3.connect(path) as connection:
        return list(connection.iterdump())


def test_an_empty_store_says_to_import(tmp_path: Path, env: dict[str, str]) -> None:
    assert followup("init", cwd=tmp_path, env=env).returncode == 0
    result = followup("run", "--once", cwd=tmp_path, env=env)
    assert result.returncode == 1 and "holds no state yet: run `followup import FILE` first" in result.stderr


def test_a_store_from_a_newer_followup(tmp_path: Path, env: dict[str, str]) -> None:
    import sqlite3

    assert followup("init", cwd=tmp_path, env=env).returncode == 0
    with sqlite3.connect(tmp_path / "store.sqlite3") as connection:
        connection.execute("UPDATE followup_meta SET value = '999' WHERE key = 'schema_version'")
    result = followup("run", "--once", cwd=tmp_path, env=env)
    assert result.returncode == 1 and "schema version 999, written by a newer followup" in result.stderr


def test_the_default_store_is_a_sqlite_file_in_the_user_data_folder(tmp_path: Path, env: dict[str, str]) -> None:
    del env["FOLLOWUP_STORE"]
    env["XDG_DATA_HOME"] = str(tmp_path / "data")
    result = followup("init", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    expected = tmp_path / "data" / "followup" / "followup.sqlite3"
    assert f"store sqlite:///{expected} ready" in result.stdout
    assert expected.exists()
    # FOLLOWUP_STORE wins over the default, --store over both
    env["FOLLOWUP_STORE"] = "memory:"
    assert "store memory: ready" in followup("init", cwd=tmp_path, env=env).stdout
    other = tmp_path / "other.sqlite3"
    assert f"store sqlite:///{other} ready" in followup("init", "--store", f"sqlite:///{other}", cwd=tmp_path, env=env).stdout
