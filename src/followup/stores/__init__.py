"""Storage backends: :mod:`~followup.stores.memory`, :mod:`~followup.stores.sqlite`,
and :mod:`~followup.stores.sql`, the shared SQL implementation that the SQLite store
and the ``followup-postgresql`` plugin build on."""
