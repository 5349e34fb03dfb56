"""The Dask engine (``--engine dask``): the way past one machine.

The units of the input (:mod:`topo.engines.units`) become Dask tasks, one per unit, on the
cluster at ``scheduler`` (``tcp://host:8786``) or on a local cluster of ``jobs`` worker
processes; the workers need topo installed and the input paths readable (a shared file
system). Their partials are merged here in input order as they come back, so this process
holds only those that came before their turn, and the result is the one-process result.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from topo.engines.processes import GroupResult, merge_in_order, read_group
from topo.engines.units import Unit, plan_units
from topo.errors import ParseError, TopoError, UsageError
from topo.owners import OwnerResolver
from topo.topology.aggregate import Partial
from topo.topology.analyze import Job, Progress

#: One resolver per Dask worker process and job (the published ranges load once).
_RESOLVERS: dict[int, OwnerResolver] = {}


def _dask_unit(unit: Unit, job: Job) -> GroupResult:
    resolver = _RESOLVERS.get(id(job.config))
    if resolver is None:
        resolver = _RESOLVERS[id(job.config)] = OwnerResolver(job.config)
    return read_group([unit], job, resolver)


def in_input_order(
    units: Sequence[Unit], arrived: Iterable[tuple[int, GroupResult]]
) -> Iterator[tuple[list[Unit], GroupResult]]:
    """The units' results, which ``arrived`` as ``(unit index, result)`` in any order, in
    input order: each as soon as those before it are in (so the merge goes on while the
    cluster still reads, and holds only the results that came early).

    >>> results = [(2, "c"), (0, "a"), (1, "b")]
    >>> [r for _, r in in_input_order([Unit()] * 3, results)]  # type: ignore[arg-type]
    ['a', 'b', 'c']
    """
    waiting: dict[int, GroupResult] = {}
    following = 0
    for number, result in arrived:
        waiting[number] = result
        while following in waiting:
            yield [units[following]], waiting.pop(following)
            following += 1


def _connect(client: Any, scheduler: str | None, cluster: Any) -> Any:
    """A Dask ``Client`` of ``scheduler`` (or of the local ``cluster``); a scheduler that
    cannot be reached (a wrong address, nothing listening, a timeout: Dask's
    ``distributed.comm.timeouts.connect``, 30 s) is a one-line :class:`UsageError`."""
    try:
        return client(scheduler or cluster)
    except (OSError, TimeoutError, ValueError) as err:
        if scheduler is None:
            raise TopoError(f"--engine dask: could not start a local Dask cluster ({err})") from err
        raise UsageError(
            f"--scheduler {scheduler}: cannot reach the Dask scheduler ({err})"
        ) from err


@dataclass
class Dask:
    """Reads the input on a Dask cluster (see the module docstring)."""

    jobs: int = 2
    scheduler: str | None = None

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
        try:
            from dask.distributed import Client, LocalCluster, as_completed
        except ImportError as err:
            raise TopoError(
                "--engine dask needs Dask: pip install 'topo[dask]' (dask[distributed])"
            ) from err
        if "-" in paths:
            raise TopoError("--engine dask reads files, not standard input")
        units = plan_units(paths, jobs=max(self.jobs, 2), format=job.format, encoding=job.encoding)
        if progress is not None:
            progress.expect(sum(u.size for u in units))
        cluster = None
        if self.scheduler is None:
            cluster = LocalCluster(  # type: ignore[no-untyped-call]
                n_workers=max(self.jobs, 1), threads_per_worker=1, processes=True,
                dashboard_address=None, host="127.0.0.1", silence_logs=logging.CRITICAL,
            )  # fmt: skip
        try:
            with _connect(Client, self.scheduler, cluster) as client:
                futures = client.map(_dask_unit, units, job=job, pure=False)
                done = as_completed(futures, with_results=True)  # type: ignore[no-untyped-call]
                index = {future.key: number for number, future in enumerate(futures)}
                del futures  # each result is released once merged
                arrived = ((index[future.key], result) for future, result in done)
                return merge_in_order(in_input_order(units, arrived), on_error, progress)
        finally:
            if cluster is not None:
                cluster.close()
