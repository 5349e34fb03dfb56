"""The build pipeline over several processes (``--jobs N``) or a Dask cluster (``--engine dask``).

The input is cut into :class:`Unit` pieces in input order: groups of whole files, and line
ranges of a large JSON Lines file (cut at line ends, each range knowing its first line
number). Runs of consecutive units are read, resolved and aggregated
(:func:`topo.pipeline.aggregate`) into a :class:`~topo.pipeline.Partial` each, by the
processes that share them out as they go (:class:`_Shares`: one that is done early takes
over the later half of a slower one's units); the parent merges the partials in input
order, so the graph, the inference and the errors are the same as one process reading
everything (the tests check node, edge and attribute equality).

Worker processes are forked (Linux): they inherit the parent's loaded published ranges and
owner tables instead of loading them again, and open their own owner cache (SQLite is
shared between processes, never a connection across a fork). With ``--online`` each
worker looks its own addresses up, sharing the cache file.

Dask: the same units become Dask futures (one task per unit) on the cluster at
``--scheduler ADDRESS``, or on a local cluster of ``--jobs`` worker processes; workers need
topo installed and the input paths readable (a shared file system). Their partials are
counted on the progress line and merged in input order as they come back, so this process
holds only the ones that came before their turn.

>>> units = plan_units(["samples/aws-osaka-tokyo"], jobs=2)
>>> [(u.paths[0].rsplit("/", 1)[-1], u.start, u.end) for u in units]
[('traceroute.txt', 0, None)]
"""

from __future__ import annotations

import io
import logging
import multiprocessing
import os
import pickle
import select
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import nullcontext, suppress
from dataclasses import dataclass, field, replace
from itertools import chain
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

try:
    import fcntl
except ImportError:  # Windows: no fork, no pipes of workers
    fcntl = None  # type: ignore[assignment]

from topo.engines.cpus import usable_cpus
from topo.errors import ParseError, TopoError
from topo.inputs import MAX_ERRORS_PER_FILE, display_name, iter_input_paths, read_traces
from topo.inputs.manifest import Manifest
from topo.inputs.reading import limited_json_lines, max_json_bytes, splittable_parser
from topo.model import Trace
from topo.owners import OwnerResolver, ResolverConfig
from topo.packed import UNPACKED
from topo.parsers.json_input import iter_json_lines
from topo.pipeline import Partial, aggregate, no_cycle_collection
from topo.topology.digest import TraceDigest

if TYPE_CHECKING:
    from topo.cli.progress import IngestProgress

#: A JSON Lines file larger than this is cut into line ranges read by different workers.
SPLIT_BYTES = 8 * 1024 * 1024
#: Units per process: enough that the processes' ranges can be cut close to the shares
#: :func:`_groups` aims at, and that one taking over units from another ends within
#: about one unit (1/16 of its share) of it.
UNITS_PER_JOB = 16
#: How much more of the input this process's first range holds than each worker's: a
#: worker also pickles its partial for this process (about 15 % of its reading time,
#: 10,000 small text files), which this process meanwhile spends filling in its part's
#: derived attributes and then waiting; ranges are taken over from there (:class:`_Shares`).
PARENT_WEIGHT = 1.1
#: The fewest bytes of files in one unit (many small files travel together).
MIN_UNIT_BYTES = 256 * 1024


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


@dataclass(frozen=True)
class Job:
    """What every unit is read with (picklable: it travels to Dask workers)."""

    format: str | None = None
    encoding: str | None = None
    config: ResolverConfig | None = None
    manifests: Mapping[str, Manifest | None] = field(default_factory=dict)


def default_jobs() -> int:
    """The CPUs this process may use (:func:`topo.engines.cpus.usable_cpus`: its cores, capped by
    its control group's CPU quota)."""
    return usable_cpus()


#: Bytes read at a time when :func:`_line_starts` scans a file.
SCAN_BYTES = 1 << 20


