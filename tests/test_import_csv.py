"""``followup import FILE.csv``: a tracker's export (Huntr) or a generic spreadsheet becomes
applications, written through the state file's locked writer or to a store; a refused
row names its line, column and value and nothing is written; importing twice adds
nothing the second time."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import example_copy
from conftest import run_cli as followup
from followup import InvalidInput, load_state, parse_instant

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "job-search.yaml"

#: the columns of Huntr's job export, two boards' worth of cards
HUNTR = """\
id,createdAt,title,salary,location,url,rootDomain,htmlDescription,deadline,color,lastMovedAt,boardId,boardName,listId,listName,companyId,companyName,companyDomain,creatorUserId,creatorUserFirstName,creatorUserLastName,creatorUserEmail
6a1f0c,2026-11-12 19:17:05,"Engineer, Data Platform",-,-,-,-,-,-,-,-,b1,Search,l1,Applied,c1,Orbit Maps,orbit.example,u1,Alex,Candidate,alex@example.org
6a1f0d,2026-11-14 08:00:00,Analytics Engineer,-,Berlin,-,-,-,-,-,2026-11-20 10:00:00,b1,Search,l2,Interview,c2,Kestrel Bank,kestrel.example,u1,Alex,Candidate,alex@example.org
6a1f0e,2026-11-15 08:00:00,Staff Engineer,-,-,-,-,-,-,-,-,b1,Search,l3,Wishlist,c3,Faraway Ltd,faraway.example,u1,Alex,Candidate,alex@example.org
6a1f0f,2026-11-02 09:30:00,Data Engineer,-,-,-,-,-,-,-,2026-11-25 12:00:00,b1,Search,l4,Rejected,c4,Juniper Labs,juniper.example,u1,Alex,Candidate,alex@example.org
"""

GENERIC = """\
Company,Position,Status,Date Applied,Priority,Contact,Contact Email,Notes
Orbit Maps,GIS Engineer,applied,2026-11-20,2,Lee Park,lee@orbit.example,Met Lee at a meetup
Kestrel Bank,Data Analyst,interviewing,2026-11-18T14:05:00+01:00,,,,
"""


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return example_copy(tmp_path, monkeypatch)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_huntr_export_adds_its_applications_once(state: Path, tmp_path: Path) -> None:
    export = write(tmp_path, "huntr.csv", HUNTR)
    before = state.read_text(encoding="utf-8")
    code, out, err = followup("import", str(export), "--preset", "huntr", "--state", str(state))
    assert code == 0, err
    assert "added 3 applications, 1 skipped" in out
    assert "row 3: skipped ('Wishlist': not applied yet)" in out
    text = state.read_text(encoding="utf-8")
    assert text.startswith(before.rstrip("\n").rsplit("\n", 1)[0])  # the file's own text is kept, then the new ones
    loaded = load_state(state)
    orbit = loaded.application("orbit-maps-engineer-data-platform")
    assert orbit is not None and orbit.status == "applied" and orbit.position == "Engineer, Data Platform"
    assert orbit.applied_at is not None and orbit.applied_at.date().isoformat() == "2026-11-12"
    kestrel = loaded.application("kestrel-bank-analytics-engineer")
    assert kestrel is not None and kestrel.status == "interviewing"
    juniper = loaded.application("juniper-labs-data-engineer")
    assert juniper is not None and juniper.status == "rejected"
    assert loaded.application("faraway-ltd-staff-engineer") is None
    count = len(loaded.applications)

    code, out, err = followup("import", str(export), "--preset", "huntr", "--state", str(state))
    assert code == 0, err
    assert "added 0 applications, 3 already there, 1 skipped" in out
    assert state.read_text(encoding="utf-8") == text  # a second import writes nothing
    assert len(load_state(state).applications) == count


def test_a_generic_spreadsheet_with_a_dry_run_first(state: Path, tmp_path: Path) -> None:
    sheet = write(tmp_path, "apps.csv", GENERIC)
    before = state.read_text(encoding="utf-8")
    code, out, err = followup("import", str(sheet), "--state", str(state), "--dry-run")
    assert code == 0, err
    assert "row 1: would add orbit-maps-gis-engineer (Orbit Maps, GIS Engineer, applied, 2026-11-20)" in out
    assert "nothing was written (dry run)" in out
    assert state.read_text(encoding="utf-8") == before
    code, out, err = followup("import", str(sheet), "--state", str(state))
    assert code == 0, err
    loaded = load_state(state)
    orbit = loaded.application("orbit-maps-gis-engineer")
    assert orbit is not None and orbit.priority == 2
    assert orbit.recruiter is not None and orbit.recruiter.name == "Lee Park" and orbit.recruiter.email == "lee@orbit.example"
    (note,) = [c for c in orbit.contacts if c.kind == "note"]
    assert note.note == "Met Lee at a meetup"
    kestrel = loaded.application("kestrel-bank-data-analyst")
    assert kestrel is not None and kestrel.applied_at is not None
    assert kestrel.applied_at.isoformat() == "2026-11-18T14:05:00+01:00"


def test_an_application_added_by_hand_is_not_imported_again(state: Path, tmp_path: Path) -> None:
    """Same company and position as one already in the state (whatever its id): left alone."""
    sheet = write(tmp_path, "apps.csv", "company,position,status\nLumen Health,Data Platform Engineer,applied\n")
    code, out, _ = followup("import", str(sheet), "--state", str(state))
    assert code == 0
    assert "row 1: already there as lumen-health" in out


def test_columns_statuses_and_date_formats_can_be_mapped(state: Path, tmp_path: Path) -> None:
    sheet = write(tmp_path, "mine.csv", "Firm;Role;Stage;Sent\nOrbit Maps;GIS Engineer;Phone screen;03/11/2026\n")  # semicolons
    code, _, err = followup(
        "import", str(sheet), "--state", str(state), "--columns", "company=Firm,position=Role",
        "--columns", "status=Stage", "--columns", "applied_at=Sent", "--status", "Phone screen=interviewing",
        "--date-format", "%d/%m/%Y",
    )  # fmt: skip
    assert code == 0, err
    orbit = load_state(state).application("orbit-maps-gis-engineer")
    assert orbit is not None and orbit.status == "interviewing"
    assert orbit.applied_at is not None and orbit.applied_at.date().isoformat() == "2026-11-03"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "company,position,status,applied_at\nOrbit Maps,GIS,applied,2026-11-20\nKestrel,Analyst,applied,31/02/2026\n",
            ["apps.csv:3:4: row 2, column 'applied_at': '31/02/2026' is not a date; valid: an ISO 8601 date such as 2026-11-20",
             "--date-format"],
        ),
        (
            "company,position,applied_at\nOrbit Maps,GIS,2026-11-20\n",
            ["apps.csv:1:0: no status column", "its columns: 'company', 'position', 'applied_at'", "--columns status=HEADER"],
        ),
        (
            "company,position,status\nOrbit Maps,GIS,applied\n,Analyst,applied\n",
            ["apps.csv:3:1: row 2, column 'company': is empty"],
        ),
        (
            "company,position,status\nOrbit Maps,GIS,sent\n",
            ["apps.csv:2:3: row 1, column 'status': 'sent' is not a status; valid: applied, interviewing, offer",
             "--status 'sent=applied'"],
        ),
        (
            "company,position,status,priority,contact_email\nOrbit Maps,GIS,applied,9,\n",
            ["row 1, column 'priority': '9' is not a priority; valid: 1 (most wanted) to 5"],
        ),
        (
            "company,position,status\n",
            ["apps.csv:1:0: has a header but no rows"],
        ),
    ],
    ids=["bad-date", "missing-column", "empty-company", "unknown-status", "bad-priority", "no-rows"],
)
def test_a_refused_row_names_line_column_and_value_and_writes_nothing(
    state: Path, tmp_path: Path, text: str, expected: list[str]
) -> None:
    sheet = write(tmp_path, "apps.csv", text)
    before = state.read_text(encoding="utf-8")
    os.chdir(tmp_path)
    code, out, err = followup("import", "apps.csv", "--state", str(state))
    assert code == 1, out
    assert "Traceback" not in err
    for part in expected:
        assert part in err
    assert state.read_text(encoding="utf-8") == before
    assert sheet.exists()


def test_an_id_given_in_the_file_must_be_an_id(state: Path, tmp_path: Path) -> None:
    sheet = write(tmp_path, "apps.csv", "id,company,status\nok-1,Orbit,applied\nnot an id,Kestrel,applied\n")
    before = state.read_text(encoding="utf-8")
    code, _, err = followup("import", str(sheet), "--state", str(state))
    assert code == 1
    assert "apps.csv:3:1: row 2, column 'id': 'not an id' is not an id" in err
    assert state.read_text(encoding="utf-8") == before


def test_the_journal_checks_every_row_as_add_application_does(state: Path) -> None:
    """What the state schema refuses is named by row and line, and nothing is written."""
    from followup.journal import StateFile, add_applications
    from followup.state import TrackerRow

    rows = [
        TrackerRow(1, 2, {"id": "fine", "company": "Orbit", "status": "applied"}),
        TrackerRow(2, 3, {"id": "odd", "company": "Kestrel", "status": "applied", "priority": 9}),
    ]
    before = state.read_text(encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        add_applications(StateFile(state), rows, at=parse_instant("2026-12-01T10:00:00+01:00"), where="apps.csv")
    (problem,) = caught.value.problems
    assert (problem.path, problem.line) == ("apps.csv", 3)
    assert problem.message.startswith("row 2: ") and "9" in problem.message
    assert state.read_text(encoding="utf-8") == before


def test_an_import_into_a_store_is_not_repeated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FOLLOWUP_STATE", raising=False)
    url = f"sqlite:///{tmp_path / 'store.db'}"
    monkeypatch.setenv("FOLLOWUP_STORE", url)
    assert followup("import", str(EXAMPLE))[0] == 0
    sheet = write(tmp_path, "huntr.csv", HUNTR)
    code, out, err = followup("import", str(sheet), "--preset", "huntr")
    assert code == 0, err
    assert "added 3 applications" in out
    code, out, err = followup("import", str(sheet), "--preset", "huntr")
    assert code == 0, err
    assert "added 0 applications, 3 already there" in out
    code, out, _ = followup("export", "--format", "json")
    assert out.count('"orbit-maps-engineer-data-platform"') == 1


def test_two_imports_of_one_file_at_once_add_each_application_once(state: Path, tmp_path: Path) -> None:
    """Real processes racing on one state file: the lock makes the second see the first's rows."""
    sheet = write(tmp_path, "huntr.csv", HUNTR)
    env = {k: v for k, v in os.environ.items() if not k.startswith("FOLLOWUP_")}
    command = [sys.executable, "-m", "followup", "import", str(sheet), "--preset", "huntr", "--state", str(state)]
    runs = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    for run in runs:
        _, err = run.communicate(timeout=300)
        assert run.returncode == 0, err
    ids = [a.id for a in load_state(state).applications]
    assert ids.count("orbit-maps-engineer-data-platform") == 1
    assert len(ids) == len(set(ids))


def test_a_made_up_id_another_job_holds_gets_a_suffix(state: Path, tmp_path: Path) -> None:
    assert followup("add", "application", "--state", str(state), "--id", "orbit-maps-gis-engineer",
                    "--company", "Orbit Maps", "--position", "Backend Engineer", "--status", "applied")[0] == 0  # fmt: skip
    sheet = write(tmp_path, "apps.csv", "company,position,status\nOrbit Maps,GIS Engineer,applied\n")
    code, out, err = followup("import", str(sheet), "--state", str(state))
    assert code == 0, err
    assert "row 1: added orbit-maps-gis-engineer-2" in out
    code, out, _ = followup("import", str(sheet), "--state", str(state))
    assert "row 1: already there as orbit-maps-gis-engineer-2" in out
