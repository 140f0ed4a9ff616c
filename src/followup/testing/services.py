"""Tests that need a service (a database server, an IMAP server, a browser) skip, or fail in CI.

A developer without PostgreSQL installed should still be able to run the suite: the
tests that need it skip, saying why. CI is different: it starts every service its
tests need, so a missing one there means the service did not start, and a skip
would turn "nothing was tested" into a green run. Mark such tests with the service
they need::

    pytestmark = pytest.mark.service("postgresql")

and when the service is missing call :func:`service_missing` (or just
``pytest.skip``) from the test or its fixture. With ``CI`` set to ``true`` (or
``1``, ``yes``) in the environment, the skip of a test marked ``service(...)`` is
reported as a failure naming the service and the reason; elsewhere it stays a
skip. Skips of unmarked tests (an optional library not installed, a channel that
is not idempotent) are left alone.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from typing import Any, NoReturn

import pytest

__all__ = ["in_ci", "service_missing"]

_TRUE = frozenset({"1", "true", "yes", "on"})


def in_ci() -> bool:
    """Whether this run is CI's (``CI`` is ``true``, ``1``, ``yes`` or ``on``)."""
    return os.environ.get("CI", "").strip().lower() in _TRUE


def service_missing(service: str, reason: str) -> NoReturn:
    """Skip the current test because ``service`` is not available, or fail in CI."""
    message = f"{service} is not available: {reason}"
    if in_ci():
        pytest.fail(f"{message} (CI starts {service}, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(message)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "service(name): the test needs a service CI starts (postgresql, dovecot, chromium...); "
        "with CI=true its skip is a failure",
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Generator[None, Any, None]:
    outcome = yield
    report = outcome.get_result()
    marker = item.get_closest_marker("service")
    if marker is None or not report.skipped or not in_ci() or hasattr(report, "wasxfail"):
        return
    service = marker.args[0] if marker.args else "a service"
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
    reason = reason.removeprefix("Skipped: ")
    report.outcome = "failed"
    report.longrepr = f"CI=true and the test needs {service}, so its skip is a failure: {reason}"