def _line_starts(path: str, cuts: Sequence[int]) -> list[tuple[int, int]]:
    r"""For each cut (a byte offset), the first line start at or after it and that line's
    number, ``(offset, line)`` (the file's end, when its last line ends just after a
    cut); cuts past the last line end are dropped, and cuts that share a line start
    give it once.

    The file is read once, :data:`SCAN_BYTES` at a time, so that cutting a file of any
    size takes no more memory than that (a memory map of the whole file
    would count its every page in this process's resident size).

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
    """Cut the inputs into units, in input order (each input listed as :func:`read_digests`
    would read it)."""
    entries: list[str | ParseError] = list(iter_input_paths(paths))
    sizes = {}
    for entry in entries:
        if isinstance(entry, str):
            try:
                sizes[entry] = os.stat(entry).st_size if entry != "-" else 0  # noqa: PTH116
            except OSError:
                sizes[entry] = 0
    total = sum(sizes.values())
    target = max(total // max(jobs * UNITS_PER_JOB, 1), MIN_UNIT_BYTES)
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


def _range_items(unit: Unit, job: Job) -> Iterator[Any]:
    """The digests and errors of a line range of one JSON Lines file (not capped: the
    parent caps errors per file, across the ranges)."""
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
        yield from parser.parse_records(records, source=source)  # type: ignore[attr-defined]


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


def unit_items(
    unit: Unit, job: Job, progress: IngestProgress | None = None
) -> Iterator[Trace | TraceDigest | ParseError]:
    """The digests and errors of one unit, in input order."""
    if unit.error is not None:
        yield unit.error
    elif unit.is_range:
        yield from _range_items(unit, job)
    else:
        yield from read_traces(
            unit.paths, format=job.format, encoding=job.encoding, progress=progress
        )


def aggregate_units(
    units: Sequence[Unit],
    job: Job,
    resolver: OwnerResolver,
    on_error: Callable[[Unit, ParseError], None],
    *,
    progress: IngestProgress | None = None,
    counters: Any = None,
    after_unit: Callable[[], None] | None = None,
    into: Partial | None = None,
) -> Partial:
    """Read, resolve and aggregate consecutive units into one :class:`Partial` (one
    aggregate: the owners resolved for one unit serve the next). Errors go to
    ``on_error`` with their unit; ``progress`` (one process) or ``counters`` (shared by
    the processes of a run) count files, bytes and traces; ``after_unit`` is called when
    a unit is read (the parent, reading a group itself, draws the progress line then);
    ``into`` is the partial of the units just before to go on with."""

    def digests() -> Iterator[Trace | TraceDigest]:
        for unit in units:
            traces = 0
            for item in unit_items(unit, job, progress):
                if isinstance(item, ParseError):
                    on_error(unit, item)
                    continue
                traces += 1
                if progress is not None:
                    progress.traces()
                yield item
            if counters is not None:
                with counters.get_lock():
                    counters[0] += unit.files_started
                    counters[1] += unit.size
                    counters[2] += traces
            if after_unit is not None:
                after_unit()

    return aggregate(digests(), resolver, manifests=job.manifests, into=into)


# -- worker processes ------------------------------------------------------------------

_WORKER: tuple[Job, OwnerResolver] | None = None
#: Files, bytes and traces the workers have read (shared memory, for the progress line).
_COUNTERS: Any = None
#: The units of a ``--jobs`` build and who reads which (set before the workers fork).
_UNITS: Sequence[Unit] = ()
_SHARES: _Shares | None = None
#: The write end of the pipe of each worker range (1, 2, ...: index 0 is unused): what the
#: worker reading it sends its pieces through (set before the workers fork).
_PIPES: Sequence[int] = ()
#: A pipe's buffer (Linux lets it grow to 1 MiB unprivileged): with the default 64 KiB a
#: worker pickling its pieces waited on the parent's unpickling nearly frame by frame
#: (10,000 text files: 0.5-1.0 s to hand a part over, 0.3-0.6 s with 1 MiB).
PIPE_BUFFER = 1 << 20
#: In a worker: the pieces it sent, never freed (the pool ends the process). Freeing them
#: took ~0.1 s on 10,000 text files, which the parent spent waiting for the task's end.
_SENT: list[list[_Piece]] = []


class _Piece(NamedTuple):
    """A run of consecutive units one process read: the index of its first unit, the
    units, their partial and each unit's errors."""

    first: int
    units: list[Unit]
    partial: Partial
    errors: list[list[ParseError]]


