"""The public API: everything in followup.__all__ exists, is typed, and stays lazy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import followup


def test_all_names_resolve_and_nothing_public_is_missing() -> None:
    for name in followup.__all__:
        assert getattr(followup, name) is not None, name
    lazy = set(followup._LAZY)
    assert lazy | {"__version__"} == set(followup.__all__)


def test_the_package_is_typed() -> None:
    assert (Path(followup.__file__).parent / "py.typed").exists()


def test_importing_followup_loads_no_heavy_module() -> None:
    code = "import sys, followup; print(sorted(m for m in ('jsonschema', 'yaml', 'pendulum', 'holidays', 'rich', 'pluggy') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_unknown_attribute_is_an_attribute_error() -> None:
    try:
        followup.NoSuchThing  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as exc:
        assert "NoSuchThing" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("expected AttributeError")
