"""The outbox channel: standards-conforming .eml files, printable letters, idempotent by key."""

from __future__ import annotations

import email
import email.policy
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from followup import Engine, State, load_rulebook, load_state, parse_instant
from followup.delivery import Config, DeliveryError, Party
from followup.delivery.channels import CHANNELS, build_channel
from followup.delivery.messages import build_context, render_message

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "job-search.yaml"
NOW = parse_instant("2026-11-30T09:30:00+01:00")
OUTBOX = next(spec for spec in CHANNELS if spec.name == "outbox")


@pytest.fixture(scope="module")
def example() -> tuple[State, Any]:
    state = load_state(EXAMPLE)
    return state, Engine(load_rulebook()).evaluate(state, NOW)


def message_for(example: tuple[State, Any], key: str) -> Any:
    state, agenda = example
    return render_message(
        build_context(state, agenda.get(key), {"sender": {"postal_address": "Torstraße 1\n10119 Berlin"}}, now=NOW)
    )


def outbox(folder: Path) -> Any:
    return build_channel(OUTBOX, Config(None, {"channels": {"outbox": {"folder": str(folder)}}}))


def test_a_postal_medium_application_produces_a_printable_letter(tmp_path: Path, example: tuple[State, Any]) -> None:
    message = message_for(example, "thank-you-note:harbor-logistics:panel:greta")
    assert message.medium == "postal"
    receipt = outbox(tmp_path).deliver(message)
    (letter,) = tmp_path.iterdir()
    assert receipt.reference == str(letter)
    assert letter.suffix == ".html"
    page = letter.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "@page" in page and "size: A4" in page and "@media print" in page
    assert "Greta Schulz" in page and "Director of Operations" in page
    assert "Kaiserkai 12" in page and "20457 Hamburg" in page  # the recipient's address block
    assert "Torstraße 1" in page  # the sender's, from the configuration
    assert "30 November 2026" in page
    for paragraph in message.body.split("\n\n"):
        assert paragraph.strip().splitlines()[0] in page


def test_an_email_becomes_an_eml_file_that_parses_as_valid_email(tmp_path: Path, example: tuple[State, Any]) -> None:
    message = message_for(example, "thank-you-note:northwind-data:onsite:jonas")
    outbox(tmp_path).deliver(message)
    (file,) = tmp_path.iterdir()
    assert file.suffix == ".eml"
    mail = email.message_from_bytes(file.read_bytes(), policy=email.policy.default)
    assert not mail.defects
    assert mail["To"].addresses[0].addr_spec == "jonas.weber@northwind.example"
    assert mail["To"].addresses[0].display_name == "Jonas Weber"
    assert mail["Subject"].strip() == message.subject
    assert mail["Message-ID"] == f"<{message.idempotency_key}@example.org>"
    assert mail["MIME-Version"] == "1.0"
    assert mail.get_content().replace("\r\n", "\n") == message.body


def test_delivering_twice_leaves_one_file(tmp_path: Path, example: tuple[State, Any]) -> None:
    channel = outbox(tmp_path)
    message = message_for(example, "thank-you-note:harbor-logistics:panel:lars")
    first = channel.deliver(message)
    before = Path(first.reference).read_bytes()
    second = channel.deliver(message)
    assert first.reference == second.reference
    assert [p.name for p in tmp_path.iterdir()] == [Path(first.reference).name]
    assert Path(second.reference).read_bytes() == before
    assert OUTBOX.idempotent is True


def test_reminders_become_text_files(tmp_path: Path, example: tuple[State, Any]) -> None:
    message = message_for(example, "collect-interviewer-details:harbor-logistics:panel:lars")
    receipt = outbox(tmp_path).deliver(message)
    text = Path(receipt.reference).read_text(encoding="utf-8")
    assert text.startswith(message.subject + "\n\n")


def test_an_email_without_an_address_or_an_unwritable_folder_is_a_permanent_failure(
    tmp_path: Path, example: tuple[State, Any]
) -> None:
    import dataclasses

    message = message_for(example, "thank-you-note:northwind-data:onsite:jonas")
    with pytest.raises(DeliveryError, match="no email address") as caught:
        outbox(tmp_path).deliver(dataclasses.replace(message, recipient=Party(name="Jonas Weber")))
    assert not caught.value.transient
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(DeliveryError, match="cannot write") as caught:
        outbox(blocker / "outbox").deliver(message)
    assert not caught.value.transient


