"""The topology core: trace views, the merged graph, the inference, ``analyze`` and
``compare``. Pure Python, one implementation per rule; it imports no engine (an engine is
handed to :func:`analyze` by its caller).

- :mod:`~topo.topology.digest` and :mod:`~topo.topology.views`: a trace as the graph and
  the inference read it (steps, owners, run kinds);
- :mod:`~topo.topology.graph`: the merged networkx graph and its attribute tables;
- :mod:`~topo.topology.infer`: the numbered inference rules, each result with its evidence;
- :mod:`~topo.topology.aggregate`: the one-pass loop every engine runs, and partials;
- :mod:`~topo.topology.analyze`: :func:`analyze`, the pipeline, and the engine interface;
- :mod:`~topo.topology.compare`: sets and region pairs side by side.
"""

from topo.topology.analyze import Engine, Job, analyze
from topo.topology.compare import Comparison, PairMetrics, compare
from topo.topology.infer import Inference, Segment, TraceVerdict
from topo.topology.result import Topology

__all__ = [
    "Comparison",
    "Engine",
    "Inference",
    "Job",
    "PairMetrics",
    "Segment",
    "Topology",
    "TraceVerdict",
    "analyze",
    "compare",
]
