"""The plugin framework: loading, bad plugins, registries, environment controls, events, commands, the kit.

Third-party plugins are installed for real: each test writes a distribution
(``NAME-VERSION.dist-info`` with an ``entry_points.txt``) and its module into a
folder on ``sys.path``, so ``importlib.metadata`` finds them as it finds pip-installed ones.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click
import pytest

import followup.delivery.channels
import followup.delivery.channels.console
import followup.stores
from followup import ChannelSpec, Message, Receipt, hookimpl, open_store
from followup import plugins as plugin_module
from followup.delivery import Config, Dispatcher, collect_channels, get_channels
from followup.delivery.channels.console import CONSOLE, ConsoleChannel, format_message
from followup.plugins import (
    DEFAULT_PLUGINS,
    PluginLoadError,
    PluginManager,
    build_plugin_manager,
    get_plugin_manager,
    notify,
)
from followup.rules import collect_vocabulary
from followup.stores import collect_stores
from followup.stores.memory import open_memory
from followup.testing import (
    SAMPLE_NOW,
    ChannelConformance,
    FixedClock,
    RecordingChannel,
    registered,
    sample_message,
    sample_state,
)
from followup.testing.stores import channel_plugin, plugin_manager_with

CHANNEL_MODULE = """
from followup import ChannelSpec, Receipt, hookimpl

class Channel:
    def deliver(self, message):
        return Receipt(channel="{name}", reference=message.key)

@hookimpl
def followup_register_channels(register):
    register(ChannelSpec(name="{name}", media=frozenset({{"email"}}), idempotent=True,
                         build=lambda settings: Channel(), description="test channel"))
"""


class Site:
    """A folder on ``sys.path`` where tests install distributions with ``followup`` entry points."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.modules: list[str] = []

    def install(self, distribution: str, modules: dict[str, str], entry_points: dict[str, str], version: str = "1.0") -> None:
        for module, source in modules.items():
            (self.root / f"{module}.py").write_text(textwrap.dedent(source))
            self.modules.append(module)
        info = self.root / f"{distribution.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {distribution}\nVersion: {version}\n")
        lines = "".join(f"{name} = {target}\n" for name, target in entry_points.items())
        (info / "entry_points.txt").write_text(f"[followup]\n{lines}")

    def channel(self, distribution: str, entry: str, channel: str) -> None:
        """Install a distribution whose plugin registers an email channel called ``channel``."""
        module = distribution.replace("-", "_")
        self.install(distribution, {module: CHANNEL_MODULE.format(name=channel)}, {entry: module})


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    root = tmp_path / "site"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    for variable in ("FOLLOWUP_LOAD_PLUGINS", "FOLLOWUP_DISABLE_PLUGINS", "FOLLOWUP_TRACE_PLUGINS"):
        monkeypatch.delenv(variable, raising=False)
    installed = Site(root)
    plugin_module.reset()
    yield installed
    for module in installed.modules:
        sys.modules.pop(module, None)
    plugin_module.reset()


def fresh() -> PluginManager:
    return build_plugin_manager()


# ---------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------


