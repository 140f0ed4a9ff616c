"""The ``fax`` channel: email to an email-to-fax gateway, through the ``email`` channel's SMTP.

Settings (``[channels.fax]``): ``gateway``, an address pattern such as
``"{number}@fax.example"`` where ``{number}`` becomes the recipient's fax number in
digits only (``+49 40 5550 3399`` → ``494055503399``), plus the SMTP settings of the
email channel (write ``extends = "email"`` to reuse ``[channels.email]``).

The gateway faxes the message; the letter (HTML) goes along as the rich
alternative for gateways that render it. Like SMTP, not idempotent.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .._channel import DeliveryError, Message
from ._schemas import FAX_SCHEMA
from .smtp import SmtpChannel, recipient_detail, smtp_settings

__all__ = ["FAX_SCHEMA", "FaxChannel", "build_fax", "gateway_address"]



def gateway_address(pattern: str, number: str, *, key: str = "fax") -> str:
    """The gateway address for a fax number: ``pattern`` with ``{number}`` replaced by its digits."""
    digits = re.sub(r"\D", "", number)
    if len(digits) < 5:
        raise DeliveryError(f"{key}: the fax number {number!r} has too few digits to dial", transient=False)
    return pattern.replace("{number}", digits)


@dataclass(frozen=True)
class FaxChannel(SmtpChannel):
    """An :class:`~followup.delivery.channels.smtp.SmtpChannel` that addresses the fax gateway."""

    gateway: str = "{number}@fax.invalid"

    def recipient_address(self, message: Message) -> str:
        """The gateway address for the recipient's fax number."""
        return gateway_address(self.gateway, recipient_detail(message, "fax", "fax number"), key=message.key)


def build_fax(settings: Mapping[str, Any]) -> FaxChannel:
    """The ``fax`` channel from its settings."""
    return FaxChannel(**smtp_settings(settings, channel="fax"), gateway=str(settings["gateway"]))
