"""Engines: how fast, never what. Each reads input paths into the partial of the whole
input that :func:`topo.topology.aggregate.aggregate` gives in one process, and is held
to that by one contract test (``tests/test_engines.py``).

- :class:`OneProcess`: this process (what ``--jobs 1`` and no engine at all do);
- :class:`Processes`: ``--jobs N`` worker processes (``concurrent.futures``);
- :class:`Dask`: a Dask cluster (``--engine dask``), the way past one machine.

>>> from topo.topology.analyze import analyze
>>> analyze(["samples/aws-tokyo-osaka"], engine=pick_engine(jobs=2)).trace_count
3
"""

from __future__ import annotations

from topo.engines.cpus import usable_cpus
from topo.engines.dask import Dask
from topo.engines.local import OneProcess
from topo.engines.processes import Processes
from topo.topology.analyze import Engine


def pick_engine(
    name: str = "local", *, jobs: int | None = None, scheduler: str | None = None
) -> Engine:
    """The engine the command line's ``--engine``/``--jobs``/``--scheduler`` name (``jobs``
    defaults to the CPUs this process may use: :func:`topo.engines.cpus.usable_cpus`)."""
    count = jobs or usable_cpus()
    if name == "dask":
        return Dask(count, scheduler)
    return OneProcess() if count == 1 else Processes(count)


__all__ = ["Dask", "Engine", "OneProcess", "Processes", "pick_engine", "usable_cpus"]
