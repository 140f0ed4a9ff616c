"""The built-in message renderer: sandboxed Jinja2 templates for every kind of the default rulebook.

Registered as a plugin (``followup.delivery.messages``) implementing
:func:`~followup.plugins.hookspecs.followup_render_message`. A third-party renderer
registered through an entry point is asked first; this one answers for any kind
that has a template (shipped or in the user's ``template_dir``) and raises a
permanent :class:`followup.DeliveryError` for a kind that has none.

Use from Python::

    from followup.delivery.messages import build_context, render_message

    context = build_context(state, action, config.as_context(), now=now)
    message = render_message(context)
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...engine import Action
from ...plugins import hookimpl
from .._channel import Message
from ._context import WRITTEN_KINDS, build_context, known_words, medium_of, recipient_party

if TYPE_CHECKING:
    from ._render import Renderer, get_renderer

__all__ = [
    "WRITTEN_KINDS",
    "Renderer",
    "build_context",
    "get_renderer",
    "known_words",
    "medium_of",
    "recipient_party",
    "render_message",
]


def render_message(context: Mapping[str, Any]) -> Message:
    """Render the message for ``context['action']`` with the user's templates, if configured.

    :param context: from :func:`build_context`; ``context['config']['template_dir']``
        (an absolute path, as :meth:`followup.delivery.Config.as_context` gives it)
        selects the user's template folder.
    :raises followup.DeliveryError: (permanent) the template is missing or fails.
    """
    from ._render import get_renderer

    folder = (context.get("config") or {}).get("template_dir")
    return get_renderer(Path(folder) if folder else None).render(context)


@hookimpl(trylast=True)
def followup_render_message(action: Action, context: Mapping[str, Any]) -> Message | None:
    """Render ``action`` from the templates (see :func:`render_message`).

    ``trylast``: any other renderer (a third-party plugin) is asked first, whatever
    the order the plugins were registered in.
    """
    if context.get("action") is not action:
        context = {**context, "action": action}
    return render_message(context)


def __getattr__(name: str) -> Any:
    # Jinja2 is imported when something is rendered, not when the plugin is loaded
    # (``followup agenda`` loads every plugin and renders nothing).
    if name in ("Renderer", "get_renderer"):
        from . import _render

        return getattr(_render, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