def test_built_ins_and_entry_points_are_registered_with_the_same_call(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    site.channel("followup-pigeon", "pigeon", "pigeon")
    calls: list[str] = []
    original = PluginManager.add_plugin

    def spy(self: PluginManager, plugin: object, name: str, **kwargs: Any) -> bool:
        calls.append(name)
        return original(self, plugin, name, **kwargs)

    monkeypatch.setattr(PluginManager, "add_plugin", spy)
    pm = fresh()
    assert "pigeon" in calls
    assert set(DEFAULT_PLUGINS) <= set(calls)
    # everything registered went through that call
    assert {name for name, plugin in pm.list_name_plugin() if plugin is not None} <= set(calls)


def test_third_party_channel_is_found_with_its_distribution(site: Site) -> None:
    site.channel("followup-pigeon", "pigeon", "pigeon")
    pm = fresh()
    channels = collect_channels(pm)
    assert channels["pigeon"].plugin == "pigeon"
    assert channels["console"].plugin == "followup.delivery.channels.console"
    info = {i.name: i for i in plugin_module.list_plugins(pm)}["pigeon"]
    assert (info.distribution, info.version, info.builtin) == ("followup-pigeon", "1.0", False)
    assert info.hooks == ("followup_register_channels",)
    assert pm.load_errors == []


def test_loading_is_lazy() -> None:
    code = (
        "import sys, followup, followup.cli; loaded = 'pluggy' in sys.modules; "
        "import followup.plugins._registry as p; print(loaded, p._manager is None)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "True"]


def test_a_built_in_command_loads_no_plugin_but_help_lists_plugin_commands(site: Site, tmp_path: Path) -> None:
    marker = tmp_path / "imported"
    site.install(
        "followup-hello",
        {
            "followup_hello": f"""
            import pathlib, click
            from followup import hookimpl
            pathlib.Path({str(marker)!r}).write_text("yes")

            @click.command()
            def hello():
                "Say hello from a plugin."
                click.echo("hello from a plugin")

            @hookimpl
            def followup_register_commands(register):
                register(hello)
            """
        },
        {"hello": "followup_hello"},
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site.root), *sys.path])}
    state = tmp_path / "state.yaml"
    state.write_text("version: 1\ncandidate: {name: A, email: a@example.org, timezone: UTC}\napplications: []\n")
    run = [sys.executable, "-m", "followup"]
    done = subprocess.run([*run, "validate", str(state)], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert not marker.exists()
    done = subprocess.run([*run, "--help"], capture_output=True, text=True, env=env)
    assert "hello" in done.stdout and marker.exists()
    done = subprocess.run([*run, "hello"], capture_output=True, text=True, env=env)
    assert (done.returncode, done.stdout) == (0, "hello from a plugin\n")


# ---------------------------------------------------------------------------
# Bad plugins: a clear message naming plugin and distribution; the rest keep working
# ---------------------------------------------------------------------------


def test_an_entry_point_that_fails_to_import_is_left_out(site: Site) -> None:
    site.install("followup-broken", {"followup_broken": "import no_such_module_anywhere\n"}, {"broken": "followup_broken"})
    site.channel("followup-pigeon", "pigeon", "pigeon")
    pm = fresh()
    assert len(pm.load_errors) == 1
    message = pm.load_errors[0]
    assert "plugin 'broken' (followup-broken 1.0)" in message
    assert "ModuleNotFoundError" in message and "no_such_module_anywhere" in message
    assert {"pigeon", "console", "outbox"} <= set(collect_channels(pm))


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "@hookimpl\ndef followup_register_channel(register):\n    pass\n",
            "followup_register_channel is not a followup hook; did you mean followup_register_channels?",
        ),
        (
            "@hookimpl\ndef followup_register_channels(regster):\n    pass\n",
            "followup_register_channels takes an argument 'regster' that the hook does not pass (did you mean 'register'?",
        ),
        (
            "def followup_register_channels(register):\n    pass\n",
            "followup_register_channels is not marked with @followup.hookimpl",
        ),
    ],
    ids=["hook-name", "argument", "no-marker"],
)
def test_a_misspelled_hook_is_left_out_with_a_message(site: Site, source: str, expected: str) -> None:
    site.install("followup-typo", {"followup_typo": "from followup import hookimpl\n" + source}, {"typo": "followup_typo"})
    site.channel("followup-pigeon", "pigeon", "pigeon")
    pm = fresh()
    assert pm.get_plugin("typo") is None
    [message] = pm.load_errors
    assert message.startswith("plugin 'typo' (followup-typo 1.0) was not loaded: ")
    assert expected in message
    assert "pigeon" in collect_channels(pm)


def test_two_distributions_with_one_plugin_name_keep_the_first_and_say_so(site: Site) -> None:
    site.channel("followup-pigeon", "pigeon", "pigeon")
    site.channel("followup-pigeon-fork", "pigeon", "forked")
    pm = fresh()
    channels = collect_channels(pm)
    assert ("pigeon" in channels) != ("forked" in channels)
    [message] = pm.load_errors
    assert "already has a plugin of that name" in message
    assert "followup-pigeon-fork" in message and "followup-pigeon " in message


def test_the_process_wide_manager_records_load_errors(site: Site) -> None:
    site.install("followup-broken", {"followup_broken": "raise RuntimeError('boom')\n"}, {"broken": "followup_broken"})
    get_plugin_manager()
    assert len(plugin_module.load_errors) == 1 and "boom" in plugin_module.load_errors[0]
    assert "console" in get_channels()


def test_two_channels_with_one_name_name_both_plugins(site: Site) -> None:
    site.channel("followup-pigeon", "pigeon", "pigeon")
    site.channel("followup-dove", "dove", "pigeon")
    with pytest.raises(PluginLoadError) as caught:
        collect_channels(fresh())
    message = str(caught.value)
    assert "channel 'pigeon' is registered by both" in message
    assert "plugin 'dove' (followup-dove 1.0)" in message and "plugin 'pigeon' (followup-pigeon 1.0)" in message
    assert "FOLLOWUP_DISABLE_PLUGINS" in message


def test_a_channel_clashing_with_a_built_in_names_both(site: Site) -> None:
    site.channel("followup-console", "myconsole", "console")
    with pytest.raises(PluginLoadError, match=r"'followup\.delivery\.channels\.console' \(followup [^)]*\) and plugin 'myconsole'"):
        collect_channels(fresh())


