"""topo: turn traceroutes into an inferred network topology.

The pipeline, each step a public function: parse (``topo.parsers``, ``topo.inputs``) into
:class:`~topo.model.Trace` objects, classify addresses against the IANA special-purpose
registries (``topo.classify``), then (later modules) resolve owners, build the graph, infer
the provider's interconnect and render it.

>>> import topo
>>> topo.classify_address("100.65.1.9").name
'Shared Address Space'
"""

from topo.classify import AddressClass, classify_address, classify_many, is_special
from topo.errors import ParseError, TopoError
from topo.inputs import read_traces
from topo.model import Hop, HopStats, MplsLabel, Origin, Reply, Trace
from topo.parsers import ParseResult, detect_format, parse_text

__version__ = "0.1.0"

__all__ = [
    "AddressClass",
    "Hop",
    "HopStats",
    "MplsLabel",
    "Origin",
    "ParseError",
    "ParseResult",
    "Reply",
    "TopoError",
    "Trace",
    "__version__",
    "classify_address",
    "classify_many",
    "detect_format",
    "is_special",
    "parse_text",
    "read_traces",
]
