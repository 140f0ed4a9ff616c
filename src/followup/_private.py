"""Files that hold the job search are private: folders 0700, files 0600, whatever the umask.

The store, the calendar file, the outbox's messages and what ``followup calendar``
or ``followup export`` write all say who the candidate talks to, when and about
what. Another user of the machine must not be able to read them, so the modes are
set explicitly rather than left to the umask. Files are written atomically: a
temporary file in the same folder, flushed, then renamed over the target.
"""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from pathlib import Path

__all__ = ["FILE_MODE", "FOLDER_MODE", "private_folder", "safe_name", "write_private"]

FILE_MODE = 0o600
FOLDER_MODE = 0o700


def private_folder(folder: Path) -> None:
    """Create ``folder`` (and missing parents) if needed; a folder made here is 0700.

    A folder that already exists keeps its mode: it is the user's choice.
    """
    if folder.is_dir():
        return
    if not folder.parent.is_dir():
        folder.parent.mkdir(parents=True, exist_ok=True)
    try:
        folder.mkdir(mode=FOLDER_MODE)
    except FileExistsError:
        return
    os.chmod(folder, FOLDER_MODE)


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically, as a 0600 file (its folder made 0700 if new)."""
    private_folder(path.parent)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            os.fchmod(stream.fileno(), FILE_MODE)
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


#: letters that Unicode does not decompose into an ASCII letter and a mark
_LETTERS = str.maketrans({"æ": "ae", "Æ": "AE", "ø": "o", "Ø": "O", "ß": "ss", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D",
                          "þ": "th", "Þ": "TH", "œ": "oe", "Œ": "OE", "ı": "i"})  # fmt: skip


def safe_name(text: str, longest: int = 60) -> str:
    """``text`` as a part of a file name or an id: ASCII letters and digits joined by ``-``.

    ``Ærø Café & Co.`` -> ``aero-cafe-co``. Whatever ``text`` holds (a path separator,
    ``..``, a NUL, control characters, 10,000 characters), the result is never empty
    (``x`` for a text without letters or digits), never longer than ``longest``,
    and holds nothing but ``a-z``, ``0-9`` and single inner ``-``.
    """
    folded = unicodedata.normalize("NFKD", text[: longest * 8].translate(_LETTERS))
    ascii_text = folded.encode("ascii", "ignore").decode("ascii").casefold()
    words = re.findall(r"[a-z0-9]+", ascii_text)
    made = ""
    for word in words:
        candidate = f"{made}-{word}" if made else word
        if len(candidate) > longest:
            break
        made = candidate
    return made or (words[0][:longest] if words else "x")
