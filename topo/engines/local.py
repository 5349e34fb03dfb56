"""The one-process engine: every input read here, by the core's own loop.

It is :func:`topo.topology.aggregate.aggregate` over :func:`topo.inputs.read_traces`, with
the progress line's counts: what ``--jobs 1`` runs. (It paused Python's cycle collector
while building until that bought no more than 1.06x on 20,000 Atlas results and 1.15x on
100,000: ``bench/README.md``.)

>>> from topo.topology.analyze import analyze
>>> analyze(["samples/aws-osaka-tokyo"], engine=OneProcess()).verdict
'on-provider'
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence

from topo.engines.units import plan_units
from topo.errors import ParseError
from topo.inputs import read_traces
from topo.model import Trace
from topo.owners import OwnerResolver
from topo.topology.aggregate import Partial, aggregate
from topo.topology.analyze import Job, Progress


def counted(
    items: Iterable[Trace | ParseError], progress: Progress | None
) -> Iterator[Trace | ParseError]:
    """``items``, each trace counted on ``progress``."""
    for item in items:
        if progress is not None and not isinstance(item, ParseError):
            progress.traces()
        yield item


class OneProcess:
    """Reads every input in this process (see the module docstring)."""

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
        if progress is not None:
            progress.expect(input_bytes(paths))
        items = read_traces(paths, format=job.format, encoding=job.encoding, progress=progress)
        return aggregate(
            counted(items, progress), resolver, manifests=job.manifests, on_error=on_error,
            profiles=job.profiles,
        )  # fmt: skip


def input_bytes(paths: Sequence[str]) -> int | None:
    """How many bytes the inputs hold (``None`` with standard input among them)."""
    if "-" in paths:
        return None
    return sum(unit.size for unit in plan_units(paths, jobs=1))
