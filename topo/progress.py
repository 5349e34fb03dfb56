"""A progress line for long ingests: files and bytes read, traces and traces per second.

Written to standard error, and only when it is a terminal: redirected output, pipes and
``--quiet`` stay silent. The line is redrawn at most a few times a second.

>>> import io
>>> progress = IngestProgress(io.StringIO())
>>> progress.enabled
False
>>> progress.file("a.jsonl"); progress.read(2_500_000); progress.traces(10)
>>> progress.text().split(" (")[0]
'1 file, 2.5 MB, 10 traces'
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


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
        self.started = time.monotonic()
        self._drawn = 0.0
        self._width = 0

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

    def text(self) -> str:
        """The status line."""
        elapsed = max(time.monotonic() - self.started, 1e-9)
        files = f"{self.files} file" + ("" if self.files == 1 else "s")
        return (
            f"{files}, {self.bytes / 1e6:.1f} MB, {self.count} traces "
            f"({self.count / elapsed:,.0f} traces/s)"
        )

    def _maybe_draw(self) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._drawn >= self.interval:
            self._drawn = now
            self._draw()

    def _draw(self) -> None:
        line = "topo: " + self.text()
        self.stream.write("\r" + line.ljust(self._width))
        self.stream.flush()
        self._width = len(line)

    def close(self) -> None:
        """Draw the final counts and end the line (nothing when disabled)."""
        if self.enabled and self._width:
            self._draw()
            self.stream.write("\n")
            self.stream.flush()
