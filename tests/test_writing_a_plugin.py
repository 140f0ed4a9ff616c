"""docs/writing-a-plugin.md works: its files, its tests and its commands, run as the page shows them.

``pip install -e .`` is replaced by what it leaves behind (a ``.dist-info`` with the
entry point and the source folder on the path), so the test needs no network.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

DOC = ROOT / "docs" / "writing-a-plugin.md"


def files() -> dict[str, str]:
    text = DOC.read_text()
    return dict(re.findall(r"File `([^`]+)`:\n\n```\w*\n(.*?)```", text, flags=re.DOTALL))


def commands() -> list[str]:
    text = DOC.read_text()
    return [line for block in re.findall(r"```sh\n(.*?)```", text, flags=re.DOTALL) for line in block.splitlines()]


def test_the_page_names_the_files_and_commands_it_uses() -> None:
    assert set(files()) == {
        "pyproject.toml",
        "src/followup_notes/__init__.py",
        "tests/test_notes.py",
        "config.toml",
        "rules.yaml",
        "state.yaml",
    }
    assert "pip install -e ." in commands() and "python -m pytest -q" in commands()
    assert 'notes = "followup_notes"' in files()["pyproject.toml"]


def test_following_the_page_gives_a_working_plugin(tmp_path: Path) -> None:
    project = tmp_path / "followup-notes"
    for name, content in files().items():
        path = project / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    # what `pip install -e .` leaves behind
    site = tmp_path / "site"
    info = site / "followup_notes-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: followup-notes\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text("[followup]\nnotes = followup_notes\n")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(site), str(project / "src"), *sys.path]),
        "FOLLOWUP_CONFIG": str(project / "config.toml"),
    }
    for variable in ("FOLLOWUP_STORE", "FOLLOWUP_LOAD_PLUGINS", "FOLLOWUP_DISABLE_PLUGINS", "FOLLOWUP_TRACE_PLUGINS"):
        env.pop(variable, None)

    def run(line: str) -> subprocess.CompletedProcess[str]:
        argv = line.split()
        if argv[0] == "followup":
            argv = [sys.executable, "-m", "followup", *argv[1:]]
        elif argv[0] == "python":
            argv = [sys.executable, *argv[1:]]
        done = subprocess.run(argv, cwd=project, capture_output=True, text=True, env=env)
        assert done.returncode == 0, f"{line}\n{done.stdout}\n{done.stderr}"
        return done

    listed = run("followup plugins")
    assert re.search(r"notes\s+followup-notes\s+0\.1\.0\s+register_channels\s+channels: notes", listed.stdout)
    tested = run("python -m pytest -q")
    assert re.search(r"\b10 passed\b", tested.stdout) and "failed" not in tested.stdout, tested.stdout
    for line in commands():
        if line.startswith(("followup import", "followup run")):
            run(line)
    notes = list((project / "notes").glob("*.md"))
    assert len(notes) == 1
    assert notes[0].read_text().startswith("# Thank you") and "To: Sam Roe (email)" in notes[0].read_text()
    again = run(next(line for line in commands() if line.startswith("followup run")))
    assert "nothing to send" in again.stdout and len(list((project / "notes").glob("*.md"))) == 1