class _Shares:
    """Which units each process has left to read, in shared memory (forked workers
    inherit it): process ``p`` (0 is this one) reads units ``lo..hi-1`` of its range in
    order, and one that runs out takes the later half of the largest range left, which
    it reads as a piece of its own. However unequal the processes' speeds (a busy core,
    a slower one, a worker that starts late), they end within about one unit of each
    other, and the pieces still cover the input once, in consecutive ranges.

    >>> shares = _Shares([0, 3, 3, 4])  # process 0: units 0-2, process 1: unit 3
    >>> shares.take(1), shares.take(1), shares.steal(1), shares.take(1), shares.take(0)
    (3, None, 2, None, 0)
    >>> shares.take(0), shares.take(0), shares.steal(0), shares.steal(1)
    (1, None, None, None)
    >>> shares = _Shares([0, 2, 2, 3])  # a worker leaves a last unit to its owner
    >>> shares.take(0), shares.take(1), shares.take(1), shares.steal(1), shares.take(0)
    (0, 2, None, None, 1)
    >>> shares = _Shares([0, 1, 1, 3])
    >>> shares.take(1), shares.take(0), shares.take(0), shares.steal(0), shares.steal(1)
    (1, 0, None, 2, None)
    """

    def __init__(self, bounds: Any) -> None:
        #: ``lo, hi`` of each process (a ``multiprocessing`` array with its lock, or a
        #: list in one process)
        self._bounds = bounds

    @classmethod
    def of(cls, groups: Sequence[Sequence[Unit]], context: Any) -> _Shares:
        """The ranges of consecutive ``groups`` of units, in shared memory."""
        bounds = context.Array("q", 2 * len(groups))
        start = 0
        for process, group in enumerate(groups):
            bounds[2 * process] = start
            start += len(group)
            bounds[2 * process + 1] = start
        return cls(bounds)

    def _lock(self) -> Any:
        get_lock = getattr(self._bounds, "get_lock", None)
        return get_lock() if get_lock is not None else nullcontext()

    def take(self, process: int) -> int | None:
        """The next unit of ``process``'s range (now taken), or ``None`` at its end."""
        bounds = self._bounds
        with self._lock():
            low = bounds[2 * process]
            if low >= bounds[2 * process + 1]:
                return None
            bounds[2 * process] = low + 1
            return int(low)

    def steal(self, process: int) -> int | None:
        """The first unit (now taken) of a new range for ``process``: the later half of
        the largest range left; ``None`` when there is none to take.

        This process (0) also takes a range's last unit (its owner is busy with the one
        before); a worker leaves it, and the smaller half of an odd count: a worker that
        is done still has to pickle and send its partial, which this process meanwhile
        spends filling in its own part's derived attributes, so the workers had better end
        first.
        """
        bounds = self._bounds
        with self._lock():
            others = [p for p in range(len(bounds) // 2) if p != process]
            left = {p: bounds[2 * p + 1] - bounds[2 * p] for p in others}
            victim = max(others, key=left.__getitem__, default=process)
            if victim == process or left[victim] < (1 if process == 0 else 2):
                return None
            low, high = bounds[2 * victim], bounds[2 * victim + 1]
            middle = low + (left[victim] // 2 if process == 0 else (left[victim] + 1) // 2)
            bounds[2 * victim + 1] = middle
            bounds[2 * process] = middle + 1
            bounds[2 * process + 1] = high
            return int(middle)


def _read_shares(
    process: int,
    units: Sequence[Unit],
    job: Job,
    resolver: OwnerResolver,
    shares: _Shares,
    counters: Any = None,
    after_unit: Callable[[], None] | None = None,
) -> list[_Piece]:
    """What ``process`` reads of a ``--jobs`` build: its range, then the ranges it takes
    from slower processes, one piece each."""
    pieces: list[_Piece] = []
    index = shares.take(process)
    while index is not None or (index := shares.steal(process)) is not None:
        piece = _Piece(index, [], Partial(), [])
        while index is not None:
            unit = units[index]
            _, unit_errors = _run_group([unit], job, resolver, counters, after_unit, piece.partial)
            piece.units.append(unit)
            piece.errors.extend(unit_errors)
            index = shares.take(process)
        pieces.append(piece)
    return pieces


def _start_worker(job: Job, parent: OwnerResolver | None) -> None:
    """Set up a forked worker process: the parent resolver's
    :meth:`~OwnerResolver.sibling`, or a new resolver."""
    global _WORKER
    if parent is None:
        resolver = OwnerResolver(job.config or ResolverConfig(use_cache=False))
    else:
        resolver = parent.sibling()
    _WORKER = (job, resolver)


def _run_group(
    units: Sequence[Unit],
    job: Job,
    resolver: OwnerResolver,
    counters: Any = None,
    after_unit: Callable[[], None] | None = None,
    into: Partial | None = None,
) -> tuple[Partial, list[list[ParseError]]]:
    """Aggregate consecutive units (``into``: going on with the partial of the units just
    before); each unit's errors apart (the parent reports them, capped per file)."""
    errors: dict[int, list[ParseError]] = {id(unit): [] for unit in units}
    partial = aggregate_units(
        units, job, resolver, lambda unit, error: errors[id(unit)].append(error),
        counters=counters, after_unit=after_unit, into=into,
    )  # fmt: skip
    return partial, [errors[id(unit)] for unit in units]


def _finished_group(
    units: Sequence[Unit], job: Job, resolver: OwnerResolver, counters: Any = None
) -> tuple[Partial, list[list[ParseError]]]:
    """:func:`_run_group`, its graph's derived attributes filled in where it ran (work
    the merge would otherwise leave to the parent alone)."""
    result = _run_group(units, job, resolver, counters)
    result[0].builder.finish()
    return result


def _worker_share(process: int) -> None:
    """A worker's pieces, their graphs' derived attributes filled in and, when large, their
    per-trace results packed (work the merge would otherwise leave to the parent alone:
    the parent keeps the first :data:`~topo.packed.UNPACKED` of its own as objects, and
    its part is about as large as this one); pickled into the range's pipe as the parent
    unpickles them (:func:`_receive`), so that neither holds them as one large message."""
    assert _WORKER is not None and _SHARES is not None
    job, resolver = _WORKER
    pieces = _read_shares(process, _UNITS, job, resolver, _SHARES, _COUNTERS)
    pieces.sort(key=attrgetter("first"))  # in input order: each can be merged on arrival
    _finish_builders(pieces, pack_over=UNPACKED // 2)
    with open(_PIPES[process], "wb", closefd=False) as pipe:
        pickle.dump(len(pieces), pipe)
        for piece in pieces:
            pickle.dump(piece, pipe, protocol=pickle.HIGHEST_PROTOCOL)
    _SENT.append(pieces)


def _widen(fd: int) -> None:
    """Give the pipe ``fd`` a :data:`PIPE_BUFFER` buffer where the system allows it (a
    smaller one only costs time)."""
    setting = getattr(fcntl, "F_SETPIPE_SZ", None) if fcntl is not None else None
    if setting is not None:
        with suppress(OSError):
            fcntl.fcntl(fd, setting, PIPE_BUFFER)


class _PipeReader(io.RawIOBase):
    """The read end of a worker's pipe that gives up when the workers failed (their
    error is raised: a worker that stops before or while writing never closes the pipe,
    which the other workers share) and keeps the progress line moving while it waits."""

    def __init__(self, fd: int, pending: Any, waiting: Callable[[], None] | None) -> None:
        self._fd = fd
        self._pending = pending
        self._waiting = waiting

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not select.select([self._fd], [], [], 0.25)[0]:
            if self._pending.ready() and not self._pending.successful():
                self._pending.get()  # raises the worker's error
            if self._waiting is not None:
                self._waiting()
        return os.readv(self._fd, [buffer])


def _receive(
    fd: int,
    pending: Any,
    waiting: Callable[[], None] | None,
    arrived: Callable[[], None] | None = None,
) -> Iterator[_Piece]:
    """The pieces a worker pickles into the pipe ``fd``, each unpickled as it arrives
    (``arrived`` is called then) and let go of once the next is asked for."""
    with io.BufferedReader(_PipeReader(fd, pending, waiting), 1 << 20) as stream:
        for _ in range(pickle.load(stream)):
            piece = pickle.load(stream)
            if arrived is not None:
                arrived()
            yield piece
            del piece  # not held while the next one is unpickled


def _in_order(
    own: list[_Piece], arriving: Iterable[_Piece]
) -> Iterator[tuple[list[Unit], tuple[Partial, list[list[ParseError]]]]]:
    """The pieces of a ``--jobs`` build (this process's ``own``, then the workers' as
    they arrive; together they hold the units 0, 1, ... once each) in input order, each
    as soon as those before it are out: a part that came in is merged before the next is
    unpickled, and its leftovers go (``own`` is emptied: the pieces are held here only).
    """
    waiting = {piece.first: piece for piece in own}
    own.clear()
    expected = 0
    for piece in chain((None,), arriving):
        if piece is not None:
            waiting[piece.first] = piece
            del piece
        while expected in waiting:
            ready = waiting.pop(expected)
            expected += len(ready.units)
            yield ready.units, (ready.partial, ready.errors)
            del ready
    if waiting:
        raise TopoError(f"--jobs: no part holds the units from {expected} on")


def _groups(units: Sequence[Unit], count: int, first: float = 1.0) -> list[list[Unit]]:
    """``units`` cut into at most ``count`` consecutive groups of about equal size, the
    first ``first`` times the size of each other.

    >>> sizes = [Unit(size=1)] * 100
    >>> [len(g) for g in _groups(sizes, 2)], [len(g) for g in _groups(sizes, 3, 1.5)]
    ([50, 50], [43, 29, 28])
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
    return groups


class _ErrorCap:
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


def _merged(
    results: Iterable[tuple[Sequence[Unit], tuple[Partial, list[list[ParseError]]]]],
    report: Callable[[ParseError], None],
) -> Partial:
    """Merge the groups' partials in input order, reporting their errors in order."""
    total: Partial | None = None
    cap = _ErrorCap(report)
    for units, (partial, errors) in results:
        for unit, unit_errors in zip(units, errors, strict=True):
            for error in unit_errors:
                cap.add(unit, error)
        # the first partial is the start of the whole (merging it into an empty one
        # would only copy every node and edge once more)
        total = partial if total is None else total.merge(partial)
        del partial, errors  # a merged part's leftovers go before the next part comes
    cap.flush()
    return total if total is not None else Partial()


def build_partial(
    paths: Sequence[str],
    job: Job,
    *,
    jobs: int,
    resolver: OwnerResolver | None = None,
    report: Callable[[ParseError], None],
    progress: IngestProgress | None = None,
) -> Partial:
    """The whole input's :class:`Partial`, read by ``jobs`` processes: this one and
    ``jobs - 1`` forked workers.

    The units are cut into ``jobs`` consecutive ranges: this process aggregates the first
    while each worker aggregates one of the others, a process that is done early taking
    over the later half of the largest range left (:class:`_Shares`); then this process
    merges the pieces in input order (one per range, not one per unit: merging is the
    part no worker can share).
    """
    global _COUNTERS, _PIPES, _SHARES, _UNITS
    units = plan_units(paths, jobs=jobs, format=job.format, encoding=job.encoding)
    if progress is not None:
        progress.expect(None if "-" in paths else sum(u.size for u in units))
    readable = [u for u in units if u.error is None]
    own = resolver is None
    active = resolver or OwnerResolver(job.config or ResolverConfig(use_cache=False))
    pipes: list[tuple[int, int]] = []
    try:
        forkable = "fork" in multiprocessing.get_all_start_methods()  # not on Windows
        groups = _groups(units, jobs, PARENT_WEIGHT)
        if len(groups) == 1 or len(readable) <= 1 or "-" in paths or not forkable:
            with no_cycle_collection():
                cap = _ErrorCap(report)
                total = aggregate_units(units, job, active, cap.add, progress=progress)
                cap.flush()
                return total
        active.preload()  # loaded once here, inherited by every worker
        context = multiprocessing.get_context("fork")
        _COUNTERS = counters = context.Array("q", 3)
        pipes.extend(os.pipe() for _ in groups)  # the first is unused: this process's range
        for _, write in pipes:
            _widen(write)
        _PIPES = [write for _, write in pipes]
        with no_cycle_collection():  # in the parent, and in the workers it forks
            _UNITS, _SHARES = units, (shares := _Shares.of(groups, context))
            with context.Pool(len(groups) - 1, _start_worker, (job, active)) as pool:
                pending = pool.map_async(_worker_share, range(1, len(groups)), chunksize=1)
                # The parent reads the first range itself: one process less, and one
                # partial less to pickle, send and unpickle.
                shown = (lambda: _show(progress, counters)) if progress is not None else None
                mine = _read_shares(0, units, job, active, shares, counters, shown)
                # while the workers finish: every piece's derived attributes (what the
                # final graph() would do after the merge, serially)
                _finish_builders(mine)

                def merging() -> None:  # a worker's part came in: its reading is over
                    if progress is not None:
                        _show(progress, counters)
                        progress.stage("merging the parts")

                # each worker's pieces in input order, one at a time (chain holds none)
                arriving = chain.from_iterable(
                    _receive(read, pending, shown, merging) for read, _ in pipes[1:]
                )
                total = _merged(_in_order(mine, arriving), report)
                pending.get()
                return total
    finally:
        _COUNTERS = _SHARES = None
        _UNITS = _PIPES = ()
        for pair in pipes:
            for fd in pair:
                os.close(fd)
        if own:
            active.close()


def _finish_builders(pieces: list[_Piece], pack_over: int | None = None) -> None:
    """Fill in the derived attributes of each piece's graph (``builder.finish()``) and
    pack the per-trace results of a piece holding more than ``pack_over`` verdicts (what
    a worker does before sending); a function, so that no loop variable of the caller
    keeps a piece alive past its merge."""
    for piece in pieces:
        piece.partial.builder.finish()
        if pack_over is not None and len(piece.partial.verdicts) > pack_over:
            piece.partial.pack()


def _show(progress: IngestProgress, counters: Any) -> None:
    """Bring the progress line up to the workers' shared counts."""
    files, nbytes, traces = counters[:]
    for _ in range(files - progress.files):
        progress.file("")
    progress.read(nbytes - progress.bytes)
    progress.traces(traces - progress.count)


# -- Dask -------------------------------------------------------------------------------


def _dask_unit(unit: Unit, job: Job) -> tuple[Partial, list[list[ParseError]]]:
    return _finished_group([unit], job, _dask_resolver(job))


_DASK_RESOLVERS: dict[int, OwnerResolver] = {}


def _dask_resolver(job: Job) -> OwnerResolver:
    """One resolver per worker process and job (the published ranges load once)."""
    key = id(job.config)
    resolver = _DASK_RESOLVERS.get(key)
    if resolver is None:
        resolver = _DASK_RESOLVERS[key] = OwnerResolver(
            job.config or ResolverConfig(use_cache=False)
        )
    return resolver


def build_partial_dask(
    paths: Sequence[str],
    job: Job,
    *,
    jobs: int,
    scheduler: str | None = None,
    report: Callable[[ParseError], None],
    progress: IngestProgress | None = None,
) -> Partial:
    """The whole input's :class:`Partial`, read on a Dask cluster (``scheduler``), or on a
    local cluster of ``jobs`` worker processes."""
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError as err:
        raise TopoError(
            "--engine dask needs Dask: pip install 'topo[dask]' (dask[distributed])"
        ) from err
    if "-" in paths:
        raise TopoError("--engine dask reads files, not standard input")
    units = plan_units(paths, jobs=max(jobs, 2), format=job.format, encoding=job.encoding)
    if progress is not None:
        progress.expect(sum(u.size for u in units))
    job = replace(job, config=job.config or ResolverConfig(use_cache=False))
    cluster = None
    if scheduler is None:
        cluster = LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=max(jobs, 1), threads_per_worker=1, processes=True,
            dashboard_address=None, host="127.0.0.1", silence_logs=logging.CRITICAL,
        )  # fmt: skip
    try:
        with Client(scheduler or cluster) as client, no_cycle_collection():  # type: ignore[no-untyped-call]
            futures = client.map(_dask_unit, units, job=job, pure=False)
            done = as_completed(futures, with_results=True)  # type: ignore[no-untyped-call]
            index = {future.key: number for number, future in enumerate(futures)}
            del futures  # each result is released once merged
            arrived = ((index[future.key], result) for future, result in done)
            return _merged(_in_input_order(units, arrived, progress), report)
    finally:
        if cluster is not None:
            cluster.close()


def _in_input_order(
    units: Sequence[Unit],
    arrived: Iterable[tuple[int, tuple[Partial, list[list[ParseError]]]]],
    progress: IngestProgress | None,
) -> Iterator[tuple[list[Unit], tuple[Partial, list[list[ParseError]]]]]:
    """The units' results, which ``arrived`` as ``(unit index, result)`` in any order, in
    input order: each as soon as those before it are in (so the merge goes on while the
    cluster still reads, and holds only the results that came early); ``progress``
    counts each unit's files, bytes and traces as it arrives.

    >>> results = [(2, "c"), (0, "a"), (1, "b")]
    >>> [r for _, r in _in_input_order([Unit()] * 3, results, None)]
    ['a', 'b', 'c']
    """
    waiting: dict[int, tuple[Partial, list[list[ParseError]]]] = {}
    following = 0
    for number, result in arrived:
        if progress is not None:
            unit = units[number]
            for _ in range(unit.files_started):
                progress.file("")
            progress.read(unit.size)
            progress.traces(result[0].traces)
        waiting[number] = result
        while following in waiting:
            yield [units[following]], waiting.pop(following)
            following += 1
