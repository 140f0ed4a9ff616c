"""The built-in message checks: header safety, spelling, unfilled placeholders, the recipient's contact detail.

Each is a :func:`~followup.plugins.hookspecs.followup_check_message` implementation that
returns :class:`followup.Block` reasons; any block stops the delivery.

Spelling uses pyspellchecker's dictionary (English by default; ``[spelling]
language`` in the configuration picks another). Every word that goes out is
checked, the state's positions, titles, topics and strengths included; the only
words accepted without the dictionary are people's and companies' names, the
configuration's ``[spelling] words`` and the personal word list (``[spelling]
word_list``). A blocked message names each word and where it came from: the state
file and line, or the template and line. Words written entirely in capitals
(acronyms such as ``BI`` or ``ML``), email addresses, links and anything with a
digit are not checked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from ...plugins import hookimpl
from .._channel import Block, Message

if TYPE_CHECKING:
    from spellchecker import SpellChecker

__all__ = ["check_contact_detail", "check_headers", "check_placeholders", "check_spelling", "misspelled", "workplace_words"]

#: which :class:`followup.Party` attribute each medium needs
_DETAIL = {"email": "email", "postal": "postal_address", "fax": "fax"}
_DETAIL_NAME = {"email": "an email address", "postal": "a postal address", "fax": "a fax number"}

_PLACEHOLDER = re.compile(
    r"\{\{.*?\}\}|\{%.*?%\}|\{\{|\}\}|\{%|%\}"  # template syntax that leaked through
    r"|\[\[[^\]]*\]\]|<<[^>]*>>"  # [[NAME]], <<NAME>>
    r"|\[(?:[A-Z][A-Z _]+|name|company|title|position|date)\]"  # [NAME], [company]
    r"|\b(?:TODO|TBD|FIXME|XXX|None|null|undefined)\b"
)


@lru_cache(maxsize=1)
def workplace_words() -> frozenset[str]:
    """The shipped list of working-life words the general dictionary lacks (``roadmap``)."""
    from importlib.resources import files

    text = files("followup.delivery.messages").joinpath("workplace_words.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#"))


@lru_cache(maxsize=4)
def _dictionary(language: str) -> SpellChecker:
    from spellchecker import SpellChecker

    return SpellChecker(language=language)


class _Either:
    """Membership in either of two sets, without joining them."""

    __slots__ = ("first", "second")

    def __init__(self, first: set[str] | frozenset[str], second: set[str] | frozenset[str]) -> None:
        self.first, self.second = first, second

    def __contains__(self, word: object) -> bool:
        return word in self.first or word in self.second


def misspelled(text: str, known: Iterable[str] = (), *, language: str = "en") -> dict[str, list[str]]:
    """The words of ``text`` the dictionary does not know, each with up to three suggestions.

    :param known: extra words to accept (compared case-insensitively).
    :return: ``{word as written: [suggestions]}``, in the order the words appear.
    """
    from ._words import words

    extra = {word.lower() for word in known}
    workplace = workplace_words()
    accepted = _Either(extra, workplace)  # no copy of the shipped word list per message
    dictionary = _dictionary(language)
    found: dict[str, list[str]] = {}
    candidates: dict[str, str] = {}
    for word in words(text):
        if len(word) < 2 or word.isupper() or word in found:
            continue
        lowered = word.lower()
        if lowered in accepted:
            continue
        base = re.sub(r"'s$", "", lowered)
        if base in accepted:
            continue
        candidates.setdefault(word, base)
    unknown = dictionary.unknown(set(candidates.values()))
    for word, base in candidates.items():
        if base in unknown and base.replace("'", "") not in accepted:
            suggestions = sorted(
                dictionary.candidates(base) or (), key=lambda w: (-dictionary.word_usage_frequency(w), w)
            )
            found[word] = [s for s in suggestions if s != base][:3]
    return found


def check_spelling(message: Message, context: Mapping[str, Any]) -> list[Block]:
    """Block a message with a word the dictionary does not know, naming where it came from.

    Accepted without the dictionary: people's and companies' names (the state's and
    the message's sender and recipient), ``[spelling] words`` and the personal word
    list. Titles, positions, topics and strengths from the state are checked.
    """
    settings = (context.get("config") or {}).get("spelling") or {}
    if settings.get("enabled") is False:
        return []
    known: set[str] = set(context.get("known_words") or ())
    if not known and context.get("state") is not None:
        from . import known_words

        known = set(known_words(context["state"]))
    from ._words import words

    for extra in [*(settings.get("words") or ()), *(settings.get("personal_words") or ())]:
        known.update(word.lower() for word in words(str(extra)))
    for party in (message.sender, message.recipient):
        if party is not None:
            for text in (party.name, party.organisation):
                if text:
                    known.update(word.lower() for word in words(text))
    wrong = misspelled(f"{message.subject}\n{message.body}", known, language=str(settings.get("language", "en")))
    if not wrong:
        return []
    listed = "; ".join(
        f"{word!r}{_origin(word, message, context)} (did you mean {' or '.join(repr(s) for s in suggestions)}?)"
        if suggestions
        else f"{word!r}{_origin(word, message, context)} (no suggestion)"
        for word, suggestions in wrong.items()
    )
    return [
        Block(
            "spelling",
            f"{message.key}: misspelled {listed}. Fix the template or the state, or add the word to your "
            "personal word list ([spelling] word_list) or to [spelling] words in the configuration file",
        )
    ]


def _origin(word: str, message: Message, context: Mapping[str, Any]) -> str:
    """`` from <state file:line> (<field>)`` or `` from template <file:line>``, or nothing."""
    from ..messages import state_texts
    from ..messages._words import words

    lowered = word.lower()
    state = context.get("state")
    if state is not None:
        application = message.action.application if message.action is not None else None
        texts = state_texts(state)
        mine = f"applications[{application}]" if application else None
        texts.sort(key=lambda item: 0 if mine and item[0].startswith(f"{mine}.") else 1)
        for label, text in texts:
            if lowered in (w.lower() for w in words(text)):
                where = state.sources.get(label)
                place = f"{where}, " if where else "the state, "
                return f" from {place}{label} {text!r}"
    line = _template_line(lowered, message.kind, context)
    return f" from template {line}" if line else ""


def _template_line(word: str, kind: str, context: Mapping[str, Any]) -> str | None:
    """Where a template (or the shared macros) writes ``word``: ``file:line``."""
    from pathlib import Path

    import jinja2

    from ..messages import get_renderer

    folder = (context.get("config") or {}).get("template_dir")
    env = get_renderer(Path(folder) if folder else None).env
    pattern = re.compile(rf"(?<![\w']){re.escape(word)}(?![\w'])", re.IGNORECASE)
    for name in (f"{kind}.txt", "_common.txt"):
        try:
            source, filename, _ = env.loader.get_source(env, name)  # type: ignore[union-attr]
        except jinja2.TemplateNotFound:
            continue
        for number, text in enumerate(source.splitlines(), start=1):
            if pattern.search(text):
                return f"{Path(filename).name if filename else name}:{number}"
    return None


def check_placeholders(message: Message, context: Mapping[str, Any]) -> list[Block]:
    """Block a message with template syntax, a ``[NAME]``-style placeholder, or a ``None`` left in it."""
    found: list[str] = []
    for text in (message.subject, message.body):
        for match in _PLACEHOLDER.finditer(text):
            if match.group(0) not in found:
                found.append(match.group(0))
    if not found:
        return []
    listed = ", ".join(repr(item) for item in found)
    return [
        Block("placeholders", f"{message.key}: unfilled placeholder {listed}; a value the template needs is missing")
    ]


def check_contact_detail(message: Message, context: Mapping[str, Any]) -> list[Block]:
    """Block an email, letter or fax whose recipient lacks the address that medium needs.

    Phone calls and reminders are tasks for the candidate and need no detail.
    """
    attribute = _DETAIL.get(message.medium)
    if attribute is None:
        return []
    recipient = message.recipient
    if recipient is None:
        return [
            Block("contact-detail", f"{message.key}: a {message.medium} message needs a recipient, and it has none")
        ]
    if getattr(recipient, attribute):
        return []
    who = recipient.name or "the recipient"
    return [
        Block(
            "contact-detail",
            f"{message.key}: {who} has no {attribute.replace('_', ' ')} on file, and this {message.medium} message "
            f"needs {_DETAIL_NAME[message.medium]}; add '{attribute}' to them in the state",
        )
    ]


#: media whose messages are written as emails (the outbox keeps letters as .eml files)
_MAILED = frozenset({"email", "fax", "postal"})


def check_headers(message: Message, context: Mapping[str, Any]) -> list[Block]:
    """Block a message whose subject, names or addresses hold a line break, raw or RFC 2047 encoded.

    The email channels refuse such a message too; this check makes ``followup preview``
    say so before anything is sent.
    """
    if message.medium not in _MAILED:
        return []
    from ..channels import header_problem

    values: list[tuple[str, str | None]] = [("subject", message.subject)]
    for role, party in (("sender", message.sender), ("recipient", message.recipient)):
        if party is not None:
            values += [(f"{role} name", party.name), (f"{role} email", party.email)]
    values += [(f"header {name}", value) for name, value in message.headers.items()]
    blocks = []
    for what, value in values:
        problem = header_problem(value)
        if problem is not None:
            assert value is not None
            shown = value if len(value) <= 80 else value[:80] + "…"
            blocks.append(
                Block("headers", f"{message.key}: the {what} {shown!r} {problem}; it cannot go into an email header")
            )
    return blocks


@hookimpl
def followup_check_message(message: Message, context: Mapping[str, Any]) -> list[Block] | None:
    """Run the built-in checks; cheap ones first, so a message missing an address fails fast."""
    blocks = check_headers(message, context) + check_contact_detail(message, context)
    blocks += check_placeholders(message, context)
    blocks += check_spelling(message, context)
    return blocks
