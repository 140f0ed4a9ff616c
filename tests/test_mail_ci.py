"""CI starts Dovecot or fails, and the Dovecot tests fail rather than skip there when it is missing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ci_sources_the_dovecot_script_and_stops_it() -> None:
    run = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "source .ci/dovecot.sh" in run and "followup_dovecot_stop" in run


def test_the_script_fails_when_dovecot_cannot_start() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FOLLOWUP_TEST_IMAP_")}
    env["FOLLOWUP_DOVECOT_BIN"] = str(ROOT / "no-such-dovecot")
    done = subprocess.run(["bash", "-c", "set -e; source .ci/dovecot.sh; echo started"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1 and "started" not in done.stdout
    assert "could not start Dovecot" in done.stderr


def _pytest(ci: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FOLLOWUP_TEST_IMAP_")}
    env.update(CI=ci, FOLLOWUP_DOVECOT_BIN=str(ROOT / "no-such-dovecot"), PYTEST_ADDOPTS="")
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-n", "0", "-p", "no:cacheprovider", "tests/test_mail_sync.py", "-k", "starttls"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )


def test_without_dovecot_the_tests_skip_locally_and_fail_in_ci() -> None:
    local = _pytest("")
    assert local.returncode == 0 and "1 skipped" in local.stdout, local.stdout
    ci = _pytest("true")
    assert ci.returncode == 1, ci.stdout
    assert "CI starts dovecot, so this is a failure, not a skip" in ci.stdout
