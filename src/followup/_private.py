"""Files that hold the job search are private: folders 0700, files 0600, whatever the umask.

The store, the calendar file, the outbox's messages and what ``followup calendar``
or ``followup export`` write all say who the candidate talks to, when and about
what. Another user of the machine must not be able to read them, so the modes are
set explicitly rather than left to the umask. Files are written atomically: a
temporary file in the same folder, flushed, then renamed over the target.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["FILE_MODE", "FOLDER_MODE", "private_folder", "write_private"]

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
