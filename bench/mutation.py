"""Mutation score of the modules where a wrong answer hurts most: time, caps, engine, compiler, dispatcher.

Usage::

    pip install -e '.[mutation]'            # mutmut
    python bench/mutation.py                # every module, in the order below
    python bench/mutation.py time caps      # some of them
    python bench/mutation.py --list         # the modules and the tests each one runs

For each module this copies the work tree (``src``, ``tests``, ``rules``,
``examples``, ``docs`` and ``pyproject.toml``) into a scratch folder, adds a
``[tool.mutmut]`` section naming that one module and its fast tests, and runs
``mutmut run --max-children 1`` there (mutmut forks one pytest per mutant and runs
only the selected tests that reach the mutated function, stopping at the first
failure). It then reads ``mutmut results --all true`` and rewrites the figures in
``docs/quality.md`` between the ``mutation-figures`` markers: killed / total per
module, and every mutant that survived, by name, with its diff. Nothing outside the
markers is touched, so the explanations written there by hand stay.

It is slow (minutes to an hour per module on two cores) and is not part of the test
suite. Mutants that no selected test reaches count as surviving ("no tests").
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "docs" / "quality.md"
BEGIN, END = "<!-- mutation-figures:begin -->", "<!-- mutation-figures:end -->"
COPIED = ["src", "tests", "rules", "examples", "docs", "pyproject.toml", "README.md"]


@dataclass(frozen=True)
class Module:
    name: str
    path: str
    tests: tuple[str, ...]


#: in the order they run; the dispatcher last (it changes most often)
MODULES = [
    Module("time", "src/followup/_time.py", ("tests/test_time_properties.py", "tests/test_time_units.py")),
    Module("caps", "src/followup/engine/_caps.py", ("tests/test_caps_properties.py", "tests/test_caps_units.py")),
    Module("engine", "src/followup/engine/_engine.py", ("tests/test_engine_properties.py", "tests/test_caps_properties.py", "tests/test_default_rules.py")),
    Module("compiler", "src/followup/rules/_compiler.py", ("tests/test_default_rules.py", "tests/test_docs_rules.py", "tests/test_bad_input.py", "tests/test_caps_properties.py")),
    Module("dispatcher", "src/followup/delivery/_dispatcher.py", ("tests/test_dispatch.py", "tests/test_dispatch_properties.py", "tests/test_channel_dispatch.py")),
]

_RESULT = re.compile(r"^\s*(\S+__mutmut_\d+): (.+?)\s*$")


def _config(module: Module) -> str:
    tests = [t for t in module.tests if (ROOT / t).exists()]
    args = ["-p", "no:xdist", "-p", "no:timeout", "-p", "no:cacheprovider", "-x", "-q"]
    return (
        "\n[tool.mutmut]\n"
        'source_paths = ["src"]\n'
        f"only_mutate = [{module.path!r}]\n"
        f"pytest_add_cli_args_test_selection = {tests!r}\n"
        f"pytest_add_cli_args = {args!r}\n"
        'also_copy = ["rules", "examples", "docs", "README.md"]\n'
        "use_git_change_detection = false\n"
        # a mutant that loops forever (remaining -= 2 in a count-down) is a kill by timeout;
        # mutmut's default waits 15 times the tests' own duration for it
        "timeout_multiplier = 2.0\n"
    ).replace("'", '"')


def run(module: Module, scratch: Path) -> dict[str, str]:
    """``{mutant name: status}`` for every mutant of ``module``."""
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
    subprocess.run(["mutmut", "run", "--max-children", "1"], cwd=where, check=False,
                   stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)  # fmt: skip
    listed = subprocess.run(["mutmut", "results", "--all", "true"], cwd=where, check=True, capture_output=True, text=True)
    results = {m.group(1): m.group(2) for line in listed.stdout.splitlines() if (m := _RESULT.match(line))}
    took = (dt.datetime.now(dt.UTC) - started).total_seconds()
    killed = sum(1 for s in results.values() if s == "killed")
    print(f"{module.name}: {killed}/{len(results)} killed in {took:.0f} s", flush=True)
    return results


def _diff(module: Module, scratch: Path, mutant: str) -> str:
    shown = subprocess.run(["mutmut", "show", mutant], cwd=scratch / module.name, capture_output=True, text=True, check=False)
    lines = [line for line in shown.stdout.splitlines() if line.startswith(("+", "-")) and not line.startswith(("+++", "---"))]
    return "\n".join(lines)


def report(figures: dict[str, tuple[Module, dict[str, str]]], scratch: Path) -> str:
    out = [BEGIN, "", f"Measured {dt.date.today().isoformat()} with `python bench/mutation.py {' '.join(figures)}` (mutmut).", ""]
    out += ["| module | file | killed | survived | no tests | timeout/other | total | killed share |", "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name, (module, results) in figures.items():
        statuses = list(results.values())
        killed = statuses.count("killed")
        survived = statuses.count("survived")
        untested = statuses.count("no tests")
        other = len(statuses) - killed - survived - untested
        share = f"{100 * killed / len(statuses):.1f}%" if statuses else "n/a"
        out.append(f"| {name} | `{module.path}` | {killed} | {survived} | {untested} | {other} | {len(statuses)} | {share} |")
    for name, (module, results) in figures.items():
        left = sorted((m for m, s in results.items() if s != "killed"), key=lambda m: (m.rsplit("_", 1)[0], int(m.rsplit("_", 1)[1])))
        if not left:
            continue
        out += ["", f"Not killed in {name}:", "", "```diff"]
        for mutant in left:
            out.append(f"# {mutant} ({results[mutant]})")
            out.append(_diff(module, scratch, mutant))
        out.append("```")
    out += ["", END]
    return "\n".join(out)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", help="module names (default: all)")
    parser.add_argument("--list", action="store_true", help="list the modules and their tests")
    parser.add_argument("--scratch", type=Path, default=None, help="folder for the copies (default: a temporary one, kept)")
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
    scratch = args.scratch or Path(tempfile.mkdtemp(prefix="followup-mutation-"))
    figures = {}
    for name in args.modules or list(known):
        figures[name] = (known[name], run(known[name], scratch))
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
