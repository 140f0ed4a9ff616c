"""`followup mail sync` when things go wrong: one line, exit 1, nothing logged; bad messages skipped and counted; SIGKILL."""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from conftest import Dovecot
from followup import load_state
from test_mail_sync import BERLIN, deliver_scenario, log_of, message, run, write_setup

pytestmark = pytest.mark.service("dovecot")


@pytest.fixture
def user() -> str:
    return f"alex-{uuid.uuid4().hex[:10]}"


def assert_refused(done: subprocess.CompletedProcess[str], *words: str) -> None:
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    for word in words:
        assert word in lines[0], lines[0]


def test_a_wrong_password_is_one_line_and_logs_nothing(tmp_path: Path, dovecot: Dovecot, user: str) -> None:
    deliver_scenario(dovecot, user)
    state, config = write_setup(tmp_path, dovecot, user)
    text = state.read_text(encoding="utf-8")
    done = run("mail", "sync", "--state", str(state), "--config", str(config), password="not-the-password")
    assert_refused(done, "refused the login", user, "FOLLOWUP_TEST_MAIL_PASSWORD", "app password")
    assert "not-the-password" not in done.stderr
    assert state.read_text(encoding="utf-8") == text


def test_a_missing_password_variable_is_named(tmp_path: Path, dovecot: Dovecot, user: str) -> None:
    state, config = write_setup(tmp_path, dovecot, user)
    assert_refused(run("mail", "sync", "--state", str(state), "--config", str(config)), "FOLLOWUP_TEST_MAIL_PASSWORD", "not set")


def test_an_unreachable_server_is_one_line(tmp_path: Path, dovecot: Dovecot, user: str) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    state, config = write_setup(tmp_path, dovecot, user, port=port)
    text = state.read_text(encoding="utf-8")
    assert_refused(run("mail", "sync", "--state", str(state), "--config", str(config), password=dovecot.password), "cannot reach", f"127.0.0.1:{port}")
    assert state.read_text(encoding="utf-8") == text


def test_a_certificate_that_does_not_verify_is_refused(tmp_path: Path, dovecot: Dovecot, user: str) -> None:
    deliver_scenario(dovecot, user)
    other = tmp_path / "other-ca.pem"  # a self-signed certificate that is not the server's
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
         "-keyout", str(tmp_path / "other-key.pem"), "-out", str(other)],
        capture_output=True, check=True, timeout=60,
    )
    state, config = write_setup(tmp_path, dovecot, user, ca=str(other))
    text = state.read_text(encoding="utf-8")
    done = run("mail", "sync", "--state", str(state), "--config", str(config), password=dovecot.password)
    assert_refused(done, "certificate does not verify", "ca_file")
    assert state.read_text(encoding="utf-8") == text
    starttls = write_setup(tmp_path, dovecot, user, port=dovecot.starttls_port, security="starttls", ca=str(other))
    assert_refused(run("mail", "sync", "--state", str(starttls[0]), "--config", str(starttls[1]), password=dovecot.password), "certificate does not verify")


def test_a_missing_mailbox_is_named_and_nothing_is_logged(tmp_path: Path, dovecot: Dovecot, user: str) -> None:
    deliver_scenario(dovecot, user)
    state, config = write_setup(tmp_path, dovecot, user, extra='sent = "Sent Items"\n')
    text = state.read_text(encoding="utf-8")
    done = run("mail", "sync", "--state", str(state), "--config", str(config), password=dovecot.password)
    assert_refused(done, "'Sent Items' does not exist", "INBOX", "Sent")
    assert state.read_text(encoding="utf-8") == text  # the inbox was not logged either


def test_malformed_headers_and_undecodable_bodies_are_skipped_and_counted(tmp_path: Path, dovecot: Dovecot, user: str) -> None:
    good, good_id = message("maria@bluepeak.example", "alex@candidate.example", "Re: hello", "Thanks!", dt.datetime(2026, 11, 23, 9, 0, tzinfo=BERLIN))
    dovecot.deliver(user, "INBOX", good)
    dovecot.deliver(user, "INBOX", b"From: maria@bluepeak.example\r\nSubject: no date, no id\r\n\r\nhello\r\n")
    dovecot.deliver(
        user, "INBOX",
        b"From: a@bluepeak.example, b@bluepeak.example\r\nDate: Mon, 23 Nov 2026 10:00:00 +0100\r\nMessage-ID: <two@x>\r\n\r\nhi\r\n",
    )
    dovecot.deliver(
        user, "INBOX",
        b"From: Priya <priya@northwind.example>\r\nDate: Mon, 23 Nov 2026 10:00:00 +0100\r\nMessage-ID: <charset@x>\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=x-no-such-charset\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        b"//79/Pv6+fj39vX08/Lx8A==\r\n",
    )
    dovecot.deliver(
        user, "INBOX",
        b"From: =?x-bogus?q?Jonas?= <jonas@bluepeak.example>\r\nSubject: =?x-bogus?b?////?=\r\nDate: Mon, 23 Nov 2026 11:00:00 +0100\r\n"
        b"Message-ID: <subject@x>\r\n\r\nThanks\r\n",
    )
    state, config = write_setup(tmp_path, dovecot, user)
    done = run("mail", "sync", "--state", str(state), "--config", str(config), password=dovecot.password)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "5 message(s) read: logged 1, 0 logged before, 0 not about an application, 4 skipped" in done.stdout
    assert "malformed headers: no Message-ID" in done.stderr
    assert "a From header with 2 addresses" in done.stderr
    assert "an undecodable body" in done.stderr
    assert "an undecodable header" in done.stderr
    logged = [c.message_id for contacts in log_of(state).values() for c in contacts if c.message_id]
    assert logged == [good_id]


