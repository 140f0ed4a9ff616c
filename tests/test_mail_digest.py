"""The morning digest through a real SMTP server (aiosmtpd): once a day, whatever the number of workers."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from email import message_from_bytes
from pathlib import Path

from conftest import EXAMPLE, Inbox
from followup import Engine, load_rulebook, load_state, parse_instant
from followup.mail import build_digest

MONDAY = "2026-11-30T09:30:00+01:00"


def setup(tmp_path: Path, port: int, digest: str = 'time = "07:30"\n') -> tuple[Path, Path]:
    state = tmp_path / "job-search.yaml"
    shutil.copy(EXAMPLE, state)
    config = tmp_path / "config.toml"
    config.write_text(
        f'[channels.email]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n\n[digest]\n{digest}', encoding="utf-8"
    )
    return state, config


def digest(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FOLLOWUP_")}
    return subprocess.run([sys.executable, "-m", "followup", "digest", *args], capture_output=True, text=True, env=env, timeout=120, check=False)


def test_the_digest_goes_out_once_a_day_to_the_candidate(tmp_path: Path, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    state, config = setup(tmp_path, port)
    first = digest("--state", str(state), "--config", str(config), "--now", MONDAY)
    assert first.returncode == 0, first.stderr
    assert "sent digest:2026-11-30 through email" in first.stdout + first.stderr
    again = digest("--state", str(state), "--config", str(config), "--now", "2026-11-30T16:00:00+01:00")
    assert again.returncode == 0 and "already" in again.stdout + again.stderr
    assert len(inbox.envelopes) == 1
    envelope = inbox.envelopes[0]
    assert envelope.rcpt_tos == ["alex.morgan@example.org"]
    mail = message_from_bytes(envelope.content)
    body = mail.get_payload(decode=True).decode("utf-8") if not mail.is_multipart() else mail.get_body().get_content()  # type: ignore[union-attr]
    assert "Overdue:" in body and "Due now:" in body and "Opening this week:" in body
    assert "thank you note to Jonas Weber" in body  # due today
    assert "status call (Northwind Analytics" in body  # opens on Thursday
    assert "Mon 30 Nov" in mail["Subject"]
    # the next day is another digest
    tuesday = digest("--state", str(state), "--config", str(config), "--now", "2026-12-01T08:00:00+01:00")
    assert tuesday.returncode == 0, tuesday.stderr
    assert len(inbox.envelopes) == 2


def test_before_its_time_on_a_day_off_or_with_nothing_to_say_nothing_is_sent(tmp_path: Path, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    state, config = setup(tmp_path, port, 'time = "10:00"\ndays = ["mon", "wed"]\n')
    early = digest("--state", str(state), "--config", str(config), "--now", MONDAY)
    assert early.returncode == 0 and "from 10:00" in early.stdout
    day_off = digest("--state", str(state), "--config", str(config), "--now", "2026-12-01T11:00:00+01:00")
    assert day_off.returncode == 0 and "Tuesday is not a digest day (mon, wed)" in day_off.stdout
    empty = tmp_path / "empty.yaml"
    empty.write_text("version: 1\ncandidate: {name: Alex Doe, email: alex@candidate.example, timezone: Europe/Berlin}\n", encoding="utf-8")
    quiet = digest("--state", str(empty), "--config", str(config), "--now", "2026-12-02T11:00:00+01:00")
    assert quiet.returncode == 0 and "nothing to say" in quiet.stdout
    assert inbox.envelopes == []
    assert not (tmp_path / ".empty.yaml.digests.json").exists()  # nothing claimed: nothing to say is not a digest


def test_four_workers_on_one_store_send_one_digest(tmp_path: Path, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    state, config = setup(tmp_path, port)
    store = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("FOLLOWUP_")}
    assert subprocess.run([sys.executable, "-m", "followup", "import", str(state), "--store", store], env=env, capture_output=True, check=False).returncode == 0
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "followup", "digest", "--store", store, "--config", str(config), "--now", MONDAY],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        for _ in range(4)
    ]
    said = [worker.communicate(timeout=120)[0] for worker in workers]
    assert all(worker.returncode == 0 for worker in workers), said
    assert sum("sent digest:2026-11-30" in text for text in said) == 1
    assert sum("already" in text for text in said) == 3
    assert len(inbox.envelopes) == 1
    outbox = subprocess.run([sys.executable, "-m", "followup", "outbox", "--all", "--store", store, "--format", "json"], env=env, capture_output=True, text=True, check=False)
    assert '"digest:2026-11-30"' in outbox.stdout and '"delivered"' in outbox.stdout


def test_a_failed_delivery_is_tried_again_on_the_next_run(tmp_path: Path, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    state, config = setup(tmp_path, port)
    broken = tmp_path / "broken.toml"
    broken.write_text(config.read_text(encoding="utf-8").replace(f"port = {port}", "port = 1"), encoding="utf-8")
    failed = digest("--state", str(state), "--config", str(broken), "--now", MONDAY)
    assert failed.returncode == 1 and "tries again" in failed.stderr and "Traceback" not in failed.stderr
    done = digest("--state", str(state), "--config", str(config), "--now", MONDAY)
    assert done.returncode == 0, done.stderr
    assert len(inbox.envelopes) == 1


def test_held_back_actions_say_until_when() -> None:
    state = load_state(EXAMPLE)
    now = parse_instant("2026-12-03T10:00:00+01:00")
    agenda = Engine(load_rulebook()).evaluate(state, now)
    held = [a for a in agenda if a.status == "suppressed"]
    made = build_digest(state, agenda, now)
    assert made is not None
    if held:
        assert "Held back:" in made.body and "held back by" in made.body
    assert build_digest(state, [], now) is None


def test_the_digest_can_go_through_the_console_channel(tmp_path: Path, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    state, config = setup(tmp_path, port, 'channel = "console"\n')
    done = digest("--state", str(state), "--config", str(config), "--now", MONDAY)
    assert done.returncode == 0, done.stderr
    assert "followup: 16 to do today" in done.stdout and "through console" in done.stdout + done.stderr
    assert inbox.envelopes == []
