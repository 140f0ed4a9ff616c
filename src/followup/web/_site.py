"""Where the web agenda's state lives, which rules and clock it uses, and who may reach it."""

from __future__ import annotations

import datetime as dt
import hmac
import ipaddress
import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._errors import InvalidInput

if TYPE_CHECKING:
    from ..engine import Engine
    from ..journal import Journal
    from ..state import State

__all__ = ["LOOPBACK_HOSTS", "TOKEN_VARIABLE", "Site", "is_loopback"]

#: the environment variable holding the access token a non-loopback bind requires
TOKEN_VARIABLE = "FOLLOWUP_WEB_TOKEN"
LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable from this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass
class Site:
    """What ``followup serve`` serves.

    :ivar state_path: a state file to read and write (or ``None`` with ``store_url``).
    :ivar store_url: a store to read and write instead of a file.
    :ivar rules: rulebook paths (empty: the shipped default rulebook).
    :ivar now: a fixed instant to evaluate at (tests, demos); ``None``: the clock.
    :ivar host: the address the server binds to; not loopback needs ``token``.
    :ivar token: the access token (from ``FOLLOWUP_WEB_TOKEN``); required on every
        request when set.
    :ivar feed_token: the secret in the calendar feed's URL.
    """

    state_path: str | None = None
    store_url: str | None = None
    rules: Sequence[str] = ()
    now: dt.datetime | None = None
    host: str = "127.0.0.1"
    token: str | None = None
    feed_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    csrf_secret: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    _engine: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if (self.state_path is None) == (self.store_url is None):
            raise InvalidInput.single("serve", "give a state file or --store URL (one of them)")
        if not is_loopback(self.host) and not self.token:
            raise InvalidInput.single(
                "--host",
                f"{self.host!r} is reachable from other machines; set {TOKEN_VARIABLE} to a secret token "
                "(every request must then carry it), or bind to 127.0.0.1",
            )

    @property
    def where(self) -> str:
        """The state file or store URL, as shown on the pages."""
        return self.state_path if self.state_path is not None else str(self.store_url)

    @property
    def label(self) -> str:
        """What the pages call the state: the file's name, or the store URL without a password."""
        if self.state_path is not None:
            return Path(self.state_path).name
        from urllib.parse import urlsplit

        parts = urlsplit(str(self.store_url))
        if parts.password is None:
            return str(self.store_url)
        host = parts.hostname or ""
        user = f"{parts.username}@" if parts.username else ""
        port = f":{parts.port}" if parts.port else ""
        return parts._replace(netloc=f"{user}{host}{port}").geturl()

    @property
    def public(self) -> bool:
        """Whether the server is reachable from other machines (and so needs the token)."""
        return not is_loopback(self.host)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            from ..engine import Engine
            from ..rules import load_rulebooks

            self._engine = Engine(load_rulebooks(list(self.rules)))
        engine: Engine = self._engine
        return engine

    def moment(self, tz: dt.tzinfo) -> dt.datetime:
        """The instant the pages are worked out at, on the candidate's clock."""
        from .._time import UTC

        return (self.now or dt.datetime.now(UTC)).astimezone(tz)

    @contextmanager
    def journal(self) -> Iterator[Journal]:
        """The journal writes go through: the state file, or the store (opened per request)."""
        from ..journal import StateFile, StoreJournal

        if self.state_path is not None:
            yield StateFile(self.state_path)
            return
        from ..stores import open_store

        store = open_store(self.store_url, create=False)
        try:
            yield StoreJournal(store)
        finally:
            store.close()

    def load(self) -> State:
        with self.journal() as journal:
            return journal.load()

    # -- tokens ------------------------------------------------------------

    def csrf_token(self, session: str) -> str:
        """The form token for the browser session ``session`` (a random cookie value)."""
        return hmac.new(self.csrf_secret, session.encode(), "sha256").hexdigest()

    def csrf_ok(self, session: str | None, token: str | None) -> bool:
        if not session or not token:
            return False
        return hmac.compare_digest(self.csrf_token(session), token)

    def token_ok(self, given: str | None) -> bool:
        """Whether ``given`` is the access token (always true when none is required)."""
        if not self.token:
            return True
        return given is not None and hmac.compare_digest(given.encode(), self.token.encode())

    def feed_ok(self, given: str) -> bool:
        return hmac.compare_digest(given.encode(), self.feed_token.encode())