def test_a_sync_killed_half_way_logs_whole_messages_and_resumes_without_duplicates(tmp_path: Path, dovecot: Dovecot, user: str) -> None:
    sent: list[str] = []
    total = 30
    for number in range(total):
        # a note to both interviewers is two contacts of one message: both or neither
        raw, message_id = message(
            "Alex Doe <alex@candidate.example>", "maria@bluepeak.example, jonas@bluepeak.example", f"Note {number}",
            "Thank you both.", dt.datetime(2026, 11, 20, 16, 0, tzinfo=BERLIN) + dt.timedelta(minutes=number),
        )
        dovecot.deliver(user, "Sent", raw)
        sent.append(message_id)
    state, config = write_setup(tmp_path, dovecot, user)
    env = {k: v for k, v in os.environ.items() if not k.startswith("FOLLOWUP_")}
    env["FOLLOWUP_TEST_MAIL_PASSWORD"] = dovecot.password
    process = subprocess.Popen(
        [sys.executable, "-m", "followup", "mail", "sync", "--state", str(state), "--config", str(config)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while state.read_text(encoding="utf-8").count("message_id") < 6 and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)  # waiting for the condition: three messages (six contacts) written
        assert process.poll() is None, "the sync finished before it could be killed"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL

    def logged() -> dict[str, list[str | None]]:
        application = load_state(state).application("bluepeak")
        assert application is not None
        found: dict[str, list[str | None]] = {}
        for contact in application.contacts:
            if contact.message_id:
                found.setdefault(contact.message_id, []).append(contact.to)
        return found

    halfway = logged()  # the file still loads: it was replaced whole or not at all
    assert 3 <= len(halfway) < total
    assert all(sorted(people, key=str) == ["jonas", "maria"] for people in halfway.values())  # whole messages only

    done = run("mail", "sync", "--state", str(state), "--config", str(config), password=dovecot.password)
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "positions.json").exists() or "logged" in done.stdout
    final = logged()
    assert sorted(final) == sorted(sent)
    assert all(sorted(people, key=str) == ["jonas", "maria"] for people in final.values())  # no duplicates
    again = run("mail", "sync", "--rescan", "--state", str(state), "--config", str(config), password=dovecot.password)
    assert f"logged 0, {total} logged before" in again.stdout
    assert logged() == final


def test_two_syncs_at_once_log_each_message_once(tmp_path: Path, dovecot: Dovecot, user: str) -> None:
    ids = deliver_scenario(dovecot, user)
    state, config = write_setup(tmp_path, dovecot, user)
    env = {k: v for k, v in os.environ.items() if not k.startswith("FOLLOWUP_")}
    env["FOLLOWUP_TEST_MAIL_PASSWORD"] = dovecot.password
    command = [sys.executable, "-m", "followup", "mail", "sync", "--rescan", "--state", str(state), "--config", str(config)]
    workers = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outputs = [worker.communicate(timeout=120) for worker in workers]
    assert all(worker.returncode == 0 for worker in workers), outputs
    logged = [c.message_id for contacts in log_of(state).values() for c in contacts if c.message_id]
    assert sorted(logged) == sorted(ids[n] for n in ("decision", "courtesy", "rejection", "thank-you"))
    counts = [re.search(r"message\(s\) read: logged (\d+)", out) for out, _ in outputs]
    assert sum(int(found.group(1)) for found in counts if found) == 4  # the three runs share the four


def test_configuration_mistakes_are_one_line(tmp_path: Path, dovecot: Dovecot, user: str) -> None:
    state, config = write_setup(tmp_path, dovecot, user)
    config.write_text(config.read_text(encoding="utf-8") + 'password = "hunter2"\n', encoding="utf-8")
    done = run("mail", "sync", "--state", str(state), "--config", str(config), password=dovecot.password)
    assert done.returncode == 1 and "mail.password: secrets do not belong in the configuration file" in done.stderr
    assert "hunter2" not in done.stderr and "Traceback" not in done.stderr
    empty = tmp_path / "empty.toml"
    empty.write_text("", encoding="utf-8")
    assert_refused(run("mail", "sync", "--state", str(state), "--config", str(empty)), "has no [mail] section")


def test_a_confirmation_that_is_not_valid_writes_nothing(tmp_path: Path, dovecot: Dovecot, user: str) -> None:
    deliver_scenario(dovecot, user)
    state, config = write_setup(tmp_path, dovecot, user)
    assert run("mail", "sync", "--state", str(state), "--config", str(config), password=dovecot.password).returncode == 0
    before = state.read_text(encoding="utf-8")
    bad_date = run("log", "confirm", "northwind", "--decision-expected-by", "soon", "--state", str(state))
    assert bad_date.returncode == 1 and "soon" in bad_date.stderr and "Traceback" not in bad_date.stderr
    both = run("log", "confirm", "northwind", "--acknowledgement", "--outcome", "rejected", "--state", str(state))
    assert both.returncode == 1 and "--acknowledgement" in both.stderr
    several = run("log", "confirm", "bluepeak", "--state", str(state))  # two replies wait there
    assert several.returncode == 1 and "several replies wait" in several.stderr
    unknown = run("log", "confirm", "bluepeak", "<nope@x>", "--state", str(state))
    assert unknown.returncode == 1 and "no proposed reply '<nope@x>' waits" in unknown.stderr
    assert state.read_text(encoding="utf-8") == before
