"""CI runs what the README says, and a test that needs a missing service fails there."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

NEEDS_A_SERVICE = '''
import pytest
from followup.testing import service_missing

pytestmark = pytest.mark.service("imaginary-db")


@pytest.fixture
def server():
    service_missing("imaginary-db", "nothing listens on its port")


def test_marked_and_skipped_in_a_fixture(server):
    pass


def test_marked_and_skipped_in_the_test():
    pytest.skip("the imaginary server is not installed")


def test_marked_and_running():
    pass


@pytest.mark.service("imaginary-db")
@pytest.mark.xfail(reason="known to fail", strict=True)
def test_marked_xfail():
    raise AssertionError
'''

UNMARKED = '''
import pytest


def test_optional_library_missing():
    pytest.skip("an optional library is not installed")
'''


def readme_commands() -> list[str]:
    return re.findall(r"```sh\n(.+?)\n```", (ROOT / "README.md").read_text(encoding="utf-8"))


def test_ci_runs_the_readmes_test_command_verbatim() -> None:
    command = readme_commands()[1]
    lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()]
    assert command in lines, f"the README's test command {command!r} is not a line of .ci/run"


def _pytest(tmp_path: Path, source: str, ci: str | None) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_sample.py").write_text(source, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "PYTEST_ADDOPTS", "PYTEST_XDIST_WORKER")}
    if ci is not None:
        env["CI"] = ci
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:xdist", "-q", "-rA", "--junitxml",
         str(tmp_path / "junit.xml"), str(tmp_path / "test_sample.py")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_in_ci_a_missing_service_fails_the_tests_that_need_it(tmp_path: Path) -> None:
    done = _pytest(tmp_path, NEEDS_A_SERVICE, "true")
    assert done.returncode == 1, done.stdout + done.stderr
    # the fixture's call fails the test at setup (an error), the test's own skip becomes a failure
    assert "1 failed, 1 passed, 1 xfailed, 1 error" in done.stdout, done.stdout
    assert "imaginary-db is not available: nothing listens on its port" in done.stdout
    assert "CI=true and the test needs imaginary-db, so its skip is a failure: the imaginary server is not installed" in done.stdout


@pytest.mark.parametrize("ci", [None, "false"])
def test_outside_ci_a_missing_service_skips_saying_why(tmp_path: Path, ci: str | None) -> None:
    done = _pytest(tmp_path, NEEDS_A_SERVICE, ci)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed, 2 skipped, 1 xfailed" in done.stdout, done.stdout
    assert "imaginary-db is not available: nothing listens on its port" in done.stdout


def test_in_ci_other_skips_stay_skips_and_are_listed_at_the_end(tmp_path: Path) -> None:
    done = _pytest(tmp_path, UNMARKED, "true")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 skipped" in done.stdout
    summary = subprocess.run(
        [sys.executable, str(ROOT / ".ci" / "skips.py"), str(tmp_path / "junit.xml")],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert summary.stdout.startswith("skips: 1 — ")
    assert "an optional library is not installed (test_sample::test_optional_library_missing)" in summary.stdout


def test_the_skip_summary_says_none_when_nothing_skipped(tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    junit.write_text('<testsuites><testsuite><testcase classname="a" name="b"/></testsuite></testsuites>')
    done = subprocess.run([sys.executable, str(ROOT / ".ci" / "skips.py"), str(junit)],
                          capture_output=True, text=True, timeout=60, check=True)  # fmt: skip
    assert done.stdout == "skips: none\n"
