"""A progress line for long ingests: files and bytes read, traces and traces per second.

Written to standard error, and only when it is a terminal: redirected output, pipes and
``--quiet`` stay silent. The line is redrawn at most a few times a second. When the
input's size is known (:meth:`IngestProgress.expect`) it also says how much of it is read
and about how long the rest will take; once the reading is over it says what the run is
doing instead (:meth:`IngestProgress.stage`: merging the workers' parts, building the
graph), the traces per second kept at what the reading achieved.

>>> import io
>>> progress = IngestProgress(io.StringIO())
>>> progress.enabled
False
>>> progress.file("a.jsonl"); progress.read(2_500_000); progress.traces(10)
>>> progress.text().split(" (")[0]
'1 file, 2.5 MB, 10 traces'
>>> progress.expect(10_000_000)
>>> progress.text().split(", 10 traces")[0]
'1 file, 2.5 of 10.0 MB (25%)'
"""

from __future__ import annotations

import shutil
import sys
import time
from typing import TextIO

#: The least reading time before the line guesses how long the rest will take.
ESTIMATE_AFTER_S = 2.0


class IngestProgress:
    """Counts what an ingest read and redraws one status line on a terminal."""

    def __init__(
        self, stream: TextIO | None = None, *, enabled: bool | None = None, interval: float = 0.25
    ):
        self.stream = stream if stream is not None else sys.stderr
        isatty = getattr(self.stream, "isatty", None)
        self.enabled = bool(isatty and isatty()) if enabled is None else enabled
        self.interval = interval
        self.files = 0
        self.bytes = 0
        self.count = 0
        #: The bytes the whole input holds, when known (:meth:`expect`).
        self.total: int | None = None
        self.started = time.monotonic()
        #: When the reading ended (the first :meth:`stage`), and what the run does now.
        self._read_until: float | None = None
        self._stage = ""
        self._drawn = 0.0
        self._width = 0

    def expect(self, total_bytes: int | None) -> None:
        """The input holds ``total_bytes`` (``None`` or 0: not known, standard input)."""
        self.total = total_bytes or None

    def file(self, name: str) -> None:
        """A new input started."""
        self.files += 1
        self._maybe_draw()

    def read(self, nbytes: int) -> None:
        """``nbytes`` more bytes were read."""
        self.bytes += nbytes
        self._maybe_draw()

    def traces(self, count: int = 1) -> None:
        """``count`` more traces were parsed."""
        self.count += count
        self._maybe_draw()

    def stage(self, what: str) -> None:
        """The reading is over and the run is now doing ``what`` (drawn at once).

        >>> import io
        >>> progress = IngestProgress(io.StringIO())
        >>> progress.traces(3); progress.stage("merging 2 parts")
        >>> progress.text().endswith("traces/s); merging 2 parts")
        True
        """
        if self._read_until is None:
            self._read_until = time.monotonic()
        self._stage = what
        if self.enabled:
            self._drawn = time.monotonic()
            self._draw()

    def text(self) -> str:
        """The status line."""
        now = time.monotonic()
        reading = self._read_until is None
        elapsed = max((now if reading else self._read_until or now) - self.started, 1e-9)
        files = f"{self.files:,} file" + ("" if self.files == 1 else "s")
        size = f"{self.bytes / 1e6:.1f} MB"
        left = ""
        if reading and self.total:
            done = min(self.bytes / self.total, 1.0)
            size = f"{self.bytes / 1e6:.1f} of {self.total / 1e6:.1f} MB ({done:.0%})"
            if elapsed >= ESTIMATE_AFTER_S and 0.01 <= done < 1.0:
                left = f", about {_duration(elapsed * (1 - done) / done)} left"
        rate = f"{self.count / elapsed:,.0f} traces/s"
        text = f"{files}, {size}, {self.count:,} traces ({rate}){left}"
        return f"{text}; {self._stage}" if self._stage else text

    def _maybe_draw(self) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._drawn >= self.interval:
            self._drawn = now
            self._draw()

    def _draw(self) -> None:
        line = "topo: " + self.text()
        columns = shutil.get_terminal_size((120, 24)).columns
        line = line[: max(columns - 1, 20)]  # a wrapped line could not be drawn over
        self.stream.write("\r" + line.ljust(self._width))
        self.stream.flush()
        self._width = len(line)

    def close(self) -> None:
        """Draw the final counts (no stage) and end the line (nothing when disabled)."""
        if self._read_until is None:
            self._read_until = time.monotonic()
        self._stage = ""
        if self.enabled and self._width:
            self._draw()
            self.stream.write("\n")
            self.stream.flush()


def _duration(seconds: float) -> str:
    """``"40 s"``, ``"3 min"``, ``"2 h 5 min"``.

    >>> _duration(39.6), _duration(185), _duration(7500)
    ('40 s', '3 min', '2 h 5 min')
    """
    if seconds < 90:
        return f"{seconds:.0f} s"
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60} min"