def test_two_stores_with_one_scheme_name_both_plugins(site: Site) -> None:
    source = """
    from followup import StoreSpec, hookimpl

    @hookimpl
    def followup_register_stores(register):
        register(StoreSpec(schemes=("memory",), open=lambda url: None))
    """
    site.install("followup-mem", {"followup_mem": source}, {"mem": "followup_mem"})
    with pytest.raises(PluginLoadError, match=r"store scheme 'memory' is registered by both .*plugin 'mem' \(followup-mem 1\.0\)"):
        collect_stores(fresh())


def test_two_operators_with_one_name_name_both_plugins() -> None:
    from followup import Operator

    class Plugin:
        @hookimpl
        def followup_register_operators(self, register: Callable[[Operator], None]) -> None:
            register(Operator("eq", {}, lambda operand: lambda value: True, "another eq"))

    with pytest.raises(PluginLoadError, match=r"operator 'eq' from .* is already registered by"):
        collect_vocabulary(plugin_manager_with(Plugin()))


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("ChannelSpec(name='sms', media=frozenset({'sms'}), idempotent=True, build=dict, description='x')", "media ['sms']"),
        ("ChannelSpec(name='', media=frozenset({'email'}), idempotent=True, build=dict)", "name '' must be"),
        ("ChannelSpec(name='x', media=frozenset({'email'}), idempotent='yes', build=dict)", "idempotent must be True or False"),
        ("{'name': 'x'}", "is not a followup.ChannelSpec"),
    ],
)
def test_a_malformed_channel_is_refused_naming_the_plugin(site: Site, spec: str, expected: str) -> None:
    source = f"from followup import ChannelSpec, hookimpl\n\n@hookimpl\ndef followup_register_channels(register):\n    register({spec})\n"
    site.install("followup-odd", {"followup_odd": source}, {"odd": "followup_odd"})
    with pytest.raises(PluginLoadError) as caught:
        collect_channels(fresh())
    assert "plugin 'odd' (followup-odd 1.0) registered a channel that cannot be used" in str(caught.value)
    assert expected in str(caught.value)


def test_a_register_hook_that_raises_skips_that_plugin_only(site: Site) -> None:
    source = "from followup import hookimpl\n\n@hookimpl\ndef followup_register_channels(register):\n    raise KeyError('oops')\n"
    site.install("followup-raises", {"followup_raises": source}, {"raises": "followup_raises"})
    pm = fresh()
    channels = collect_channels(pm)
    assert "console" in channels
    assert any("plugin 'raises' (followup-raises 1.0) raised KeyError in followup_register_channels" in e for e in pm.load_errors)
    # the process-wide manager's problems, as `followup plugins` shows them
    assert "console" in get_channels()
    assert any("plugin 'raises'" in e for e in plugin_module.load_errors)


# ---------------------------------------------------------------------------
# Environment controls
# ---------------------------------------------------------------------------


