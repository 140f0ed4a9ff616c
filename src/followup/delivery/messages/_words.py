"""Splitting text into the words a spelling check looks at."""

from __future__ import annotations

import re

__all__ = ["words"]

# Addresses, links and anything with a digit are not words to check.
_SKIP = re.compile(r"\S+@\S+|https?://\S+|www\.\S+|\S*\d\S*")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")


def words(text: str) -> list[str]:
    """The words of ``text``, in order; hyphenated words come apart, contractions stay whole."""
    cleaned = _SKIP.sub(" ", text)
    return [word.replace("’", "'") for word in _WORD.findall(cleaned)]
