"""The mailbox: replies and sent notes found over IMAP, and the morning digest.

Owns reading a mailbox read-only over IMAP with TLS or STARTTLS (``_imap``: the
settings of ``[mail]`` in the configuration, the connection, ``EXAMINE`` and
``BODY.PEEK`` only, every failure a one-line :class:`MailError`), telling which
messages are the employer's or the candidate's notes to them (``_match``), proposing
what a reply says (``_meaning``), the sync itself with the position remembered per
mailbox (``_sync``), and the one message a day that lists what is due
(``_digest``, settings in ``[digest]``).

May import: ``followup.journal``, ``followup.delivery``, ``followup.stores``,
``followup.engine``, ``followup.rules``, ``followup.state``, ``followup.plugins``,
``followup._errors``, ``followup._time``, ``followup._private``. Only ``cli`` and
``web`` import it. Nothing here imports ``imaplib`` or ``ssl`` until a sync runs.
"""

from __future__ import annotations

from ._digest import Digest, DigestReport, DigestSettings, FileClaims, StoreClaims, build_digest, send_digest
from ._imap import MailError, MailSettings
from ._match import Addresses, Found
from ._meaning import propose
from ._sync import SyncReport, sync

__all__ = [
    "Addresses",
    "Digest",
    "DigestReport",
    "DigestSettings",
    "FileClaims",
    "Found",
    "MailError",
    "MailSettings",
    "StoreClaims",
    "SyncReport",
    "build_digest",
    "propose",
    "send_digest",
    "sync",
]