def test_load_plugins_is_an_allow_list_of_entry_points_or_distributions(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    site.channel("followup-pigeon", "pigeon", "pigeon")
    site.channel("followup-dove", "dove", "dove")
    monkeypatch.setenv("FOLLOWUP_LOAD_PLUGINS", "pigeon")
    pm = fresh()
    assert {"pigeon", "console"} <= set(collect_channels(pm)) and "dove" not in collect_channels(pm)
    assert "dove" in pm.skipped
    monkeypatch.setenv("FOLLOWUP_LOAD_PLUGINS", "followup-dove")
    assert "dove" in collect_channels(fresh()) and "pigeon" not in collect_channels(fresh())
    monkeypatch.setenv("FOLLOWUP_LOAD_PLUGINS", "")
    channels = collect_channels(fresh())
    assert "pigeon" not in channels and "dove" not in channels and "console" in channels


def test_disable_plugins_blocks_entry_points_and_built_ins(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    site.channel("followup-pigeon", "pigeon", "pigeon")
    monkeypatch.setenv("FOLLOWUP_DISABLE_PLUGINS", "pigeon, followup.delivery.channels.console")
    pm = fresh()
    channels = collect_channels(pm)
    assert "pigeon" not in channels and "console" not in channels and "outbox" in channels
    assert {"pigeon", "followup.delivery.channels.console"} <= set(pm.skipped)


def test_trace_prints_every_hook_call_including_register_hooks(
    site: Site, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FOLLOWUP_TRACE_PLUGINS", "1")
    pm = fresh()
    collect_channels(pm)
    pm.hook.followup_check_message(message=sample_message(), context={"config": {"spelling": {"enabled": False}}})
    err = capsys.readouterr().err
    assert "followup: followup_register_channels on followup.delivery.channels.console registered channel 'console'" in err
    assert "followup: calling followup_check_message on [followup.delivery.messages.checks]" in err
    assert "followup: followup_check_message -> " in err


def test_without_trace_nothing_is_printed(site: Site, capsys: pytest.CaptureFixture[str]) -> None:
    collect_channels(fresh())
    assert capsys.readouterr().err == ""


# ---------------------------------------------------------------------------
# Lifecycle events and delivery failures
# ---------------------------------------------------------------------------


class Listener:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.events: list[tuple[str, str]] = []

    def _seen(self, event: str, action: Any) -> None:
        self.events.append((event, action.key))
        if self.fail:
            raise RuntimeError(f"listener broke on {event}")

    @hookimpl
    def followup_action_due(self, action: Any) -> None:
        self._seen("due", action)

    @hookimpl
    def followup_action_delivered(self, action: Any, receipt: Receipt) -> None:
        self._seen("delivered", action)

    @hookimpl
    def followup_action_failed(self, action: Any, error: str, final: bool) -> None:
        self._seen(f"failed final={final}", action)

    @hookimpl
    def followup_action_suppressed(self, action: Any) -> None:
        self._seen("suppressed", action)


def _run(*plugins: object) -> tuple[Any, Any]:
    store = open_memory("memory:")
    store.import_state(sample_state())
    dispatcher = Dispatcher(store, config=Config(), plugin_manager=plugin_manager_with(*plugins))
    return dispatcher.run_once(SAMPLE_NOW), store


def test_notify_logs_a_raising_plugin_and_still_tells_the_others(caplog: pytest.LogCaptureFixture) -> None:
    broken, working = Listener(fail=True), Listener()
    pm = plugin_manager_with(broken, working)
    action = sample_message().action
    with caplog.at_level(logging.ERROR, logger="followup.plugins"):
        notify("followup_action_due", pm=pm, action=action)
    assert working.events == broken.events == [("due", action.key)]
    assert "plugin 'test-plugin-0'" in caplog.text and "followup_action_due" in caplog.text
    assert "listener broke on due" in caplog.text


def test_notify_refuses_what_is_not_an_event() -> None:
    pm = plugin_manager_with()
    with pytest.raises(ValueError, match="not a lifecycle event; the events are: followup_action_delivered"):
        notify("followup_register_channels", pm=pm, register=print)
    with pytest.raises(TypeError, match="needs final"):
        notify("followup_action_failed", pm=pm, action=None, error="x")


def test_a_raising_listener_does_not_stop_delivery() -> None:
    channel, broken, working = RecordingChannel(), Listener(fail=True), Listener()
    report, _ = _run(channel_plugin(channel), broken, working)
    assert len(report.delivered) == len(channel.keys) == 4
    assert sorted(working.events) == sorted(broken.events)


def test_a_channel_that_raises_fails_that_delivery_only() -> None:
    def fail(message: Message) -> None:
        if message.key.startswith("thank-you-note"):
            raise RuntimeError("the plugin has a bug")

    channel = RecordingChannel(fail=fail)  # type: ignore[arg-type]
    report, store = _run(channel_plugin(channel))
    assert len(report.delivered) == 3
    entry = store.outbox_entry("thank-you-note:acme:onsite:sam")
    assert entry.status == "retrying" and "RuntimeError: the plugin has a bug" in entry.error


# Each hook has a test of its own, named test_hook_<hook without followup_> (tests/test_hooks_documented.py
# checks that). The vocabulary hooks are in tests/test_plugin_operator.py.


def test_hook_action_due_fires_for_each_due_action() -> None:
    listener = Listener()
    _run(channel_plugin(RecordingChannel()), listener)
    due = [key for event, key in listener.events if event == "due"]
    assert sorted(due) == sorted(
        {
            "thank-you-note:acme:onsite:sam",
            "alert-references:acme::ref-a",
            "leverage-offer:acme:20261125T1500Z",
            "leverage-offer:initech:20261125T1500Z",
        }
    )


def test_hook_action_delivered_fires_after_recording_with_the_receipt() -> None:
    channel = RecordingChannel()
    seen: list[tuple[str, Receipt, str]] = []
    store = open_memory("memory:")
    store.import_state(sample_state())

    class Audit:
        @hookimpl
        def followup_action_delivered(self, action: Any, receipt: Receipt) -> None:
            entry = store.outbox_entry(action.key)
            seen.append((action.key, receipt, entry.status if entry else "none"))

    Dispatcher(store, config=Config(), plugin_manager=plugin_manager_with(channel_plugin(channel), Audit())).run_once(SAMPLE_NOW)
    assert sorted(key for key, _, _ in seen) == sorted(channel.keys)
    assert all(status == "delivered" and receipt.channel == "recorder" for _, receipt, status in seen)


def test_hook_action_failed_says_whether_it_is_final() -> None:
    from followup import DeliveryError

    def fail(message: Message) -> DeliveryError | None:
        if message.key.startswith("thank-you-note"):
            return DeliveryError("mailbox full", transient=True)
        if message.key.startswith("alert-references"):
            return DeliveryError("no such address", transient=False)
        return None

    listener = Listener()
    _run(channel_plugin(RecordingChannel(fail=fail)), listener)
    assert ("failed final=False", "thank-you-note:acme:onsite:sam") in listener.events
    assert ("failed final=True", "alert-references:acme::ref-a") in listener.events


def test_hook_action_suppressed_names_what_a_cap_holds_back() -> None:
    from followup import Engine, load_rulebook, load_state
    from followup.testing.stores import CONCURRENCY_RULES, concurrency_state

    store = open_memory("memory:")
    store.import_state(load_state(concurrency_state(1)))
    listener, channel = Listener(), RecordingChannel()
    pm = plugin_manager_with(channel_plugin(channel), listener)
    Dispatcher(store, engine=Engine(load_rulebook(CONCURRENCY_RULES)), config=Config(), plugin_manager=pm).run_once(SAMPLE_NOW)
    held = {key for event, key in listener.events if event == "suppressed"} - set(channel.keys)
    assert len(held) == 3


def test_hook_render_message_a_plugin_renderer_is_asked_first() -> None:
    channel = RecordingChannel()

    class Renderer:
        @hookimpl
        def followup_render_message(self, action: Any, context: Any) -> Message | None:
            if action.kind != "thank_you_note":
                return None  # the built-in renderer writes the others
            return dataclasses.replace(sample_message(), key=action.key, action=action, subject="Rendered by a plugin")

    report, _ = _run(channel_plugin(channel), Renderer())
    subjects = {m.key: m.subject for m in channel.delivered}
    assert subjects["thank-you-note:acme:onsite:sam"] == "Rendered by a plugin"
    assert len(report.delivered) == 4 and sum(s == "Rendered by a plugin" for s in subjects.values()) == 1


def test_hook_check_message_a_block_stops_that_delivery_with_its_reason() -> None:
    from followup import Block

    class NoLeverage:
        @hookimpl
        def followup_check_message(self, message: Message, context: Any) -> list[Block]:
            if message.kind == "leverage_follow_up":
                return [Block("no-leverage", "the candidate asked never to mention other offers")]
            return []

    channel = RecordingChannel()
    report, store = _run(channel_plugin(channel), NoLeverage())
    assert len(report.delivered) == 2
    entry = store.outbox_entry("leverage-offer:acme:20261125T1500Z")
    assert entry.status == "failed" and "no-leverage: the candidate asked never to mention other offers" in entry.error


def test_hook_register_channels_a_rule_channel_names_a_plugin_channel(register_plugin: Callable[..., Any], tmp_path: Path) -> None:
    from followup import Engine, load_rulebook

    channel = RecordingChannel("pigeon")
    register_plugin(channel_plugin(channel, name="pigeon", idempotent=False))
    assert get_channels()["pigeon"].idempotent is False
    rules = tmp_path / "rules.yaml"
    rules.write_text("extends: default\nrules:\n  - id: thank-you-note\n    channel: pigeon\n")
    store = open_memory("memory:")
    store.import_state(sample_state())
    report = Dispatcher(store, engine=Engine(load_rulebook(rules)), config=Config()).run_once(SAMPLE_NOW)
    assert channel.keys == ["thank-you-note:acme:onsite:sam"]
    assert {o.key: o.channel for o in report.outcomes}["thank-you-note:acme:onsite:sam"] == "pigeon"


def test_hook_register_stores_open_store_finds_a_plugin_scheme(register_plugin: Callable[..., Any]) -> None:
    from followup import StoreSpec

    opened: list[str] = []

    class Kept:
        @hookimpl
        def followup_register_stores(self, register: Callable[[StoreSpec], None]) -> None:
            def open_kept(url: str) -> Any:
                opened.append(url)
                return open_memory("memory:")

            register(StoreSpec(schemes=("kept",), open=open_kept, description="memory, by another name"))

    register_plugin(Kept(), "kept")
    store = open_store("kept://somewhere")
    try:
        assert opened == ["kept://somewhere"] and not store.has_state()
    finally:
        store.close()
    assert followup.stores.get_stores()["kept"].plugin == "kept"


def test_hook_register_commands_adds_a_subcommand(register_plugin: Callable[..., Any], capsys: pytest.CaptureFixture[str]) -> None:
    from followup.cli import _main as cli

    @click.command()
    @click.argument("who")
    def greet(who: str) -> None:
        """Greet someone."""
        click.echo(f"hello {who}")

    class Greeter:
        @hookimpl
        def followup_register_commands(self, register: Callable[[click.Command], None]) -> None:
            register(greet)

    register_plugin(Greeter(), "greeter")
    with pytest.raises(SystemExit) as done:
        cli.main(["greet", "Ada"])
    assert done.value.code == 0
    assert capsys.readouterr().out == "hello Ada\n"


def test_a_plugin_command_with_a_taken_name_is_an_error_naming_the_plugin(
    register_plugin: Callable[..., Any], capsys: pytest.CaptureFixture[str]
) -> None:
    from followup.cli import _main as cli

    class Clash:
        @hookimpl
        def followup_register_commands(self, register: Callable[[click.Command], None]) -> None:
            register(click.Command("agenda", callback=lambda: None))

    register_plugin(Clash(), "clash")
    with pytest.raises(SystemExit) as done:
        cli.main(["--help"])
    assert done.value.code == 1
    assert "plugin 'clash'" in capsys.readouterr().err
    assert "adds the command 'agenda', which followup already has" in str(_commands_error())


def _commands_error() -> PluginLoadError:
    from followup.cli import _main as cli

    try:
        cli.cli.plugin_commands()  # type: ignore[attr-defined]
    except PluginLoadError as exc:
        return exc
    raise AssertionError("expected a PluginLoadError")


# ---------------------------------------------------------------------------
# followup plugins
# ---------------------------------------------------------------------------


def _cli(*args: str) -> tuple[int, str, str]:
    from click.testing import CliRunner

    from followup.cli import _main as cli

    result = CliRunner().invoke(cli.cli, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_plugins_command_lists_third_party_plugins(site: Site) -> None:
    site.channel("followup-pigeon", "pigeon", "pigeon")
    code, out, err = _cli("plugins")
    assert code == 0 and err == ""
    assert "pigeon" in out and "followup-pigeon" in out and "register_channels" in out
    assert "followup.delivery.channels.console" not in out
    code, out, _ = _cli("plugins", "--all")
    assert "followup.delivery.channels.console" in out and "pigeon" in out


def test_plugins_command_json_with_hook_filter(site: Site) -> None:
    site.channel("followup-pigeon", "pigeon", "pigeon")
    code, out, _ = _cli("plugins", "--format", "json", "--hook", "followup_register_channels")
    assert code == 0
    report = json.loads(out)
    plugins = {p["name"]: p for p in report["plugins"]}
    assert "followup.delivery.channels.console" in plugins and "followup.stores.plugin" not in plugins
    assert all("followup_register_channels" in p["hooks"] for p in plugins.values())
    pigeon = plugins["pigeon"]
    assert pigeon == {
        "name": "pigeon",
        "distribution": "followup-pigeon",
        "version": "1.0",
        "builtin": False,
        "hooks": ["followup_register_channels"],
        "registers": {"channels": ["pigeon"]},
    }
    assert report["problems"] == []


def test_plugins_command_shows_problems_and_keeps_listing(site: Site) -> None:
    site.install("followup-broken", {"followup_broken": "import nowhere_to_be_found\n"}, {"broken": "followup_broken"})
    site.channel("followup-pigeon", "pigeon", "pigeon")
    site.channel("followup-dove", "dove", "pigeon")
    code, out, err = _cli("plugins")
    assert code == 0 and "pigeon" in out and "dove" in out
    assert "problem: plugin 'broken' (followup-broken 1.0) was not loaded" in err
    assert "channel 'pigeon' is registered by both" in err


def test_plugins_command_says_what_the_environment_left_out(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    site.channel("followup-pigeon", "pigeon", "pigeon")
    monkeypatch.setenv("FOLLOWUP_DISABLE_PLUGINS", "pigeon")
    code, out, _ = _cli("plugins")
    assert code == 0
    table, _, left_out = out.partition("Left out")
    assert "pigeon" not in table and left_out
    assert "Left out by FOLLOWUP_LOAD_PLUGINS/FOLLOWUP_DISABLE_PLUGINS: pigeon" in out


def test_plugins_command_unknown_hook_exits_1(site: Site, capsys: pytest.CaptureFixture[str]) -> None:
    from followup.cli import _main as cli

    with pytest.raises(SystemExit) as done:
        cli.main(["plugins", "--hook", "followup_register_channel"])
    assert done.value.code == 1
    assert "did you mean followup_register_channels?" in capsys.readouterr().err


# ---------------------------------------------------------------------------
# The console channel
# ---------------------------------------------------------------------------


def test_console_prints_a_readable_summary(capsys: pytest.CaptureFixture[str]) -> None:
    message = sample_message("email")
    receipt = ConsoleChannel().deliver(message)
    out = capsys.readouterr().out
    assert receipt == Receipt(channel="console", reference=message.key, detail="printed on standard output")
    assert f"── thank you note by email ── {message.key}\n" in out
    assert "To:      Sam Roe, Lead Engineer (Acme) <sam@acme.example>\n" in out
    assert f"Subject: {message.subject}\n\n" in out
    assert message.body.strip().splitlines()[0] in out


def test_console_shows_the_address_each_medium_needs_and_can_leave_out_the_body() -> None:
    postal = format_message(sample_message("postal"), body=False)
    assert "<Acme GmbH, Example Street 1, 10115 Berlin>" in postal
    assert "Subject:" in postal and postal.endswith("\n\n") and len(postal.strip().splitlines()) == 4
    assert "<+49 30 1234567>" in format_message(sample_message("fax"))
    reminder = format_message(sample_message("reminder"))
    assert "To:      Sam Roe, Lead Engineer (Acme)\n" in reminder


def test_console_is_not_idempotent_and_serves_every_medium() -> None:
    assert CONSOLE.idempotent is False
    assert CONSOLE.media == frozenset({"email", "postal", "fax", "phone", "reminder"})


class TestConsoleConformance(ChannelConformance):
    """The built-in console channel passes the suite third-party channels run."""

    plugin = followup.delivery.channels.console
    channel_name = "console"


class TestOutboxConformance(ChannelConformance):
    """So do the built-in outbox ..."""

    plugin = followup.delivery.channels
    channel_name = "outbox"

    def settings(self, tmp_path: Path) -> dict[str, Any]:
        return {"folder": str(tmp_path / "outbox")}

    def delivered(self, tmp_path: Path, settings: Any) -> list[str]:
        return [p.name + p.read_text(errors="replace") for p in Path(settings["folder"]).rglob("*") if p.is_file()]

    def failing_settings(self, tmp_path: Path) -> dict[str, Any]:
        (tmp_path / "a-file").write_text("in the way")
        return {"folder": str(tmp_path / "a-file" / "outbox")}


class TestCalendarConformance(ChannelConformance):
    """... and calendar channels."""

    plugin = followup.delivery.channels
    channel_name = "calendar"

    def settings(self, tmp_path: Path) -> dict[str, Any]:
        return {"file": str(tmp_path / "tasks.ics")}

    def failing_settings(self, tmp_path: Path) -> dict[str, Any]:
        (tmp_path / "a-file").write_text("in the way")
        return {"file": str(tmp_path / "a-file" / "tasks.ics")}


class _FailsEveryDelivery:
    def deliver(self, message: Message) -> Receipt:
        from followup import DeliveryError

        raise DeliveryError("the server is down", transient=False)


@pytest.mark.parametrize("media", [None, frozenset({"phone", "reminder"})], ids=["every-medium", "calendar-like"])
def test_the_conformance_suite_fails_a_channel_that_fails_every_delivery(tmp_path: Path, media: frozenset[str] | None) -> None:
    """The dispatcher test of the suite fails (not skips) when the channel's deliveries fail."""
    from followup.delivery import collect_channels

    plugin = channel_plugin(_FailsEveryDelivery(), name="broken", idempotent=False)

    class Broken(ChannelConformance):
        channel_name = "broken"

    Broken.plugin = plugin
    suite = Broken()
    spec = collect_channels(suite.plugin_manager())["broken"]
    if media is not None:
        spec = dataclasses.replace(spec, media=media)
    try:
        suite.test_the_dispatcher_delivers_through_it_once(spec, tmp_path)
    except AssertionError as exc:
        assert "the server is down" in str(exc)
    except pytest.skip.Exception as exc:
        pytest.fail(f"the suite skipped a channel whose every delivery fails: {exc}")
    else:
        pytest.fail("the suite passed a channel whose every delivery fails")


# ---------------------------------------------------------------------------
# The kit
# ---------------------------------------------------------------------------


def test_registered_cleans_up_and_refreshes_the_registries() -> None:
    plugin = channel_plugin(RecordingChannel(), name="temporary")
    assert "temporary" not in get_channels()
    with registered(plugin, "temporary"):
        assert "temporary" in get_channels()
    assert "temporary" not in get_channels()
    assert get_plugin_manager().get_plugin("temporary") is None


def test_registered_refuses_a_misspelled_hook() -> None:
    class Typo:
        @hookimpl
        def followup_register_chanels(self, register: Any) -> None:
            pass

    with pytest.raises(PluginLoadError, match="did you mean followup_register_channels"), registered(Typo(), "typo"):
        pass
    assert get_plugin_manager().get_plugin("typo") is None


def test_plugin_manager_fixture_has_the_built_ins_only(plugin_manager: PluginManager) -> None:
    names = {name for name, plugin in plugin_manager.list_name_plugin() if plugin is not None}
    assert names == set(DEFAULT_PLUGINS)


def test_fixed_clock(fixed_clock: FixedClock) -> None:
    assert fixed_clock() == SAMPLE_NOW and fixed_clock.iso == "2026-11-27T10:00:00+00:00"
    assert fixed_clock.advance(days=1, hours=2) == SAMPLE_NOW + dt.timedelta(days=1, hours=2)
    with pytest.raises(ValueError, match="only moves forward"):
        fixed_clock.advance(hours=-1)
    with pytest.raises(ValueError, match="no time zone"):
        fixed_clock.set(dt.datetime(2026, 1, 1))


def test_channel_spec_default_plugin_is_replaced_by_the_registering_plugin() -> None:
    spec = collect_channels(plugin_manager_with(channel_plugin(RecordingChannel(), name="stamped")))["stamped"]
    assert isinstance(spec, ChannelSpec) and spec.plugin == "test-plugin-0"


# ---------------------------------------------------------------------------
# Essential plugins, and hooks called through pluggy
# ---------------------------------------------------------------------------


def test_the_vocabulary_plugin_cannot_be_disabled(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    from followup import Engine, load_rulebook
    from followup.plugins import ESSENTIAL_PLUGINS
    from followup.rules import collect_vocabulary

    assert "followup.rules.plugin" in ESSENTIAL_PLUGINS
    monkeypatch.setenv("FOLLOWUP_DISABLE_PLUGINS", "followup.rules.plugin, followup.delivery.channels.console")
    pm = fresh()
    assert pm.get_plugin("followup.rules.plugin") is not None
    assert "followup.delivery.channels.console" in pm.skipped  # a plain built-in can still be left out
    assert any("cannot work without" in error and "followup.rules.plugin" in error for error in pm.load_errors)
    vocabulary = collect_vocabulary(pm)
    agenda = Engine(load_rulebook(vocabulary=vocabulary)).evaluate(sample_state(), SAMPLE_NOW)
    assert agenda.actions


def test_register_hooks_go_through_pluggy_so_wrappers_see_them() -> None:
    seen: list[str] = []

    class Wrapper:
        @hookimpl(wrapper=True)
        def followup_register_channels(self, register: Any) -> Any:
            seen.append("before")
            result = yield
            seen.append("after")
            return result

    class Pigeon:
        @hookimpl
        def followup_register_channels(self, register: Any) -> None:
            register(ChannelSpec(name="pigeon", media=frozenset({"email"}), idempotent=True, build=lambda settings: None))

    pm = build_plugin_manager(entry_points=False)
    pm.register(Wrapper(), name="wrapper")
    pm.register(Pigeon(), name="pigeon-plugin")
    traced: list[str] = []
    pm.trace.root.setwriter(traced.append)
    undo = pm.enable_tracing()
    try:
        channels = collect_channels(pm)
    finally:
        undo()
    assert seen == ["before", "after"]
    assert any("followup_register_channels" in line for line in traced)
    assert channels["pigeon"].plugin == "pigeon-plugin"  # attributed through the register callback
    assert channels["console"].plugin == "followup.delivery.channels.console"


def test_two_objects_of_one_class_are_told_apart() -> None:
    class Named:
        def __init__(self, name: str) -> None:
            self.name = name

        @hookimpl
        def followup_register_channels(self, register: Any) -> None:
            register(ChannelSpec(name=self.name, media=frozenset({"email"}), idempotent=True, build=lambda s: None))

    pm = build_plugin_manager(entry_points=False)
    pm.register(Named("one"), name="plugin-one")
    pm.register(Named("two"), name="plugin-two")
    channels = collect_channels(pm)
    assert (channels["one"].plugin, channels["two"].plugin) == ("plugin-one", "plugin-two")


def test_a_lifecycle_event_reaches_wrappers_and_survives_a_raising_plugin() -> None:
    heard: list[str] = []

    class Wrapper:
        @hookimpl(wrapper=True)
        def followup_action_due(self, action: Any) -> Any:
            heard.append("wrapper")
            return (yield)

    class Raises:
        @hookimpl
        def followup_action_due(self, action: Any) -> None:
            heard.append("raises")
            raise RuntimeError("boom")

    class Listens:
        @hookimpl(trylast=True)
        def followup_action_due(self, action: Any) -> None:
            heard.append("listens")

    pm = build_plugin_manager(entry_points=False)
    for index, plugin in enumerate((Listens(), Raises(), Wrapper())):
        pm.register(plugin, name=f"p{index}")
    notify("followup_action_due", pm=pm, action=object())
    assert heard.count("raises") == 1 and heard.count("listens") == 1  # nobody hears it twice
    assert heard[0] == "wrapper"
