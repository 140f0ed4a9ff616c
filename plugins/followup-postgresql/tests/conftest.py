"""A PostgreSQL server for the tests: $FOLLOWUP_TEST_POSTGRES_URL, else one started with .ci/postgres.sh.

Each test gets its own schema (dropped afterwards) through the URL's ``options``,
so tests never see each other's tables (and pytest-xdist workers never see each
other's). When no server is given and none can be started the tests are skipped,
saying why; with ``CI=true`` they fail instead (``followup.testing.service_missing``),
since CI starts a server and a skip there would hide that it did not.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from followup.testing import service_missing

SCRIPT = Path(__file__).resolve().parents[3] / ".ci" / "postgres.sh"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    url = os.environ.get("FOLLOWUP_TEST_POSTGRES_URL", "").strip()
    if url:
        yield url
        return
    if not SCRIPT.exists():
        service_missing("PostgreSQL", f"FOLLOWUP_TEST_POSTGRES_URL is unset and {SCRIPT.name} is missing, so no server can be started")
    done = subprocess.run(
        ["bash", "-c", f'source "{SCRIPT}" >/dev/null && echo "$FOLLOWUP_TEST_POSTGRES_URL" && echo "$FOLLOWUP_TEST_POSTGRES_DATA"'],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    lines = done.stdout.split()
    if done.returncode != 0 or len(lines) < 2:
        service_missing(
            "PostgreSQL",
            "FOLLOWUP_TEST_POSTGRES_URL is unset and no server could be started with .ci/postgres.sh: "
            + " ".join(done.stderr.strip().splitlines()[-2:] or ["no output"]),
        )
    url, data = lines[0], lines[1]
    try:
        yield url
    finally:
        owner = Path(data).stat().st_uid
        pg_ctl = next(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), None)
        if pg_ctl is not None:
            command = [str(pg_ctl), "-D", data, "-m", "fast", "stop"]
            if os.getuid() == 0 and owner != 0:
                import pwd

                command = ["su", "-s", "/bin/sh", pwd.getpwuid(owner).pw_name, "-c", " ".join(command)]
            subprocess.run(command, capture_output=True, check=False, timeout=120)
        import shutil

        shutil.rmtree(Path(data).parent, ignore_errors=True)


@pytest.fixture
def schema_url(postgres_url: str) -> Iterator[str]:
    """A store URL whose tables live in a fresh schema of their own."""
    import psycopg

    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {name}")
    separator = "&" if "?" in postgres_url else "?"
    yield f"{postgres_url}{separator}options={quote(f'-csearch_path={name}')}"
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute(f"DROP SCHEMA {name} CASCADE")
