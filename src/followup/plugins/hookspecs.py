"""Every hook followup calls, in one place.

Plugins implement these with :data:`followup.hookimpl`. Hooks receive a
``register`` callback rather than returning values, so the core validates what
each plugin contributes and names the plugin when two of them clash.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click

    from ..delivery import Block, ChannelSpec, Message, Receipt
    from ..engine import Action
    from ..rules import Fact, Operator
    from ..stores import StoreSpec

__all__ = ["PROJECT"]

PROJECT = "followup"

_hookspec = pluggy.HookspecMarker(PROJECT)

# ---------------------------------------------------------------------------
# Rulebook vocabulary
# ---------------------------------------------------------------------------


@_hookspec
def followup_register_operators(register: Callable[[Operator], None]) -> None:
    """Add condition operators that rulebooks can use as ``{fact: NAME, OPERATOR: operand}``.

    Each operator brings the JSON Schema of its operand, so rulebooks that use it are
    validated as strictly as with a built-in one; a rulebook naming an operator that
    no installed plugin registers is rejected with the operator's name.

    :param register: call once per :class:`followup.Operator`; a name registered
        twice is an error naming both plugins.

    All implementations are called; the return value is ignored.
    """


@_hookspec
def followup_register_facts(register: Callable[[Fact], None]) -> None:
    """Add facts that rules can read, such as ``application.recruiter_email``.

    A fact's name starts with the level it needs (``candidate``, ``application``,
    ``interview``, ``interviewer`` or ``reference``); its getter receives a
    :class:`followup.Scope` and returns the value, or ``None`` when unset. Getters
    must be pure: the engine calls them in its loop and expects the same answer
    for the same state and instant.

    :param register: call once per :class:`followup.Fact`.

    All implementations are called; the return value is ignored.
    """


# ---------------------------------------------------------------------------
# Delivery channels and stores
# ---------------------------------------------------------------------------


@_hookspec
def followup_register_channels(register: Callable[[ChannelSpec], None]) -> None:
    """Add delivery channels (email, outbox, fax, calendar, webhook, …).

    A :class:`followup.ChannelSpec` names the channel, the media and action kinds it
    serves, whether it is idempotent, its configuration schema and how to build it.
    A rule's ``channel:`` may name a medium or a channel.

    :param register: call once per channel; two channels with the same name are an
        error naming both plugins.

    All implementations are called; the return value is ignored.
    """


@_hookspec
def followup_register_stores(register: Callable[[StoreSpec], None]) -> None:
    """Add storage backends, chosen by the scheme of a store URL.

    :param register: call once per :class:`followup.StoreSpec`; a scheme claimed by
        two plugins is an error naming both.

    All implementations are called; the return value is ignored.
    """


# ---------------------------------------------------------------------------
# Messages
# ---------------------------------------------------------------------------


@_hookspec(firstresult=True)
def followup_render_message(action: Action, context: Mapping[str, Any]) -> Message | None:
    """Write the message for an action that is about to be delivered.

    :param action: the action, with its kind, recipient and channel.
    :param context: what the message may mention: ``action``, ``state``,
        ``candidate``, ``application``, ``interview``, ``interviewer``,
        ``interviewers``, ``reference``, ``recipient`` (a :class:`followup.Party` or
        ``None``), ``medium``, ``now``, ``config``, ``competing_offer`` and
        ``known_words``.
    :return: the message, or ``None`` to let the next implementation render it.

    First result wins: a plugin registered later (a third-party one) is asked
    before the built-in renderer.
    """


@_hookspec
def followup_check_message(message: Message, context: Mapping[str, Any]) -> list[Block] | None:
    """Check a rendered message before it is delivered.

    :param message: the rendered message.
    :param context: as for :func:`followup_render_message`.
    :return: the reasons to block it (empty or ``None`` to let it through).

    All implementations are called; any block stops the delivery and is recorded
    with its reason.
    """


# ---------------------------------------------------------------------------
# Lifecycle events (for audit logs, metrics, notifications)
#
# Sent with followup.plugins.notify: every implementation is called, one that
# raises is logged with its plugin's name, and neither the others nor the
# delivery are affected.
# ---------------------------------------------------------------------------


@_hookspec
def followup_action_due(action: Action) -> None:
    """An action has become due (or overdue) and is about to be claimed.

    :param action: the action.

    All implementations are called; one that raises is logged and does not stop
    the others or the dispatcher.
    """


@_hookspec
def followup_action_delivered(action: Action, receipt: Receipt) -> None:
    """An action's message was delivered and the delivery recorded in the store.

    :param action: the action.
    :param receipt: what the channel reported.

    All implementations are called; exceptions are logged and ignored.
    """


@_hookspec
def followup_action_failed(action: Action, error: str, final: bool) -> None:
    """Delivering an action failed.

    :param action: the action.
    :param error: what went wrong.
    :param final: ``True`` if it will not be retried (permanent, out of attempts,
        or blocked by a message check).

    All implementations are called; exceptions are logged and ignored.
    """


@_hookspec
def followup_action_suppressed(action: Action) -> None:
    """A cap held an action back; ``action.cap`` and ``action.reason`` say which and why.

    Sent each time the dispatcher evaluates the application while the action is held.

    :param action: the action; ``action.frees_at`` says when the cap lets go, when known.

    All implementations are called; exceptions are logged and ignored.
    """


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------


@_hookspec
def followup_register_commands(register: Callable[[click.Command], None]) -> None:
    """Add subcommands to the ``followup`` command line.

    :param register: call once per :class:`click.Command`; a name already taken is
        an error naming the plugin. Plugin commands are looked up only when the
        command name is not one of followup's own (or for ``--help``).

    All implementations are called; the return value is ignored.
    """
