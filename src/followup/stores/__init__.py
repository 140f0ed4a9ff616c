"""Storage: where state, the contact log and the outbox live.

Owns the :class:`Store` protocol, :class:`OutboxEntry`, :class:`StoreSpec`, store URLs
(:func:`open_store`, :func:`default_store_url`) and the document form of a state
(``_store``); the backends :mod:`~followup.stores.memory`,
:mod:`~followup.stores.sqlite` and :mod:`~followup.stores.sql` (the shared SQL
implementation the SQLite store and the ``followup-postgresql`` plugin build on); and
the plugin :mod:`followup.stores.plugin` that registers ``memory:`` and ``sqlite:``.

May import: ``followup.engine`` (for :class:`~followup.Action`), ``followup.state``,
``followup.plugins`` (to collect the installed stores, :func:`get_stores`), ``followup._errors``,
``followup._time``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_attributes

if TYPE_CHECKING:
    from ._store import (
        JOURNAL,
        Activation,
        OutboxEntry,
        Store,
        StoreError,
        StoreSpec,
        SubjectFault,
        action_from_dict,
        action_to_dict,
        collect_stores,
        default_store_url,
        get_stores,
        open_store,
        state_to_document,
        utc,
    )


__all__ = [
    "JOURNAL", "Activation", "OutboxEntry", "Store", "StoreError", "StoreSpec", "SubjectFault", "action_from_dict",
    "action_to_dict", "collect_stores", "default_store_url", "get_stores", "open_store", "state_to_document", "utc",
]

# Imported on first use: the built-in store plugin is registered without the store code.
__getattr__, __dir__ = lazy_attributes(__name__, dict.fromkeys(__all__, "._store"), __all__)
