"""The processes engine (``--jobs N``): the input read by worker processes, merged here.

The input is cut into units (:mod:`topo.engines.units`: groups of files, line ranges of a
large JSON Lines file), and the units into ``jobs`` consecutive shares. This process reads
the first share itself while a ``concurrent.futures`` pool of ``jobs - 1`` workers reads the
others (a run of consecutive units per worker by default), each into a
:class:`~topo.topology.aggregate.Partial` that comes back pickled in a temporary file
(removed when read, and with its folder at the end of the run whatever happens). This
process merges the runs in input order as they come back (``Executor.map`` keeps the
order), so the graph, the inference and the errors are those one process gives.

Measured on 10,000 text files with two jobs (``bench/README.md``): reading a share here
saves pickling, sending and unpickling it (a pool of two workers gained 1.15x over one
process, this 1.32x); one run per worker merges fastest; the file, rather than the pool's
own return, keeps the pickle out of memory (100,000 Atlas results: 1.55 GB -> 1.15 GB).
Workers are forked where the system can (Linux): they start with the published ranges and
owner tables this process loaded, and open their own owner cache (never a SQLite
connection across a fork).

>>> from topo.topology.analyze import analyze
>>> analyze(["samples/aws-tokyo-seoul"], engine=Processes(2)).trace_count
3
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from itertools import chain

from topo.engines.local import OneProcess, input_bytes
from topo.engines.units import ErrorCap, Unit, consecutive_groups, plan_units, unit_items
from topo.errors import ParseError
from topo.model import Trace
from topo.owners import OwnerResolver
from topo.topology.aggregate import Partial, aggregate
from topo.topology.analyze import Job, Progress

#: Runs of units per worker: more balance the workers' loads, fewer cost less to send and
#: merge (a node two parts share is merged once per part). One was the fastest on 10,000
#: text files with two jobs (6.3 s against 6.8-7.0 s for two, ``bench/README.md``).
GROUPS_PER_JOB = 1

#: What reading a run of units gives: its partial, and each error with its unit's index.
GroupResult = tuple[Partial, list[tuple[int, ParseError]]]

#: How much more of the input this process reads than each worker: a worker also pickles
#: its part, which this process then unpickles and merges (1.2 was the fastest of 1.0, 1.2
#: and 1.4 on 10,000 text files with two jobs: 5.5-5.7 s against 5.8-5.9 s).
PARENT_SHARE = 1.2

#: A worker's job, resolver and the folder its results go to (set once per worker
#: process by :func:`_start_worker`).
_WORKER: tuple[Job, OwnerResolver, str] | None = None


def _start_worker(job: Job, parent: OwnerResolver | None, folder: str) -> None:
    """Set up a worker: the parent's resolver's :meth:`~OwnerResolver.sibling` (forked:
    the loaded ranges and tables are shared), or one of its own."""
    global _WORKER
    resolver = parent.sibling() if parent is not None else OwnerResolver(job.config)
    _WORKER = (job, resolver, folder)


def read_group(units: Sequence[Unit], job: Job, resolver: OwnerResolver) -> GroupResult:
    """Read consecutive units into one partial; each error with its unit's index."""
    errors: list[tuple[int, ParseError]] = []

    def items() -> Iterator[Trace]:
        for index, unit in enumerate(units):
            for item in unit_items(unit, job):
                if isinstance(item, ParseError):
                    errors.append((index, item))
                else:
                    yield item

    return aggregate(items(), resolver, manifests=job.manifests, profiles=job.profiles), errors


def _worker_group(units: list[Unit]) -> str:
    """Read a run of units; its result is pickled into a file of the run's folder, whose
    name is returned (a result returned through the pool would be one ``bytes`` object as
    large as its pickle on both sides: about half a worker's memory at 100,000 traces)."""
    assert _WORKER is not None
    job, resolver, folder = _WORKER
    result = read_group(units, job, resolver)
    with (
        tempfile.NamedTemporaryFile(dir=folder, suffix=".pickle", delete=False) as out,
        _collector_paused(),
    ):
        pickle.dump(result, out, protocol=pickle.HIGHEST_PROTOCOL)
    return out.name


def _load(name: str) -> GroupResult:
    """A worker's result, read from its file (then removed) as it is unpickled."""
    try:
        with open(name, "rb") as handle, _collector_paused():  # noqa: PTH123
            result: GroupResult = pickle.load(handle)
    finally:
        os.unlink(name)  # noqa: PTH108
    return result


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector paused while a partial is pickled or unpickled: the
    allocations of unpickling a large partial set off collections that walk every object
    alive (10,000 text files: 1.55 s to unpickle a worker's part with it, 0.2 s without)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def merge_in_order(
    results: Iterable[tuple[Sequence[Unit], GroupResult]],
    on_error: Callable[[ParseError], None],
    progress: Progress | None,
) -> Partial:
    """Merge the runs' partials in input order, reporting their errors in order (capped
    per file across a split file's ranges) and counting what each run read."""
    total: Partial | None = None
    cap = ErrorCap(on_error)
    for units, (partial, errors) in results:
        for index, error in errors:
            cap.add(units[index], error)
        if progress is not None:
            for unit in units:
                for _ in range(unit.files_started):
                    progress.file(unit.paths[0])
                progress.read(unit.size)
            progress.traces(partial.traces)
        # the first part is the start of the whole (merging it into an empty one would
        # copy every node and edge once more)
        total = partial if total is None else total.merge(partial)
        del partial
    cap.flush()
    return total if total is not None else Partial()


class Processes:
    """Reads the input with ``jobs`` worker processes (see the module docstring)."""

    def __init__(self, jobs: int, *, groups_per_job: int = GROUPS_PER_JOB) -> None:
        self.jobs = max(jobs, 1)
        self.groups_per_job = groups_per_job

    def run(
        self,
        paths: Sequence[str],
        job: Job,
        *,
        resolver: OwnerResolver,
        on_error: Callable[[ParseError], None],
        progress: Progress | None = None,
    ) -> Partial:
        """The whole input's partial (:class:`topo.topology.analyze.Engine`)."""
        units = plan_units(paths, jobs=self.jobs, format=job.format, encoding=job.encoding)
        readable = [u for u in units if u.error is None]
        if self.jobs == 1 or len(readable) <= 1 or "-" in paths:
            return OneProcess().run(paths, job, resolver=resolver, on_error=on_error,
                                    progress=progress)  # fmt: skip
        if progress is not None:
            progress.expect(input_bytes(paths))
        shares = consecutive_groups(units, self.jobs, PARENT_SHARE)
        mine = shares[0]
        theirs = consecutive_groups(
            [unit for share in shares[1:] for unit in share],
            (len(shares) - 1) * self.groups_per_job,
        )
        fork = "fork" in multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if fork else None)
        resolver.preload()  # loaded once here, inherited by the forked workers
        with (
            tempfile.TemporaryDirectory(prefix="topo-parts-") as folder,
            ProcessPoolExecutor(
                self.jobs - 1, mp_context=context, initializer=_start_worker,
                initargs=(job, resolver if fork else None, folder),
            ) as pool,
        ):  # fmt: skip
            arriving = map(_load, pool.map(_worker_group, theirs))
            own = read_group(mine, job, resolver)
            results = chain([(mine, own)], zip(theirs, arriving, strict=True))
            del own
            total = merge_in_order(results, on_error, progress)
        return total
