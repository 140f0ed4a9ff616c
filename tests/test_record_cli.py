"""``followup add application|interview|person|reference`` and ``followup log reply|call|note``:
options made from the state schema, written through the journal with the file's
comments and layout kept, or to a store; several writers at once lose nothing."""

from __future__ import annotations

import difflib
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import at, example_copy
from conftest import run_cli as followup
from followup import Contact, State, load_state
from followup.journal import Entry, StateFile, record_contact, record_message

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "job-search.yaml"


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return example_copy(tmp_path, monkeypatch)


def test_add_application_interview_person_and_reference_keep_the_file(state: Path) -> None:
    before = state.read_text(encoding="utf-8")
    assert followup("add", "application", "--state", str(state), "--id", "orbit", "--company", "Orbit Maps",
                    "--position", "GIS Engineer", "--status", "applied", "--priority", "2", "--applied-at", "2026-11-20")[0] == 0
    assert followup("add", "interview", "orbit", "--state", str(state), "--id", "screen",
                    "--starts-at", "2026-11-27 10:00", "--ended-at", "2026-11-27 10:40", "--topics", "maps", "--topics", "tiles")[0] == 0
    assert followup("add", "person", "orbit", "screen", "--state", str(state), "--id", "lee", "--name", "Lee Park",
                    "--title", "CTO", "--email", "lee@orbit.example")[0] == 0
    assert followup("add", "reference", "--state", str(state), "--id", "ref-ada", "--name", "Ada Byrne")[0] == 0
    text = state.read_text(encoding="utf-8")
    changes = [line for line in difflib.ndiff(before.splitlines(), text.splitlines()) if line[:1] in "+-?"]
    assert all(line.startswith("+ ") for line in changes), changes  # lines only added: comments and layout kept
    assert "+     - {id: ref-ada, name: Ada Byrne}" in changes or "+     - id: ref-ada" in changes
    loaded = load_state(state)
    orbit = loaded.application("orbit")
    assert orbit is not None and orbit.priority == 2
    assert orbit.interviews[0].topics == ("maps", "tiles")
    assert orbit.interviews[0].interviewers[0].title == "CTO"
    assert orbit.interviews[0].starts_at.utcoffset().total_seconds() == 3600  # read on the candidate's clock
    assert [r.id for r in loaded.candidate.references][-1] == "ref-ada"


def test_log_reply_call_and_note(state: Path) -> None:
    assert followup("log", "reply", "atlas-insurance", "--state", str(state), "--at", "2026-12-01T11:00:00+01:00",
                    "--to", "helena", "--note", "board meets on the 9th")[0] == 0
    assert followup("log", "call", "bluepeak-platform", "--state", str(state), "--at", "2026-12-01T10:00:00+01:00")[0] == 0
    assert followup("log", "note", "-", "--state", str(state), "--at", "2026-12-01", "--note", "update my CV")[0] == 0
    document = yaml.safe_load(state.read_text(encoding="utf-8"))
    atlas = next(a for a in document["applications"] if a["id"] == "atlas-insurance")
    assert atlas["contacts"][-1] == {"at": "2026-12-01T11:00:00+01:00", "kind": "reply", "direction": "in", "to": "helena", "note": "board meets on the 9th"}
    bluepeak = next(a for a in document["applications"] if a["id"] == "bluepeak-platform")
    assert bluepeak["contacts"][-1]["kind"] == "status_call" and bluepeak["contacts"][-1]["channel"] == "phone"
    assert document["contacts"][-1]["note"] == "update my CV"


def test_refused_input_names_the_option_and_writes_nothing(state: Path) -> None:
    before = state.read_text(encoding="utf-8")
    code, _, err = followup("add", "application", "--state", str(state), "--id", "orbit", "--status", "applied")
    assert code == 1 and "--company" in err and "Traceback" not in err  # position may be left out
    code, _, err = followup("add", "interview", "northwind-data", "--state", str(state), "--id", "onsite", "--starts-at", "2026-12-01T10:00:00+01:00")
    assert code == 1 and "taken" in err
    code, _, err = followup("add", "interview", "northwind-data", "--state", str(state), "--id", "second", "--starts-at", "2026-13-01")
    assert code == 1 and "2026-13-01" in err
    code, _, err = followup("log", "reply", "nowhere", "--state", str(state))
    assert code == 1 and "nowhere" in err
    code, _, err = followup("add", "application", "--state", str(state), "--id", "x", "--company", "X", "--position", "P", "--status", "maybe")
    assert code == 2 and "maybe" in err
    assert state.read_text(encoding="utf-8") == before


