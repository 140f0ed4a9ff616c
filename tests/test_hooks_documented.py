"""Every hook has a section in docs/hooks.md with its exact signature and an example that runs, and a test of its own."""

from __future__ import annotations

import ast
import inspect
import re
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conftest import ROOT
from followup import Receipt, Store
from followup.cli import collect_commands
from followup.delivery import collect_channels
from followup.plugins import PluginManager, build_plugin_manager, hookspecs, notify
from followup.rules import collect_vocabulary
from followup.stores import collect_stores
from followup.testing import SAMPLE_NOW, sample_message, sample_state

DOC = ROOT / "docs" / "hooks.md"
HOOKS = sorted(name for name in dir(hookspecs) if name.startswith("followup_"))


def sections() -> dict[str, str]:
    text = DOC.read_text()
    parts = re.split(r"^### (\S+)\n", text, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def signature(name: str) -> str:
    """``name(arg: Type, ...) -> Return`` as written in hookspecs.py."""
    spec = inspect.signature(getattr(hookspecs, name))
    arguments = ", ".join(f"{p.name}: {p.annotation}" for p in spec.parameters.values())
    return f"{name}({arguments}) -> {spec.return_annotation}"


def python_blocks(section: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)


def test_there_are_hooks_to_document() -> None:
    assert len(HOOKS) >= 11


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_section_with_its_exact_signature(hook: str) -> None:
    found = sections()
    assert hook in found, f"docs/hooks.md has no '### {hook}' section"
    section = found[hook]
    blocks = python_blocks(section)
    assert blocks and blocks[0].strip() == signature(hook), f"the first code block of {hook} must be its signature"
    firstresult = getattr(hookspecs, hook).followup_spec.get("firstresult", False)
    assert ("First result wins" in section or "first result wins" in section) == firstresult
    for argument in inspect.signature(getattr(hookspecs, hook)).parameters:
        assert f"`{argument}`" in section, f"{hook}: argument {argument} is not described"


def test_no_section_documents_a_hook_that_does_not_exist() -> None:
    assert set(sections()) == set(HOOKS)


def test_every_hook_docstring_says_whether_the_first_result_wins() -> None:
    for hook in HOOKS:
        doc = inspect.getdoc(getattr(hookspecs, hook)) or ""
        firstresult = getattr(hookspecs, hook).followup_spec.get("firstresult", False)
        assert ("First result wins" in doc) == firstresult, hook
        assert ":param" in doc, hook


def test_every_hook_has_a_test_of_its_own() -> None:
    names: set[str] = set()
    for path in (ROOT / "tests").glob("test_*.py"):
        tree = ast.parse(path.read_text())
        names |= {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    for hook in HOOKS:
        short = hook.removeprefix("followup_")
        assert any(name.startswith(f"test_hook_{short}") for name in names), f"no test named test_hook_{short}_…"


# ---------------------------------------------------------------------------
# The examples run: each is loaded as a plugin module and its hook exercised
# ---------------------------------------------------------------------------


def _thank_you() -> tuple[Any, dict[str, Any]]:
    from followup import Engine, load_rulebook
    from followup.delivery.messages import build_context

    state = sample_state()
    action = Engine(load_rulebook()).evaluate(state, SAMPLE_NOW).get("thank-you-note:acme:onsite:sam")
    return action, build_context(state, action, {}, now=SAMPLE_NOW)


def _new(collect: Callable[[Any], Any], pm: PluginManager) -> set[str]:
    before = collect(build_plugin_manager(entry_points=False))
    after = collect(pm)
    if hasattr(after, "operators"):
        return (set(after.operators) | set(after.facts)) - (set(before.operators) | set(before.facts))
    return set(after) - set(before)


def _operators(module: types.ModuleType, pm: PluginManager, tmp_path: Path) -> None:
    assert _new(collect_vocabulary, pm) == {"starts_with"}
    operator = collect_vocabulary(pm).operators["starts_with"]
    assert operator.plugin == "example" and operator.build("Senior")("Senior Engineer")


def _facts(module: types.ModuleType, pm: PluginManager, tmp_path: Path) -> None:
    from followup import Engine, load_rulebook

    assert _new(collect_vocabulary, pm) == {"interviewer.email_domain"}
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "version: 1\nrules:\n  - id: acme-only\n    kind: thank_you_note\n    for_each: interviewer\n"
        "    when: {fact: interviewer.email_domain, eq: acme.example}\n"
        "    window: {opens: {at: interview.ended_at}, due: {at: interview.ended_at}}\n    channel: email\n"
    )
    agenda = Engine(load_rulebook(rules, vocabulary=collect_vocabulary(pm))).evaluate(sample_state(), SAMPLE_NOW)
    assert sorted(a.recipient for a in agenda) == ["pat", "sam"]


def _channels(module: types.ModuleType, pm: PluginManager, tmp_path: Path) -> None:
    assert _new(collect_channels, pm) == {"logfile"}
    spec = collect_channels(pm)["logfile"]
    receipt = spec.build({"path": str(tmp_path / "log.txt")}).deliver(sample_message())
    assert isinstance(receipt, Receipt) and receipt.channel == "logfile"
    assert (tmp_path / "log.txt").read_text().startswith("thank-you-note:acme:onsite:sam")


def _stores(module: types.ModuleType, pm: PluginManager, tmp_path: Path) -> None:
    assert _new(collect_stores, pm) == {"scratch"}
    store = collect_stores(pm)["scratch"].open("scratch:")
    try:
        assert isinstance(store, Store) and not store.has_state()
    finally:
        store.close()


def _render(module: types.ModuleType, pm: PluginManager, tmp_path: Path) -> None:
    action, context = _thank_you()
    message = pm.hook.followup_render_message(action=action, context=context)
    assert message.subject == "Thank you, Sam Roe" and message.body.endswith("Robin Example\n")


def _check(module: types.ModuleType, pm: PluginManager, tmp_path: Path) -> None:
    import dataclasses

    loud = dataclasses.replace(sample_message(), body="Thank you!! It was great!")
    blocks = [b for result in pm.hook.followup_check_message(message=loud, context={}) for b in result or []]
    assert [b.check for b in blocks if b.check == "calm"] == ["calm"]
    assert not module.followup_check_message(sample_message(), {})


def _event(hook: str) -> Callable[[types.ModuleType, PluginManager, Path], None]:
    def run(module: types.ModuleType, pm: PluginManager, tmp_path: Path) -> None:
        action, _ = _thank_you()
        arguments = {
            "action": action,
            "receipt": Receipt("console", action.key),
            "error": "the server said no",
            "final": True,
        }
        spec = getattr(pm.hook, hook).spec
        notify(hook, pm=pm, **{name: arguments[name] for name in spec.argnames})
        if hook == "followup_action_suppressed":
            assert module.held_back == {None: 1}

    return run


def _commands(module: types.ModuleType, pm: PluginManager, tmp_path: Path) -> None:
    commands = collect_commands(pm)
    own = set(collect_commands(build_plugin_manager(entry_points=False)))  # followup's own, a built-in plugin
    assert set(commands) - own == {"greet"}
    result = CliRunner().invoke(commands["greet"], ["Ada"])
    assert result.output == "Hello, Ada!\n"


EXERCISE: dict[str, Callable[[types.ModuleType, PluginManager, Path], None]] = {
    "followup_register_operators": _operators,
    "followup_register_facts": _facts,
    "followup_register_channels": _channels,
    "followup_register_stores": _stores,
    "followup_render_message": _render,
    "followup_check_message": _check,
    "followup_action_due": _event("followup_action_due"),
    "followup_action_delivered": _event("followup_action_delivered"),
    "followup_action_failed": _event("followup_action_failed"),
    "followup_action_suppressed": _event("followup_action_suppressed"),
    "followup_register_commands": _commands,
}


@pytest.mark.parametrize("hook", HOOKS)
def test_the_example_runs(hook: str, tmp_path: Path) -> None:
    examples = python_blocks(sections()[hook])[1:]
    assert examples, f"{hook} has no example"
    assert hook in EXERCISE, f"add a way to run the example of {hook} to EXERCISE"
    module = types.ModuleType("example")
    exec(compile(examples[0], f"docs/hooks.md ({hook})", "exec"), module.__dict__)
    pm = build_plugin_manager(entry_points=False)
    assert pm.add_plugin(module, "example"), pm.load_errors
    assert [caller.name for caller in pm.get_hookcallers(module) or []] == [hook]
    EXERCISE[hook](module, pm, tmp_path)
