"""The maildir channel: followup's channel conformance suite, the files it writes, and the whole command-line path."""

from __future__ import annotations

import dataclasses
import email
import email.policy
import json
import mailbox
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import followup_maildir
import pytest
from followup_maildir import MaildirChannel, build

from followup import DeliveryError
from followup.testing import SAMPLE_STATE, ChannelConformance, sample_message


class TestMaildirConformance(ChannelConformance):
    plugin = followup_maildir
    channel_name = "maildir"
    entry_point = "maildir"

    def settings(self, tmp_path: Path) -> Mapping[str, Any]:
        return {"path": str(tmp_path / "Mail")}

    def delivered(self, tmp_path: Path, settings: Mapping[str, Any]) -> list[str] | None:
        folder = Path(settings["path"])
        return [p.read_text() for sub in ("new", "cur") if (folder / sub).is_dir() for p in (folder / sub).iterdir()]

    def failing_settings(self, tmp_path: Path) -> Mapping[str, Any] | None:
        blocker = tmp_path / "not-a-folder"
        blocker.write_text("a file where the Maildir should be")
        return {"path": str(blocker / "Mail")}


def test_a_mail_client_reads_what_it_files(tmp_path: Path) -> None:
    message = sample_message("email")
    receipt = MaildirChannel(tmp_path / "Mail").deliver(message)
    box = mailbox.Maildir(tmp_path / "Mail", create=False)
    [key] = box.keys()
    assert key == receipt.reference == message.idempotency_key
    parsed = email.message_from_bytes(box.get_bytes(key), policy=email.policy.default)
    assert parsed["Subject"] == message.subject
    assert parsed["To"] == "Sam Roe <sam@acme.example>"
    assert parsed["From"].addresses[0].addr_spec == message.sender.email
    assert parsed.get_content().strip() == message.body.strip()


def test_a_message_already_read_is_not_filed_again(tmp_path: Path) -> None:
    channel, message = MaildirChannel(tmp_path / "Mail"), sample_message("email")
    channel.deliver(message)
    box = mailbox.Maildir(tmp_path / "Mail", create=False)
    [key] = box.keys()
    read = box.get_message(key)
    read.set_subdir("cur")
    read.add_flag("S")
    box[key] = read  # the mail client moved it to cur/ and marked it seen
    again = channel.deliver(message)
    assert again.detail.startswith("already in")
    assert len(list((tmp_path / "Mail" / "new").iterdir())) == 0 and len(box) == 1


def test_a_reminder_is_addressed_to_the_candidate(tmp_path: Path) -> None:
    message = sample_message("reminder")
    MaildirChannel(tmp_path / "Mail").deliver(message)
    [path] = (tmp_path / "Mail" / "new").iterdir()
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert parsed["To"].addresses[0].addr_spec == message.sender.email


def test_a_line_break_in_the_subject_stays_in_one_header(tmp_path: Path) -> None:
    message = dataclasses.replace(sample_message("email"), subject="Thanks\nBcc: everyone@example.org")
    MaildirChannel(tmp_path / "Mail").deliver(message)
    [path] = (tmp_path / "Mail" / "new").iterdir()
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert parsed["Bcc"] is None and parsed["Subject"] == "Thanks Bcc: everyone@example.org"


def test_an_unwritable_folder_is_a_permanent_failure(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(DeliveryError, match="cannot file the message in the Maildir") as caught:
        build({"path": str(tmp_path / "file" / "Mail")}).deliver(sample_message())
    assert caught.value.transient is False


def test_home_folder_is_expanded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert build({"path": "~/Mail"}).path == tmp_path / "Mail"


def test_installed_it_is_listed_and_a_rule_channel_uses_it_from_the_command_line(tmp_path: Path) -> None:
    """What a user does: install, see it in `followup plugins`, name it in a rule, run."""
    env = {**os.environ, "FOLLOWUP_CONFIG": str(tmp_path / "config.toml")}
    env.pop("FOLLOWUP_STORE", None)
    followup = [sys.executable, "-m", "followup"]

    listed = subprocess.run([*followup, "plugins", "--format", "json"], capture_output=True, text=True, env=env, check=True)
    [entry] = [p for p in json.loads(listed.stdout)["plugins"] if p["name"] == "maildir"]
    assert entry["distribution"] == "followup-example-maildir" and entry["registers"] == {"channels": ["maildir"]}

    (tmp_path / "config.toml").write_text(f'[channels.maildir]\npath = "{(tmp_path / "Mail").as_posix()}"\n')
    (tmp_path / "rules.yaml").write_text("extends: default\nrules:\n  - id: thank-you-note\n    channel: maildir\n")
    (tmp_path / "state.json").write_text(json.dumps(SAMPLE_STATE))
    store = f"sqlite:///{(tmp_path / 'followup.db').as_posix()}"
    subprocess.run([*followup, "import", str(tmp_path / "state.json"), "--store", store], env=env, check=True, capture_output=True)
    run = [*followup, "run", "--once", "--store", store, "--rules", str(tmp_path / "rules.yaml"), "--now", "2026-11-27T10:00:00+00:00"]
    done = subprocess.run(run, capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    [path] = (tmp_path / "Mail" / "new").iterdir()
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert parsed["To"] == "Sam Roe <sam@acme.example>"
    # the other due actions went to the console, the default channel
    assert "alert-references:acme::ref-a" in done.stdout
    # a second run sends nothing again
    again = subprocess.run(run, capture_output=True, text=True, env=env, check=True)
    assert len(list((tmp_path / "Mail" / "new").iterdir())) == 1 and "ref-a" not in again.stdout
