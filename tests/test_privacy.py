"""Personal data is private: folders 0700, the database (and its -wal, -shm), calendar and outbox files 0600.

Each command runs in a subprocess with umask 022, the usual default that would make
everything readable by every user of the machine.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "job-search.yaml"
NOW = "2026-11-30T09:30:00+01:00"


def _umask_022() -> None:
    os.umask(0o022)


def cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "followup", *args],
        capture_output=True, text=True, env={**os.environ, **env}, cwd=cwd, timeout=120, preexec_fn=_umask_022,
    )  # fmt: skip


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def world(tmp_path: Path) -> dict[str, Path]:
    data = tmp_path / "home" / "followup-data"  # a data folder that does not exist yet
    outbox, calendar = data / "outbox", data / "calendar" / "followup.ics"
    config = tmp_path / "config.toml"
    routes = 'email = "outbox"\npostal = "outbox"\nfax = "outbox"\nphone = "calendar"\nreminder = "calendar"'
    config.write_text(
        f'[routes]\n{routes}\n[channels.outbox]\nfolder = "{outbox}"\n[channels.calendar]\nfile = "{calendar}"\n'
        "[spelling]\nenabled = false\n"
    )
    return {"tmp": tmp_path, "data": data, "db": data / "followup.sqlite3", "outbox": outbox, "ics": calendar, "config": config}


def test_store_calendar_and_outbox_are_private_whatever_the_umask(world: dict[str, Path]) -> None:
    env = {"FOLLOWUP_CONFIG": str(world["config"]), "FOLLOWUP_STORE": f"sqlite:///{world['db']}"}
    for args in (("init",), ("import", str(EXAMPLE)), ("run", "--once", "--now", NOW)):
        done = cli(*args, env=env, cwd=world["tmp"])
        assert done.returncode in (0, 1), done.stderr  # 1: some message blocked by a check is fine here
        assert "Traceback" not in done.stderr
    assert mode(world["data"]) == 0o700
    for suffix in ("", "-wal", "-shm"):
        file = world["db"].with_name(world["db"].name + suffix)
        if file.exists():
            assert mode(file) == 0o600, f"{file.name} is {oct(mode(file))}"
    written = [p for p in world["outbox"].rglob("*") if p.is_file()]
    assert written, "the outbox channel wrote nothing"
    assert mode(world["outbox"]) == 0o700
    assert all(mode(p) == 0o600 for p in written), {p.name: oct(mode(p)) for p in written}
    assert world["ics"].exists()
    assert mode(world["ics"]) == 0o600 and mode(world["ics"].parent) == 0o700
    for lock in world["ics"].parent.glob(".*lock"):
        assert mode(lock) == 0o600


def test_written_calendar_and_export_are_private(world: dict[str, Path]) -> None:
    env = {"FOLLOWUP_CONFIG": str(world["config"]), "FOLLOWUP_STORE": f"sqlite:///{world['db']}"}
    out = world["tmp"] / "new" / "tasks.ics"
    done = cli("calendar", str(EXAMPLE), "--now", NOW, "-o", str(out), env=env, cwd=world["tmp"])
    assert done.returncode == 0, done.stderr
    assert mode(out) == 0o600 and mode(out.parent) == 0o700
    assert cli("import", str(EXAMPLE), env=env, cwd=world["tmp"]).returncode == 0
    exported = world["tmp"] / "export.yaml"
    done = cli("export", "-o", str(exported), env=env, cwd=world["tmp"])
    assert done.returncode == 0, done.stderr
    assert mode(exported) == 0o600
