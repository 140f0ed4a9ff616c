"""The shape of the package: no import cycles, no reaching into another package's private names.

The imports are read from the source (every ``import`` and ``from ... import``, inside
functions too, but not those under ``if TYPE_CHECKING:``, which never run), so a cycle
hidden in a function-level import is caught as well.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from conftest import ROOT

SRC = ROOT / "src"
PACKAGE = SRC / "followup"


@dataclass(frozen=True)
class Import:
    importer: str  # the importing module
    line: int
    module: str  # the module imported from
    name: str | None  # the name taken from it (None for ``import module``)


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(SRC).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def package_of(module: str, path: Path) -> str:
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def _type_checking_only(tree: ast.AST) -> set[int]:
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for inner in node.body:
                skipped.update(id(n) for n in ast.walk(inner))
    return skipped


def imports() -> Iterator[Import]:
    for module, path in modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        skipped = _type_checking_only(tree)
        package = package_of(module, path)
        for node in ast.walk(tree):
            if id(node) in skipped:
                continue
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] == "followup":
                        yield Import(module, node.lineno, alias.name, None)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    target = ".".join([*base, *([node.module] if node.module else [])])
                else:
                    target = node.module or ""
                if target.split(".")[0] != "followup":
                    continue
                for alias in node.names:
                    yield Import(module, node.lineno, target, alias.name)


def graph() -> dict[str, set[str]]:
    """Module -> the modules it imports (``from pkg import sub`` counts as importing ``pkg.sub``)."""
    known = modules()
    edges: dict[str, set[str]] = {module: set() for module in known}
    for found in imports():
        submodule = f"{found.module}.{found.name}"
        target = submodule if found.name is not None and submodule in known else found.module
        if target in known and target != found.importer:
            edges[found.importer].add(target)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(edges[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_the_walker_finds_every_module_and_a_known_import() -> None:
    edges = graph()
    assert len(edges) > 50
    assert "followup.engine._engine" in edges["followup.engine"]
    assert "followup.rules" in edges["followup.engine._engine"]


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycles_inside_followup() -> None:
    assert cycles(graph()) == []


def _packages() -> set[str]:
    return {module for module, path in modules().items() if path.name == "__init__.py"}


def private_owner(module: str, name: str | None, packages: set[str]) -> str | None:
    """The package a private module or name belongs to; ``None`` when nothing private is named.

    ``followup.engine._caps`` is private to ``followup.engine``, and so is
    ``_format_local`` taken from it; ``_trace`` taken from ``followup.plugins`` is private
    to ``followup.plugins``.
    """
    parts = module.split(".")
    for depth, part in enumerate(parts):
        if part.startswith("_") and not part.startswith("__"):
            return ".".join(parts[:depth])
    if name is not None and name.startswith("_") and not name.startswith("__"):
        return module if module in packages else module.rpartition(".")[0]
    return None


def private_imports() -> list[str]:
    """Imports of a private module or name from outside the package that owns it (and its subpackages)."""
    known = modules()
    packages = _packages()
    wrong = []
    for found in imports():
        importer_package = package_of(found.importer, known[found.importer])
        submodule = f"{found.module}.{found.name}"
        if found.name is not None and submodule in known:
            module, name = submodule, None  # ``from pkg import _sub`` imports a module
        else:
            module, name = found.module, found.name
        owner = private_owner(module, name, packages)
        if owner is None:
            continue
        if importer_package == owner or importer_package.startswith(owner + "."):
            continue
        what = f"{module}.{name}" if name else module
        wrong.append(f"{found.importer} (line {found.line}) imports {what}, private to {owner}")
    return wrong


def test_the_private_import_check_knows_what_is_private() -> None:
    packages = _packages()
    assert private_owner("followup.engine._caps", "CapLedger", packages) == "followup.engine"
    assert private_owner("followup.engine", "_stem", packages) == "followup.engine"
    assert private_owner("followup.journal", "_helper", packages) == "followup"
    assert private_owner("followup.engine", "Engine", packages) is None
    assert private_owner("followup.delivery.channels.smtp", "SmtpChannel", packages) is None


def test_no_module_imports_a_private_name_from_another_package() -> None:
    assert private_imports() == []


AGENDA_MUST_NOT_IMPORT = (
    "jinja2",
    "smtplib",
    "hypothesis",
    "followup.delivery.messages._render",
    "followup.delivery.channels._mime",
    "followup.delivery.channels.fax",
    "followup.delivery.channels.ical",
    "followup.delivery.channels.outbox",
    "followup.delivery.channels.smtp",
    "followup.delivery.channels.webhook",
)


def test_followup_agenda_imports_no_template_engine_mail_or_channel_code() -> None:
    """``followup agenda`` loads every plugin but renders and sends nothing: it stays light."""
    import json
    import subprocess
    import sys

    code = (
        "import contextlib, io, json, sys\n"
        "from followup.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        f"        main(['agenda', {str(ROOT / 'examples' / 'job-search.yaml')!r}, '--now', '2026-11-30T09:30:00+01:00'])\n"
        "    except SystemExit as exit:\n"
        "        assert not exit.code, exit.code\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout)
    assert "followup.engine._engine" in loaded and "followup.delivery.messages" in loaded  # it did run, plugins loaded
    heavy = sorted(m for m in loaded if any(m == name or m.startswith(name + ".") for name in AGENDA_MUST_NOT_IMPORT))
    assert heavy == []


def test_nothing_in_followup_imports_hypothesis() -> None:
    """hypothesis is a test dependency (the ``test`` extra), not a runtime one."""
    assert not [found for found in imports() if found.module.split(".")[0] == "hypothesis"]
    for path in modules().values():
        assert "import hypothesis" not in path.read_text(encoding="utf-8"), path
        assert "from hypothesis" not in path.read_text(encoding="utf-8"), path
