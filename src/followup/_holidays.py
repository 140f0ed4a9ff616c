"""Public holidays by country, subdivision and year, kept on disk between runs.

Importing the ``holidays`` package costs more than the rest of a ``followup agenda``
(it reads every country's module); the dates it gives for one calendar and one year
never change for one installed version of it. So each answer is written to a small
JSON file in the user's cache folder (``FOLLOWUP_CACHE_DIR``, else the platform's
cache folder for followup; an empty ``FOLLOWUP_CACHE_DIR`` turns the file off), named
after the installed ``holidays`` package's version file, so that upgrading it starts
a new one. ``holidays`` is imported only for what the file does not know yet.

The file is written whole to a temporary file beside it and moved into place, so a
reader never sees half of it; two processes writing at once lose, at worst, the other's
newest entries, which are worked out again next time. A file that cannot be read or
written is ignored: the cache only saves time.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
import zlib
from pathlib import Path
from typing import Any

__all__ = ["check_calendar", "holiday_dates"]

_memory: dict[str, Any] | None = None
_path: Path | None = None


def _cache_file() -> Path | None:
    """Where the cache of the installed ``holidays`` lives, or ``None`` (turned off, or no package)."""
    from importlib.util import find_spec

    folder = os.environ.get("FOLLOWUP_CACHE_DIR")
    if folder == "":
        return None
    spec = find_spec("holidays")
    if spec is None or spec.origin is None:
        return None
    try:
        stamp = os.stat(Path(spec.origin).parent / "version.py")
    except OSError:
        return None
    if folder is None:
        import platformdirs

        folder = str(platformdirs.user_cache_path("followup", appauthor=False))
    key = f"{stamp.st_mtime_ns:x}-{stamp.st_size:x}-{zlib.crc32(spec.origin.encode()):x}"
    return Path(folder) / f"holidays-{key}.json"


def _cache() -> dict[str, Any]:
    global _memory, _path
    if _memory is None:
        _memory, _path = {"calendars": [], "years": {}}, _cache_file()
        if _path is not None:
            try:
                data = json.loads(_path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                data = None
            if isinstance(data, dict) and isinstance(data.get("calendars"), list) and isinstance(data.get("years"), dict):
                _memory = data
    return _memory


def _save() -> None:
    if _path is None or _memory is None:
        return
    try:
        _path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle, temporary = tempfile.mkstemp(dir=_path.parent, prefix=".holidays-", suffix=".json")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(_memory, out, separators=(",", ":"))
        os.replace(temporary, _path)
    except OSError:
        pass


def _name(country: str, subdivision: str | None) -> str:
    return f"{country}|{subdivision or ''}"


def check_calendar(country: str, subdivision: str | None) -> None:
    """Raise :class:`NotImplementedError` unless ``holidays`` knows this country and subdivision."""
    cache = _cache()
    name = _name(country, subdivision)
    if name in cache["calendars"]:
        return
    import holidays

    holidays.country_holidays(country, subdiv=subdivision, years=[])
    cache["calendars"].append(name)
    _save()


def holiday_dates(country: str, subdivision: str | None, year: int) -> frozenset[dt.date]:
    """The public holidays of ``country`` (and ``subdivision``) in ``year``."""
    cache = _cache()
    key = f"{_name(country, subdivision)}|{year}"
    known = cache["years"].get(key)
    if isinstance(known, list):
        try:
            return frozenset(dt.date.fromisoformat(day) for day in known)
        except (TypeError, ValueError):
            pass
    import holidays

    dates = frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year).keys())
    cache["years"][key] = sorted(day.isoformat() for day in dates)
    _save()
    return dates
