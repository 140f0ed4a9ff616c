"""Mutation score of the modules where a wrong answer hurts most: time, caps, engine, compiler, dispatcher.

Usage::

    pip install -e '.[mutation]'            # mutmut
    python bench/mutation.py                # every module, in the order below
    python bench/mutation.py time caps      # some of them
    python bench/mutation.py --list         # the modules and the tests each one runs
    python bench/mutation.py engine --scratch DIR   # runs kept in DIR ...
    python bench/mutation.py --report --scratch DIR # ... reported together, running nothing
    python bench/mutation.py engine --again --scratch DIR  # re-run what was not killed, new tests

For each module this copies the work tree (``src``, ``tests``, ``rules``,
``examples``, ``docs`` and ``pyproject.toml``) into a scratch folder, adds a
``[tool.mutmut]`` section naming that one module and its fast tests, and runs
``mutmut run --max-children N`` there (default 2): mutmut runs the selected tests
once to learn which of them reach each function, then forks one pytest per mutant
that runs only the tests reaching the mutated function, stopping at the first
failure. The tests run with ``FOLLOWUP_HYPOTHESIS_PROFILE=mutation`` (see
``tests/conftest.py``): every property test still runs, on a few derandomized
examples, so a mutant is judged in a second or two and the same way every time.
The selections are unit and property tests in process, the sharpest first; the
tests that start a ``followup`` subprocess per step (``tests/test_rule_changes.py``)
are left out, and so are the caps properties for the engine and the compiler (the
caps units and the default rules reach the same code at a fraction of the cost: a
surviving mutant of the compiler's ``rule`` runs every selected test).

It then reads ``mutmut results --all true`` of every module run into the scratch
folder (by this invocation or an earlier one with the same ``--scratch``) and
rewrites the figures in ``docs/quality.md`` between the ``mutation-figures``
markers: killed / total per module, when its run finished, and every mutant not
killed, by name, with its diff. Nothing outside the
markers is touched, so the explanations written there by hand stay. mutmut's own
output goes to ``NAME.log`` in the scratch folder.

It takes minutes per module and is not part of the test suite. Mutants that no
selected test reaches count as not killed ("no tests").
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "docs" / "quality.md"
BEGIN, END = "<!-- mutation-figures:begin -->", "<!-- mutation-figures:end -->"
COPIED = ["src", "tests", "rules", "examples", "docs", "pyproject.toml", "README.md"]


@dataclass(frozen=True)
class Module:
    name: str
    path: str
    tests: tuple[str, ...]
    #: how many times its tests' own duration a mutant may take before it counts as hung
    timeout_multiplier: float = 10.0


#: in the order they run; the dispatcher last (it changes most often)
MODULES = [
    Module("time", "src/followup/_time.py",
           ("tests/test_time_units.py", "tests/test_time_properties.py",
            "tests/test_employer_time.py::test_fitting_a_window_lands_both_ends_in_working_time")),
    Module("caps", "src/followup/engine/_caps.py", ("tests/test_caps_units.py", "tests/test_caps_properties.py")),
    Module("engine", "src/followup/engine/_engine.py",
           ("tests/test_engine_units.py", "tests/test_caps_units.py", "tests/test_default_rules.py",
            "tests/test_engine_properties.py", "tests/test_compiled_engine.py", "tests/test_endings.py",
            "tests/test_employer_time.py", "tests/test_conversation.py")),
    Module("compiler", "src/followup/rules/_compiler.py",
           ("tests/test_compiler_units.py", "tests/test_caps_units.py", "tests/test_bad_input.py",
            "tests/test_default_rules.py", "tests/test_engine_units.py", "tests/test_compiled_engine.py",
            "tests/test_employer_time.py", "tests/test_explain_properties.py")),
    Module("dispatcher", "src/followup/delivery/_dispatcher.py",
           ("tests/test_dispatcher_units.py", "tests/test_dispatcher_bookkeeping.py", "tests/test_dispatch.py", "tests/test_dispatch_steps.py", "tests/test_channel_dispatch.py",
            "tests/test_dispatch_properties.py"),
           # a mutant of the courier thread hangs every delivery: at ten times the minute its
           # tests take, each such mutant cost ten minutes; twice is plenty on free cores
           timeout_multiplier=2.0),
]  # fmt: skip

#: a mutant whose tests fail, or never finish (a loop that no longer ends: in the suite,
#: pytest-timeout fails that test by name), is caught
KILLED = ("killed", "timeout")

_RESULT = re.compile(r"^\s*(\S+__mutmut_\d+): (.+?)\s*$")


def _config(module: Module) -> str:
    tests = [t for t in module.tests if (ROOT / t.partition("::")[0]).exists()]
    args = ["-p", "no:xdist", "-p", "no:timeout", "-p", "no:cacheprovider", "-x", "-q"]
    return (
        "\n[tool.mutmut]\n"
        'source_paths = ["src"]\n'
        f"only_mutate = [{module.path!r}]\n"
        f"pytest_add_cli_args_test_selection = {tests!r}\n"
        f"pytest_add_cli_args = {args!r}\n"
        'also_copy = ["rules", "examples", "docs", "README.md"]\n'
        "use_git_change_detection = false\n"
        # a mutant that loops forever (remaining -= 2 in a count-down) is a kill by timeout:
        # by default ten times the tests' own duration, plus 5 s, so that a machine busy with
        # other work does not pass a slow run off as one (mutmut's default is 15 times, plus 1 s)
        f"timeout_multiplier = {module.timeout_multiplier}\n"
        "timeout_constant = 5.0\n"
    ).replace("'", '"')


def run(module: Module, scratch: Path, children: int) -> None:
    """Copy the work tree for ``module`` into ``scratch`` and run mutmut there; note how long it took."""
    where = scratch / module.name
    if where.exists():
        shutil.rmtree(where)
    where.mkdir(parents=True)
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, where / name, ignore=shutil.ignore_patterns("__pycache__", ".hypothesis", "mutants"))
        elif source.exists():
            shutil.copy2(source, where / name)
    with (where / "pyproject.toml").open("a", encoding="utf-8") as config:
        config.write(_config(module))
    started = dt.datetime.now(dt.UTC)
    environment = {**os.environ, "FOLLOWUP_HYPOTHESIS_PROFILE": "mutation"}
    with (scratch / f"{module.name}.log").open("w", encoding="utf-8") as log:
        subprocess.run(["mutmut", "run", "--max-children", str(children)], cwd=where, env=environment,
                       check=False, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    took = (dt.datetime.now(dt.UTC) - started).total_seconds()
    results = _results(module, scratch)
    record = {"seconds": round(took), "finished": f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC", "children": children}
    (scratch / f"{module.name}.json").write_text(json.dumps(record), encoding="utf-8")
    killed = sum(1 for s in results.values() if s in KILLED)
    print(f"{module.name}: {killed}/{len(results)} killed in {took:.0f} s", flush=True)


def again(module: Module, scratch: Path, children: int) -> None:
    """Run the mutants of ``module`` that its earlier run tested and did not kill again, by name, against
    the work tree's tests as they are now; the module itself must not have changed."""
    where = scratch / module.name
    record_path = scratch / f"{module.name}.json"
    if not record_path.exists():
        raise SystemExit(f"{module.name} has no earlier run in {scratch} to run again")
    if (where / module.path).read_bytes() != (ROOT / module.path).read_bytes():
        raise SystemExit(f"{module.path} changed since its run: run the module in full")
    shutil.rmtree(where / "tests")
    shutil.copytree(ROOT / "tests", where / "tests", ignore=shutil.ignore_patterns("__pycache__", ".hypothesis"))
    # the ones run and not killed (a run stopped early leaves others "not checked": not these)
    left = [m for m, s in _results(module, scratch).items() if s not in (*KILLED, "not checked")]
    started = dt.datetime.now(dt.UTC)
    environment = {**os.environ, "FOLLOWUP_HYPOTHESIS_PROFILE": "mutation"}
    with (scratch / f"{module.name}.again.log").open("w", encoding="utf-8") as log:
        subprocess.run(["mutmut", "run", "--max-children", str(children), *left], cwd=where, env=environment,
                       check=False, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    took = (dt.datetime.now(dt.UTC) - started).total_seconds()
    record = json.loads(record_path.read_text(encoding="utf-8"))
    record["again"] = {"mutants": len(left), "seconds": round(took), "finished": f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC"}
    record_path.write_text(json.dumps(record), encoding="utf-8")
    results = _results(module, scratch)
    killed = sum(1 for s in results.values() if s in KILLED)
    print(f"{module.name}: {len(left)} run again; {killed}/{len(results)} killed", flush=True)


def _results(module: Module, scratch: Path) -> dict[str, str]:
    """``{mutant name: status}`` for every mutant of ``module``, from its copy in ``scratch``."""
    listed = subprocess.run(["mutmut", "results", "--all", "true"], cwd=scratch / module.name, check=True,
                            capture_output=True, text=True)  # fmt: skip
    return {m.group(1): m.group(2) for line in listed.stdout.splitlines() if (m := _RESULT.match(line))}


#: run in the module's copy: the changed lines of each named mutant, one process for all
#: (``mutmut show`` per mutant costs seconds each)
_SHOW = """
import json, sys
from mutmut.__main__ import find_mutant, get_diff_for_mutant
names = json.loads(sys.stdin.read())
print(json.dumps({name: get_diff_for_mutant(name, path=find_mutant(name).path) for name in names}))
"""


def _diffs(module: Module, scratch: Path, mutants: list[str]) -> dict[str, str]:
    if not mutants:
        return {}
    shown = subprocess.run([sys.executable, "-c", _SHOW], cwd=scratch / module.name, input=json.dumps(mutants),
                           capture_output=True, text=True, check=True)  # fmt: skip
    changed = {}
    for name, diff in json.loads(shown.stdout).items():
        lines = diff.splitlines()
        changed[name] = "\n".join(line for line in lines if line.startswith(("+", "-")) and not line.startswith(("+++", "---")))
    return changed


def _finished(record: dict[str, Any]) -> str:
    again = record.get("again")
    if again is None:
        return str(record["finished"])
    return f"{record['finished']}; its {again['mutants']} not killed run again by name {again['finished']}"


def _order(mutant: str) -> tuple[str, int]:
    function, number = mutant.rsplit("_", 1)
    return function, int(number)


def report(figures: dict[str, tuple[Module, dict[str, str], dict[str, Any]]], scratch: Path) -> str:
    out = [BEGIN, "", "Measured with mutmut by `python bench/mutation.py`, each module in its own run (the row says when it finished).", ""]
    out += ["| module | file | killed | of which by timeout | survived | no tests | not run | other | total | killed share | minutes | finished |",
            "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]  # fmt: skip
    for name, (module, results, record) in figures.items():
        statuses = list(results.values())
        killed = sum(statuses.count(s) for s in KILLED)
        survived = statuses.count("survived")
        untested = statuses.count("no tests")
        unrun = statuses.count("not checked")
        other = len(statuses) - killed - survived - untested - unrun
        share = f"{100 * killed / len(statuses):.1f}%" if statuses else "n/a"
        if unrun:
            share += f" ({100 * killed / (len(statuses) - unrun):.1f}% of those run)"
        out.append(f"| {name} | `{module.path}` | {killed} | {statuses.count('timeout')} | {survived} | {untested} | {unrun} | {other} "
                   f"| {len(statuses)} | {share} | {record['seconds'] / 60:.0f} | {_finished(record)} |")  # fmt: skip
    for name, (module, results, _record) in figures.items():
        left = sorted((m for m, s in results.items() if s not in (*KILLED, "not checked")), key=_order)
        if left:
            out += ["", f"Not killed in {name}:", "", "```diff"]
            changed = _diffs(module, scratch, left)
            for mutant in left:
                out.append(f"# {mutant} ({results[mutant]})")
                out.append(changed[mutant])
            out.append("```")
        timed_out = sorted((m for m, s in results.items() if s == "timeout"), key=_order)
        if timed_out:
            out += ["", f"Killed by timeout in {name}: {', '.join(f'`{m}`' for m in timed_out)}."]
    out += ["", END]
    return "\n".join(out)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", help="module names (default: all)")
    parser.add_argument("--list", action="store_true", help="list the modules and their tests")
    parser.add_argument("--scratch", type=Path, default=None, help="folder for the copies (default: a temporary one, kept)")
    parser.add_argument("--max-children", type=int, default=2, help="mutants tested at once (default: 2)")
    parser.add_argument("--again", action="store_true",
                        help="run only the mutants not killed in --scratch again, by name, with the tests as they are now")
    parser.add_argument("--report", action="store_true", help="run nothing: rewrite the figures from the runs in --scratch")
    args = parser.parse_args(argv)
    known = {m.name: m for m in MODULES}
    if args.list:
        for module in MODULES:
            print(f"{module.name}: {module.path} <- {' '.join(module.tests)}")
        return 0
    unknown = [n for n in args.modules if n not in known]
    if unknown:
        parser.error(f"unknown module {', '.join(unknown)}; the modules are {', '.join(known)}")
    if shutil.which("mutmut") is None:
        print("mutmut is not installed: pip install -e '.[mutation]'", file=sys.stderr)
        return 1
    if args.report and args.scratch is None:
        parser.error("--report reads the runs in a --scratch folder: name it")
    scratch = args.scratch or Path(tempfile.mkdtemp(prefix="followup-mutation-"))
    if args.again and (args.scratch is None or not args.modules):
        parser.error("--again runs named modules again in a --scratch folder: name both")
    if not args.report:
        for name in args.modules or list(known):
            (again if args.again else run)(known[name], scratch, args.max_children)
    # every module with a finished run in the scratch folder, this invocation's or an earlier one's
    figures = {}
    for module in MODULES:
        record = scratch / f"{module.name}.json"
        if record.exists():
            figures[module.name] = (module, _results(module, scratch), json.loads(record.read_text(encoding="utf-8")))
    text = REPORT.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        print(f"{REPORT} has no {BEGIN} ... {END} block", file=sys.stderr)
        return 1
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    REPORT.write_text(head + report(figures, scratch) + tail, encoding="utf-8")
    print(f"wrote {REPORT.relative_to(ROOT)}; the copies are in {scratch}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
