"""What an analysis returns: :class:`Topology`, the one object every renderer and the
comparison take.

A :class:`Topology` holds plain Python: the networkx graph (its ``G.graph`` holds the trace
paths and the inference as dicts and lists), the :class:`~topo.topology.infer.Inference`
with one :class:`~topo.topology.infer.TraceVerdict` per trace, the owner answer of every
address, and the errors met on the way.

>>> import topo
>>> topology = topo.analyze(["samples/aws-osaka-tokyo"])
>>> topology.verdict, topology.graph.number_of_nodes(), topology.trace_count
('on-provider', 24, 1)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import networkx as nx

from topo.errors import ParseError
from topo.inputs.manifest import Manifest
from topo.owners import OwnerAnswer
from topo.topology.infer import Inference, TraceVerdict


@dataclass
class Topology:
    """The merged graph of a set of traces, its inference and the owner answers.

    ``name`` is the set's name: given to :func:`topo.analyze`, or the ``name`` of the one
    manifest that covers every input (``None`` for a mixed set: a renderer titles it from
    its contents, :func:`topo.render.titles.set_title`);
    ``online`` whether owners were looked up online and ``data_dates`` the date of each
    published dataset used (what a report's method section says); ``profiles`` whether
    each trace's step profile was kept (what :func:`topo.compare` reads); ``manifest`` the
    ``topo.toml`` that covers every input (:func:`~topo.inputs.covering_manifest`; ``None``
    for a mixed set or traces given as objects), which says which sets are traced both ways.
    """

    graph: nx.DiGraph
    inference: Inference
    answers: dict[str, OwnerAnswer]
    errors: list[ParseError] = field(default_factory=list)
    trace_count: int = 0
    name: str | None = None
    online: bool = False
    data_dates: dict[str, datetime | None] = field(default_factory=dict)
    profiles: bool = True
    manifest: Manifest | None = None

    @property
    def verdict(self) -> str:
        """The set's verdict: its worst trace's (``on-provider``, ``left-provider``, ...)."""
        return self.inference.verdict

    @property
    def traces(self) -> tuple[TraceVerdict, ...]:
        """One verdict per trace, in input order."""
        return self.inference.traces
