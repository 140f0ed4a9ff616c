"""The channel conformance suite: what every delivery channel must do.

Subclass :class:`ChannelConformance` in your plugin's tests, name your plugin and
channel, and give settings that work on the test machine::

    import followup_maildir
    from followup.testing import ChannelConformance


    class TestMaildir(ChannelConformance):
        plugin = followup_maildir
        channel_name = "maildir"
        entry_point = "maildir"  # checked only when set

        def settings(self, tmp_path):
            return {"path": str(tmp_path / "Mail")}

        def delivered(self, tmp_path, settings):  # what arrived, each text with the message's key
            return [p.name + p.read_text() for p in (tmp_path / "Mail" / "new").iterdir()]

pytest then runs every ``test_*`` method below: the spec is well formed and its
schema is valid JSON Schema; the settings pass that schema; the channel builds and
delivers a real message of each medium it claims; an idempotent channel delivering
the same message twice has the effect of once; a failure is a
:class:`followup.DeliveryError` saying whether it is transient; and the dispatcher,
given a rule-routed configuration, delivers the sample state's due actions through
the channel exactly once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from ..delivery import MEDIA, Channel, ChannelSpec, DeliveryError, Message, Party, Receipt

__all__ = ["ChannelConformance", "sample_message", "sample_messages"]

#: the full set of contact details, so a message of any medium has its address
_RECIPIENT = Party(
    name="Sam Roe",
    title="Lead Engineer",
    email="sam@acme.example",
    postal_address="Acme GmbH\nExample Street 1\n10115 Berlin",
    fax="+49 30 1234567",
    phone="+49 30 7654321",
    organisation="Acme",
)


def sample_message(medium: str = "email") -> Message:
    """A real rendered thank-you note from the sample state, carried by ``medium``.

    The recipient has every contact detail, so any medium has the address it needs.
    """
    from ..delivery import Config
    from ..delivery.messages import build_context, render_message
    from ..engine import Engine
    from ..rules import load_rulebook
    from .stores import SAMPLE_NOW, sample_state

    if medium not in MEDIA:
        raise ValueError(f"unknown medium {medium!r}; the media are {', '.join(sorted(MEDIA))}")
    state = sample_state()
    agenda = Engine(load_rulebook()).evaluate(state, SAMPLE_NOW)
    action = agenda.get("thank-you-note:acme:onsite:sam")
    assert action is not None, "the sample state no longer has its thank-you note due"
    message = render_message(build_context(state, action, Config().as_context(), now=SAMPLE_NOW))
    return dataclasses.replace(message, medium=medium, recipient=_RECIPIENT, key=f"{message.key}:{medium}")


def sample_messages(media: frozenset[str] | set[str] = MEDIA) -> list[Message]:
    """:func:`sample_message` once per medium in ``media``, in name order."""
    return [sample_message(medium) for medium in sorted(media)]


class ChannelConformance:
    """Behaviour every channel must have. Set :attr:`plugin` and :attr:`channel_name`; override the rest as needed."""

    #: the plugin (usually your module) whose ``followup_register_channels`` registers the channel
    plugin: object = None
    #: the name the channel registers under
    channel_name: str = ""
    #: the entry-point name in the ``followup`` group, to check the installed distribution (optional)
    entry_point: str | None = None

    def settings(self, tmp_path: Path) -> Mapping[str, Any]:
        """Settings (as under ``[channels.NAME]``) with which delivering works on this machine."""
        return {}

    def delivered(self, tmp_path: Path, settings: Mapping[str, Any]) -> list[str] | None:
        """Everything that arrived at the destination, one text per delivery (``None``: cannot be read back).

        Each text must contain the message's :attr:`~followup.Message.idempotency_key`
        or its :attr:`~followup.Message.key` (in a header, a file name, a UID), which
        is how the suite tells deliveries apart and counts them.
        """
        return None

    def failing_settings(self, tmp_path: Path) -> Mapping[str, Any] | None:
        """Settings with which delivering fails (a closed port, a read-only folder); ``None`` to skip that test."""
        return None

    # -- helpers --------------------------------------------------------------------

    def plugin_manager(self) -> Any:
        """The built-ins (no entry points) plus :attr:`plugin`, unless it is a built-in itself."""
        from ..plugins import build_plugin_manager

        pm = build_plugin_manager(entry_points=False)
        if pm.get_name(self.plugin) is None:
            pm.add_plugin(self.plugin, f"{self.channel_name}-under-test")
            assert not pm.load_errors, pm.load_errors
        return pm

    @pytest.fixture
    def spec(self) -> ChannelSpec:
        """The channel's spec, collected the way followup collects it (validated, duplicates refused)."""
        from ..delivery import collect_channels

        if self.plugin is None or not self.channel_name:
            pytest.fail(f"{type(self).__name__} must set `plugin` and `channel_name`")
        channels = collect_channels(self.plugin_manager())
        assert self.channel_name in channels, (
            f"the plugin registers {sorted(channels)}, not {self.channel_name!r}"
        )
        return channels[self.channel_name]

    @pytest.fixture
    def channel(self, spec: ChannelSpec, tmp_path: Path) -> Channel:
        return spec.build(self.settings(tmp_path))

    def _count(self, tmp_path: Path, settings: Mapping[str, Any], message: Message) -> int | None:
        arrived = self.delivered(tmp_path, settings)
        if arrived is None:
            return None
        return sum(1 for text in arrived if message.idempotency_key in text or message.key in text)

    # -- the spec ---------------------------------------------------------------------

    def test_spec_is_well_formed(self, spec: ChannelSpec) -> None:
        import jsonschema

        assert spec.media and spec.media <= MEDIA, spec.media
        assert isinstance(spec.idempotent, bool)
        assert spec.kinds is None or all(isinstance(kind, str) for kind in spec.kinds)
        assert spec.description, "a one-line description is shown by `followup channels`"
        jsonschema.Draft202012Validator.check_schema(dict(spec.config_schema))

    def test_settings_match_the_schema(self, spec: ChannelSpec, tmp_path: Path) -> None:
        from ..delivery import validate_channel_settings

        settings = self.settings(tmp_path)
        validate_channel_settings(spec.name, settings, spec.config_schema, "<conformance test>")
        assert spec.is_configured(settings), "is_configured says these working settings are incomplete"

    def test_the_schema_refuses_an_unknown_setting(self, spec: ChannelSpec, tmp_path: Path) -> None:
        from .._errors import InvalidInput
        from ..delivery import validate_channel_settings

        settings = {**self.settings(tmp_path), "no_such_setting_xyz": 1}
        with pytest.raises(InvalidInput, match="no_such_setting_xyz"):
            validate_channel_settings(spec.name, settings, spec.config_schema, "<conformance test>")

    def test_installed_entry_point_registers_it(self) -> None:
        if self.entry_point is None:
            pytest.skip("no entry_point given")
        from importlib.metadata import entry_points

        from ..delivery import collect_channels
        from ..plugins import PluginManager

        found = [e for e in entry_points(group="followup") if e.name == self.entry_point]
        assert found, f"no entry point {self.entry_point!r} in the 'followup' group: is the distribution installed?"
        pm = PluginManager()
        assert pm.add_plugin(found[0].load(), self.entry_point), pm.load_errors
        assert self.channel_name in collect_channels(pm)

    # -- delivering -------------------------------------------------------------------

    def test_builds_a_channel(self, channel: Channel) -> None:
        assert isinstance(channel, Channel)

    def test_delivers_every_medium_it_claims(self, spec: ChannelSpec, channel: Channel, tmp_path: Path) -> None:
        settings = self.settings(tmp_path)
        for message in sample_messages(spec.media):
            receipt = channel.deliver(message)
            assert isinstance(receipt, Receipt), f"deliver returned {receipt!r}, not a followup.Receipt"
            assert receipt.channel == spec.name, f"the receipt names channel {receipt.channel!r}"
            count = self._count(tmp_path, settings, message)
            assert count in (None, 1), f"{message.medium}: the message arrived {count} times"

    def test_idempotent_delivery_has_the_effect_of_once(self, spec: ChannelSpec, tmp_path: Path) -> None:
        if not spec.idempotent:
            pytest.skip("the channel is not idempotent")
        settings = self.settings(tmp_path)
        message = sample_messages(spec.media)[0]
        first = spec.build(settings).deliver(message)
        second = spec.build(settings).deliver(message)  # a new instance, as after a crash and restart
        assert first.reference == second.reference
        count = self._count(tmp_path, settings, message)
        if count is None:
            pytest.skip("delivered() cannot read back what arrived")
        assert count == 1, f"delivered twice, arrived {count} times"

    def test_a_failure_is_a_delivery_error(self, spec: ChannelSpec, tmp_path: Path) -> None:
        settings = self.failing_settings(tmp_path)
        if settings is None:
            pytest.skip("failing_settings() gives no way to fail")
        message = sample_messages(spec.media)[0]
        with pytest.raises(DeliveryError) as caught:
            spec.build(settings).deliver(message)
        assert isinstance(caught.value.transient, bool)
        assert str(caught.value), "a delivery error says what went wrong"

    # -- with the dispatcher ------------------------------------------------------------

    def test_the_dispatcher_delivers_through_it_once(self, spec: ChannelSpec, tmp_path: Path) -> None:
        from ..delivery import Config, Dispatcher
        from ..stores.memory import open_memory
        from .stores import SAMPLE_NOW, sample_state

        settings = self.settings(tmp_path)
        config = Config(data={"channels": {spec.name: dict(settings)}, "routes": dict.fromkeys(spec.media, spec.name)})
        store = open_memory("memory:")
        try:
            store.import_state(sample_state())
            dispatcher = Dispatcher(store, config=config, plugin_manager=self.plugin_manager())
            first = dispatcher.run_once(SAMPLE_NOW)
            ours = [o.key for o in first.outcomes if o.result == "delivered" and o.channel == spec.name]
            if not ours:
                pytest.skip(f"none of the sample state's due actions goes by {', '.join(sorted(spec.media))}")
            assert not [o for o in first.outcomes if o.result not in ("delivered", "suppressed")], first.outcomes
            assert dispatcher.run_once(SAMPLE_NOW).outcomes == []
            arrived = self.delivered(tmp_path, settings)
            if arrived is not None:
                assert len(arrived) == len(ours), f"{len(ours)} deliveries reported, {len(arrived)} arrived"
        finally:
            store.close()