def test_add_and_log_to_a_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FOLLOWUP_STATE", raising=False)
    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    assert followup("init", "--store", url)[0] == 0
    assert followup("import", str(EXAMPLE), "--store", url)[0] == 0
    assert followup("add", "application", "--store", url, "--id", "orbit", "--company", "Orbit Maps", "--position", "GIS", "--status", "applied")[0] == 0
    assert followup("add", "interview", "orbit", "--store", url, "--id", "screen", "--starts-at", "2026-11-27T10:00:00+01:00", "--ended-at", "2026-11-27T11:00:00+01:00")[0] == 0
    assert followup("add", "person", "orbit", "screen", "--store", url, "--id", "lee", "--name", "Lee Park", "--email", "lee@orbit.example")[0] == 0
    assert followup("log", "reply", "orbit", "--store", url, "--at", "2026-11-28T09:00:00+01:00", "--note", "thanks")[0] == 0
    from followup.stores import open_store

    store = open_store(url)
    try:
        loaded = store.load_state()
    finally:
        store.close()
    orbit = loaded.application("orbit")
    assert orbit is not None and orbit.interviews[0].interviewers[0].name == "Lee Park"
    assert orbit.contacts[-1].direction == "in" and orbit.contacts[-1].note == "thanks"
    assert loaded.application("northwind-data") is not None  # nothing else lost


WRITERS = 6
EACH = 4


def test_several_writers_at_once_lose_no_entry(state: Path) -> None:
    """Six processes log four replies each into one file at the same time: all 24 are there."""
    script = (
        "import sys\n"
        "from followup.cli import main\n"
        "from followup.journal import StateFile\n"
        "StateFile.lock_timeout = 600  # on a loaded machine a writer may wait long; this test is about losing nothing\n"
        "w = sys.argv[1]\n"
        "for i in range(EACH):\n"
        "    try:\n"
        "        main(['log', 'note', 'northwind-data', '--state', sys.argv[2], '--at', f'2026-12-01T10:{i:02d}:00+01:00', '--note', f'writer {w} entry {i}'])\n"
        "    except SystemExit as exc:\n"
        "        if exc.code: raise\n"
        "    try:\n"
        "        main(['add', 'reference', '--state', sys.argv[2], '--id', f'ref-{w}-{i}', '--name', f'Ref {w} {i}'])\n"
        "    except SystemExit as exc:\n"
        "        if exc.code: raise\n"
    ).replace("EACH", str(EACH))
    env = {k: v for k, v in os.environ.items() if not k.startswith("FOLLOWUP_")}
    writers = [subprocess.Popen([sys.executable, "-c", script, str(w), str(state)], env=env, stderr=subprocess.PIPE, text=True) for w in range(WRITERS)]
    for writer in writers:
        _, err = writer.communicate(timeout=600)
        assert writer.returncode == 0, err
    loaded = load_state(state)
    northwind = loaded.application("northwind-data")
    assert northwind is not None
    notes = {c.note for c in northwind.contacts if c.kind == "note"}
    assert notes == {f"writer {w} entry {i}" for w in range(WRITERS) for i in range(EACH)}
    references = {r.id for r in loaded.candidate.references}
    assert {f"ref-{w}-{i}" for w in range(WRITERS) for i in range(EACH)} <= references


class _Crowded(StateFile):
    """A state file another writer logs a note into right after each of our reads."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.others = 0

    def _after_read(self) -> None:
        self.others += 1
        StateFile(self.path).append(Entry("northwind-data", Contact(at=at(f"2026-12-01T11:{self.others:02d}:00+01:00"), kind="note", note=f"other {self.others}")))

    def load(self) -> State:
        state = super().load()
        self._after_read()
        return state

    def document(self) -> dict[str, Any]:
        document = super().document()
        self._after_read()
        return document


def test_an_entry_written_between_two_reads_is_not_taken_for_ours(state: Path) -> None:
    """What a log command adds is worked out from one read: another writer's note, written
    between that read and our write, neither refuses ours nor is written twice."""
    journal = _Crowded(state)
    record_contact(journal, "northwind-data", {"at": "2026-12-01T10:00:00+01:00", "kind": "note", "note": "ours"})
    message = {"at": "2026-12-01T10:05:00+01:00", "kind": "reply", "note": "theirs", "message_id": "<m1@example>"}
    assert record_message(journal, "northwind-data", [message]) is not None
    northwind = load_state(state).application("northwind-data")
    assert northwind is not None
    notes = [c.note for c in northwind.contacts if c.note in {"ours", "theirs"} or (c.note or "").startswith("other ")]
    assert sorted(notes) == sorted(["ours", "theirs", *(f"other {n}" for n in range(1, journal.others + 1))])
