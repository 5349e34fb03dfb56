"""Warnings the command line shows sparingly: the age of the shipped data, at most once a
day per user (a stamp file in the user cache folder) and never with ``--quiet``.

>>> import tempfile, pathlib
>>> stamp = pathlib.Path(tempfile.mkdtemp()) / "topo" / "data-age-warned"
>>> due_today(stamp, now=1_000_000.0), due_today(stamp, now=1_000_100.0)
(True, False)
>>> due_today(stamp, now=1_000_000.0 + 86_400)
True
"""

from __future__ import annotations

import os
import time
from pathlib import Path

#: How long a data-age warning stays quiet after it was shown (seconds).
QUIET_FOR = 86_400.0
STAMP_NAME = "data-age-warned"


def stamp_path() -> Path:
    """The stamp file: ``data-age-warned`` in the user's cache folder (``~/.cache/topo``)."""
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("topo", appauthor=False)) / STAMP_NAME


def due_today(stamp: Path | None = None, *, now: float | None = None) -> bool:
    """Whether the data-age warning is due: no stamp younger than :data:`QUIET_FOR`. When
    it is, the stamp is renewed; a stamp that cannot be read or written (an unwritable
    cache folder) leaves the warning due, every time."""
    stamp = stamp if stamp is not None else stamp_path()
    now = time.time() if now is None else now
    try:
        if 0 <= now - stamp.stat().st_mtime < QUIET_FOR:
            return False
    except OSError:
        pass  # no stamp yet
    try:
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.touch()
        os.utime(stamp, (now, now))
    except OSError:
        pass  # cannot remember: warn every time
    return True