def test_a_relative_folder_is_read_from_the_configuration_files_folder(tmp_path: Path) -> None:
    config_file = tmp_path / "config.toml"
    config_file.write_text('[channels.outbox]\nfolder = "letters"\n')
    from followup.delivery import load_config

    channel = build_channel(OUTBOX, load_config(config_file))
    assert channel.folder == tmp_path / "letters"


def test_files_are_named_after_recipient_kind_and_day(tmp_path: Path, example: tuple[State, Any]) -> None:
    message = message_for(example, "thank-you-note:northwind-data:onsite:jonas")
    path = Path(outbox(tmp_path).deliver(message).reference or "")
    assert path.name == f"jonas-weber-thank-you-note-2026-11-30-{message.idempotency_key[:10]}.eml"
    reminder = message_for(example, "collect-interviewer-details:harbor-logistics:panel:lars")
    assert Path(outbox(tmp_path).deliver(reminder).reference or "").name.startswith(
        "lars-petersen-collect-interviewer-details-2026-11-30-"
    )


def test_a_file_name_is_safe_and_unique_whatever_the_names_hold(tmp_path: Path, example: tuple[State, Any]) -> None:
    import dataclasses

    message = message_for(example, "thank-you-note:harbor-logistics:panel:greta")
    hostile = dataclasses.replace(message, recipient=dataclasses.replace(message.recipient, name="../../x\x00/..\\CON\n" + "é" * 300))
    path = Path(outbox(tmp_path / "out").deliver(hostile).reference or "")
    assert path.parent == tmp_path / "out"
    assert re.fullmatch(r"[a-z0-9-]+\.html", path.name) and len(path.name) < 120
    # another action for the same person, kind and day gets a file of its own
    other = dataclasses.replace(hostile, key="thank-you-note:harbor-logistics:second-panel:greta")
    assert other.idempotency_key != hostile.idempotency_key
    assert Path(outbox(tmp_path / "out").deliver(other).reference or "") != path
    assert len(list((tmp_path / "out").iterdir())) == 2


def test_a_renamed_recipient_keeps_the_actions_file(tmp_path: Path, example: tuple[State, Any]) -> None:
    import dataclasses

    channel = outbox(tmp_path)
    message = message_for(example, "thank-you-note:harbor-logistics:panel:lars")
    first = channel.deliver(message)
    renamed = dataclasses.replace(message, recipient=dataclasses.replace(message.recipient, name="Lars P. Petersen"))
    assert channel.deliver(renamed).reference == first.reference
    assert len(list(tmp_path.iterdir())) == 1


def test_the_date_header_is_when_the_file_was_written_on_the_candidates_clock(
    tmp_path: Path, example: tuple[State, Any]
) -> None:
    import dataclasses
    import datetime as dt
    import email.utils

    message = message_for(example, "thank-you-note:northwind-data:onsite:jonas")
    written = parse_instant("2026-11-30T08:14:05Z")
    channel = dataclasses.replace(outbox(tmp_path), clock=lambda: written)
    mail = email.message_from_bytes(Path(channel.deliver(message).reference or "").read_bytes(), policy=email.policy.default)
    assert mail["Date"] == "Mon, 30 Nov 2026 09:14:05 +0100"  # Berlin, not UTC; and not the due time (17:30)
    assert message.action.due_at != written
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    mail = email.message_from_bytes(Path(outbox(tmp_path).deliver(message).reference or "").read_bytes(), policy=email.policy.default)
    after = dt.datetime.now(dt.UTC)
    stamped = email.utils.parsedate_to_datetime(mail["Date"])
    assert before <= stamped <= after  # the system clock by default


@given(st.text(max_size=400), st.integers(min_value=1, max_value=80))
def test_a_safe_name_is_always_a_plain_file_name_part(text: str, longest: int) -> None:
    from followup._private import safe_name

    name = safe_name(text, longest)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name)
    assert 1 <= len(name) <= longest
