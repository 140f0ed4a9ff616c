"""A user's template cannot stall `preview` or `run`, nor fill the memory: a clear error names the template line.

Each case is a real template in a real template folder, rendered by `followup preview`
in a subprocess. The subprocess timeout is only a guard against a hang (it is far
above the renderer's own five-second limit).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from followup import Engine, load_rulebook, load_state, parse_instant
from followup.delivery import DeliveryError
from followup.delivery.messages import build_context
from followup.delivery.messages._render import Renderer

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "job-search.yaml"
NOW = "2026-11-30T09:30:00+01:00"

BODY = "{% block subject -%}Thank you{%- endblock %}\n{% block body -%}\nHello,\n"
END = "\n{%- endblock %}\n"

CASES = {
    "huge-range": "{% for i in range(10**9) %}x{% endfor %}",
    "recursive-macro": "{% macro m(n) %}{{ m(n + 1) }}{% endmacro %}{{ m(0) }}",
    "nested-loops-silent": "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}",
    "nested-loops-writing": "{% for a in range(100000) %}{% for b in range(100000) %}x{% endfor %}{% endfor %}",
    "string-bomb": "{{ 'x' * 10**9 }}",
    "power-bomb": "{{ 10 ** 1000000000 }}",
    "list-bomb": "{% for a in [1] * 100000 %}{% for b in [1] * 100000 %}{% endfor %}{% endfor %}",
}


def _thank_you_key() -> str:
    state = load_state(EXAMPLE)
    return next(a.key for a in Engine(load_rulebook()).evaluate(state, parse_instant(NOW)) if a.kind == "thank_you_note")


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_runaway_template_is_stopped_with_its_name_and_line(tmp_path: Path, case: str) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "thank_you_note.txt").write_text(BODY + CASES[case] + END)
    config = tmp_path / "config.toml"
    config.write_text(f'template_dir = "{templates}"\n')
    done = subprocess.run(
        [sys.executable, "-m", "followup", "preview", str(EXAMPLE), _thank_you_key(), "--now", NOW],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
        env={**os.environ, "FOLLOWUP_CONFIG": str(config)},
    )  # fmt: skip
    assert done.returncode == 1, done.stderr[-2000:]
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    assert "thank_you_note.txt:4" in done.stderr, done.stderr[-2000:]  # the template and the line of the loop
    assert len(done.stdout) + len(done.stderr) < 20_000


def test_the_time_limit_can_be_given_by_the_caller(tmp_path: Path) -> None:
    """A dispatcher with its own delivery deadline passes what is left of it."""
    (tmp_path / "thank_you_note.txt").write_text(BODY + CASES["nested-loops-silent"] + END)
    state = load_state(EXAMPLE)
    action = next(a for a in Engine(load_rulebook()).evaluate(state, parse_instant(NOW)) if a.kind == "thank_you_note")
    with pytest.raises(DeliveryError, match=r"thank_you_note\.txt:4 stopped: it took longer than the limit of 0\.2 s") as caught:
        Renderer(tmp_path).render(build_context(state, action, {}, now=parse_instant(NOW)), time_limit=0.2)
    assert not caught.value.transient


def test_an_ordinary_template_still_renders(tmp_path: Path) -> None:
    (tmp_path / "thank_you_note.txt").write_text(BODY + "{% for i in range(3) %}{{ i }} {% endfor %}" + END)
    state = load_state(EXAMPLE)
    action = next(a for a in Engine(load_rulebook()).evaluate(state, parse_instant(NOW)) if a.kind == "thank_you_note")
    message = Renderer(tmp_path).render(build_context(state, action, {}, now=parse_instant(NOW)))
    assert "0 1 2" in message.body
