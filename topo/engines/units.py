"""The input cut into units that other processes can read, in input order.

A :class:`Unit` is a group of whole files, or a line range of a large JSON Lines file (cut
at line ends, each range knowing its first line number). Whatever process reads a unit,
the traces and errors are the ones reading the whole input here gives for that part.

>>> units = plan_units(["samples/aws-osaka-tokyo"], jobs=2)
>>> [(u.paths[0].rsplit("/", 1)[-1], u.start, u.end) for u in units]
[('traceroute.txt', 0, None)]
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from topo.errors import ParseError
from topo.inputs import MAX_ERRORS_PER_FILE, display_name, iter_input_paths, read_traces
from topo.inputs.reading import ReadProgress, limited_json_lines, max_json_bytes, splittable_parser
from topo.model import Trace
from topo.parsers.checks import checked
from topo.parsers.json_input import iter_json_lines
from topo.topology.analyze import Job

#: A JSON Lines file larger than this is cut into line ranges read by different processes.
SPLIT_BYTES = 8 * 1024 * 1024
#: Units planned per process (a process's part is a run of consecutive units).
UNITS_PER_JOB = 16
#: The fewest bytes of files in one unit (many small files travel together).
MIN_UNIT_BYTES = 256 * 1024
#: Bytes read at a time when :func:`_line_starts` scans a file.
SCAN_BYTES = 1 << 20


@dataclass(frozen=True)
class Unit:
    """A piece of the input: whole files, or bytes ``start``-``end`` of one file.

    ``first_line`` is the line number at ``start``; ``error`` is a problem found while
    listing the inputs (a missing file), reported in its place.
    """

    paths: tuple[str, ...] = ()
    start: int = 0
    end: int | None = None
    first_line: int = 1
    size: int = 0
    error: ParseError | None = None

    @property
    def is_range(self) -> bool:
        return self.end is not None

    @property
    def files_started(self) -> int:
        """The input files this unit starts (a line range other than a file's first
        continues one): what the progress line counts as files read."""
        return 0 if self.is_range and self.start else len(self.paths)


def _line_starts(path: str, cuts: Sequence[int]) -> list[tuple[int, int]]:
    r"""For each cut (a byte offset), the first line start at or after it and that line's
    number, ``(offset, line)`` (the file's end, when its last line ends just after a
    cut); cuts past the last line end are dropped, and cuts that share a line start
    give it once. The file is read once, :data:`SCAN_BYTES` at a time.

    >>> import tempfile
    >>> with tempfile.NamedTemporaryFile("wb", suffix=".jsonl", delete=False) as f:
    ...     _ = f.write(b"a\nbb\nccc\n")
    >>> _line_starts(f.name, [0, 1, 2, 3, 9, 10])
    [(0, 1), (2, 2), (5, 3), (9, 4)]
    """
    found: list[tuple[int, int]] = []
    with Path(path).open("rb", buffering=0) as handle:
        offset, line = 0, 1  # the chunk's first byte: its offset and line number
        chunk = handle.read(SCAN_BYTES)
        for cut in sorted(cuts):
            if found and cut <= found[-1][0]:
                continue  # the line start found last is this cut's too
            if cut == 0:
                found.append((0, 1))
                continue
            # just after the first new line at or after cut - 1
            newline = -1
            while chunk and (newline := chunk.find(b"\n", max(cut - 1 - offset, 0))) < 0:
                line += chunk.count(b"\n")
                offset += len(chunk)
                chunk = handle.read(SCAN_BYTES)
            if newline < 0:
                break  # past the last line end
            at = offset + newline + 1
            found.append((at, line + chunk.count(b"\n", 0, newline + 1)))
    return found


def _ranges(path: str, size: int, pieces: int) -> list[Unit]:
    cuts = [size * i // pieces for i in range(pieces)]
    starts = sorted(set(_line_starts(path, cuts)))
    units = []
    for index, (start, line) in enumerate(starts):
        end = starts[index + 1][0] if index + 1 < len(starts) else size
        if end > start:
            units.append(Unit((path,), start, end, line, end - start))
    return units


def plan_units(
    paths: Iterable[str | Path],
    *,
    jobs: int,
    format: str | None = None,
    encoding: str | None = None,
) -> list[Unit]:
    """Cut the inputs into units, in input order (each input listed as
    :func:`topo.inputs.read_traces` would read it)."""
    entries: list[str | ParseError] = list(iter_input_paths(paths))
    sizes = {}
    for entry in entries:
        if isinstance(entry, str):
            try:
                sizes[entry] = os.stat(entry).st_size if entry != "-" else 0  # noqa: PTH116
            except OSError:
                sizes[entry] = 0
    target = max(sum(sizes.values()) // max(jobs * UNITS_PER_JOB, 1), MIN_UNIT_BYTES)
    units: list[Unit] = []
    group: list[str] = []
    group_size = 0

    def flush() -> None:
        nonlocal group, group_size
        if group:
            units.append(Unit(tuple(group), size=group_size))
        group, group_size = [], 0

    for entry in entries:
        if isinstance(entry, ParseError):
            flush()
            units.append(Unit(error=entry))
            continue
        size = sizes[entry]
        if (
            jobs > 1
            and size > SPLIT_BYTES
            and splittable_parser(entry, format=format, encoding=encoding) is not None
        ):
            flush()
            pieces = max(min(jobs * UNITS_PER_JOB, size // (SPLIT_BYTES // 4)), 2)
            units.extend(_ranges(entry, size, pieces))
            continue
        group.append(entry)
        group_size += size
        if group_size >= target:
            flush()
    flush()
    return units


def consecutive_groups(units: Sequence[Unit], count: int, first: float = 1.0) -> list[list[Unit]]:
    """``units`` cut into at most ``count`` consecutive groups of about equal size, the
    first ``first`` times the size of each other.

    >>> sizes = [Unit(size=1)] * 100
    >>> [len(g) for g in consecutive_groups(sizes, 3)]
    [34, 33, 33]
    >>> [len(g) for g in consecutive_groups(sizes, 2, 1.5)]
    [60, 40]
    """
    total = sum(max(u.size, 1) for u in units)
    shares = first + count - 1
    groups: list[list[Unit]] = [[]]
    done = 0
    for unit in units:
        cut = total * (first + len(groups) - 1) / shares
        if groups[-1] and done >= cut and len(groups) < count:
            groups.append([])
        groups[-1].append(unit)
        done += max(unit.size, 1)
    return [g for g in groups if g]


class _Limited(io.RawIOBase):
    """The next ``remaining`` bytes of a binary file."""

    def __init__(self, handle: Any, remaining: int) -> None:
        self._handle = handle
        self._remaining = remaining

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        size = min(len(buffer), self._remaining)
        if size <= 0:
            return 0
        data = self._handle.read(size)
        buffer[: len(data)] = data
        self._remaining -= len(data)
        return len(data)


def _range_items(unit: Unit, job: Job) -> Iterator[Trace | ParseError]:
    """The traces and errors of a line range of one JSON Lines file (not capped: errors
    are capped per file across its ranges, by :class:`ErrorCap`)."""
    path = unit.paths[0]
    source = display_name(path)
    parser = splittable_parser(path, format=job.format, encoding=job.encoding)
    if parser is None:  # the file changed since it was planned
        yield ParseError("changed while being read", path=source)
        return
    with Path(path).open("rb") as handle:
        handle.seek(unit.start)
        remaining = (unit.end or 0) - unit.start
        reader = io.BufferedReader(_Limited(handle, remaining), 256 * 1024)
        lines = limited_json_lines(
            reader, source=source, limit=max_json_bytes(), first_line=unit.first_line
        )
        records = iter_json_lines(lines, source=source, first_line=unit.first_line)
        yield from checked(parser.parse_records(records, source=source), source)  # type: ignore[attr-defined]


def unit_items(
    unit: Unit, job: Job, progress: ReadProgress | None = None
) -> Iterator[Trace | ParseError]:
    """The traces and errors of one unit, in input order."""
    if unit.error is not None:
        yield unit.error
    elif unit.is_range:
        yield from _range_items(unit, job)
    else:
        yield from read_traces(
            unit.paths, format=job.format, encoding=job.encoding, progress=progress
        )


class ErrorCap:
    """Reports errors in input order, at most :data:`~topo.inputs.MAX_ERRORS_PER_FILE` per
    file across the line ranges of a split file (a whole file's reader caps its own)."""

    def __init__(self, report: Callable[[ParseError], None]) -> None:
        self.report = report
        self.shown: dict[str, int] = {}
        self.hidden: dict[str, int] = {}
        self.current: str | None = None

    def add(self, unit: Unit, error: ParseError) -> None:
        source = display_name(unit.paths[0]) if unit.is_range else None
        if self.current is not None and source != self.current:
            self.flush()
        self.current = source
        if source is not None:
            if self.shown.get(source, 0) >= MAX_ERRORS_PER_FILE:
                self.hidden[source] = self.hidden.get(source, 0) + 1
                return
            self.shown[source] = self.shown.get(source, 0) + 1
        self.report(error)

    def flush(self) -> None:
        source = self.current
        if source is not None and self.hidden.get(source):
            count = self.hidden.pop(source)
            self.report(ParseError(f"{count} more errors in this file not shown", path=source))
