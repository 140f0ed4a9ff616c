"""The README's store demo touches nothing of the user's own, and the outbox listing
shows local times."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOW = "2026-11-30T09:30:00+01:00"


def sandbox(tmp_path: Path) -> dict[str, str]:
    """An environment whose home, data, config and temporary folders are all under ``tmp_path``."""
    home = tmp_path / "home"
    (tmp_path / "tmp").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FOLLOWUP_", "XDG_"))}
    env.update(
        HOME=str(home),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_CONFIG_HOME=str(home / ".config"),
        # the holiday cache is a cache, not the user's data: kept apart so that "home" stays empty
        XDG_CACHE_HOME=str(tmp_path / "cache"),
        TMPDIR=str(tmp_path / "tmp"),
        COLUMNS="200",  # tables as wide as a wide terminal (pytest-xdist sets 80)
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
    )
    return env


def test_the_readme_store_demo_uses_a_throwaway_store(tmp_path: Path) -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("## Scaling out", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    env = sandbox(tmp_path)
    result = subprocess.run(["bash", "-e", "-c", block], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    assert "followup run:" in result.stdout and "delivered" in result.stdout
    assert not (tmp_path / "home").exists()  # no default store, no data folder, no configuration of the user's
    (store,) = (tmp_path / "tmp").glob("*/followup-demo.sqlite3")
    assert store.stat().st_size > 0


def test_the_outbox_listing_shows_local_times(tmp_path: Path) -> None:
    env = sandbox(tmp_path)
    (tmp_path / "config.toml").write_text("")
    env.update(FOLLOWUP_STORE=f"sqlite:///{tmp_path / 'store.sqlite3'}", FOLLOWUP_CONFIG=str(tmp_path / "config.toml"))

    def followup(*args: str) -> str:
        result = subprocess.run([sys.executable, "-m", "followup", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
        assert result.returncode == 0, result.stderr
        return result.stdout

    followup("init")
    followup("import", "examples/job-search.yaml")
    followup("run", "--once", "--now", NOW)
    listing = followup("outbox", "--all")
    assert "delivered" in listing
    assert "+00:00" not in listing  # not ISO 8601 in UTC
    assert re.search(r"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2} [A-Z][a-z]{2} \d{4} \d\d:\d\d CET\b", listing)
