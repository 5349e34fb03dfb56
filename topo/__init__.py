"""topo: turn traceroutes into an inferred network topology.

The front door, one call per step of the pipeline:

>>> import topo
>>> t = topo.analyze(["samples/aws-osaka-tokyo"])   # read, classify, own, merge, infer
>>> t.verdict, t.graph.number_of_nodes()
('on-provider', 24)
>>> str(t.traces[0].reasons[0])
"every public hop is Amazon's"
>>> topo.classify_address("100.65.1.9").name
'Shared Address Space'

``topo.write_html(t, "page.html")``, ``topo.write_report(t, "report.md")``,
``topo.write_graph(t, "graph.graphml")`` and ``topo.compare([t1, t2])`` take it from there;
``topo.read_traces(paths)`` gives the parsed traces themselves. Where each step lives:
:mod:`topo.inputs`, :mod:`topo.parsers`, :mod:`topo.classify`, :mod:`topo.owners`,
:mod:`topo.topology` (the core), :mod:`topo.engines`, :mod:`topo.render`, :mod:`topo.cli`.
"""

__version__ = "0.1.0"

from topo.classify import AddressClass, classify_address, classify_many, is_special
from topo.errors import ParseError, TopoError
from topo.inputs import read_traces
from topo.model import Hop, HopStats, MplsLabel, Origin, Reply, Trace
from topo.parsers import ParseResult, detect_format, parse_text
from topo.render import write_figure, write_graph, write_html, write_report
from topo.topology import Comparison, Topology, analyze, compare

__all__ = [
    "AddressClass",
    "Comparison",
    "Hop",
    "HopStats",
    "MplsLabel",
    "Origin",
    "ParseError",
    "ParseResult",
    "Reply",
    "TopoError",
    "Topology",
    "Trace",
    "__version__",
    "analyze",
    "classify_address",
    "classify_many",
    "compare",
    "detect_format",
    "is_special",
    "parse_text",
    "read_traces",
    "write_figure",
    "write_graph",
    "write_html",
    "write_report",
]
