"""Live tracing: Paris-style probes (UDP, ICMP, TCP; IPv4 and IPv6) over raw sockets.

``topo trace`` records what it finds as :class:`~topo.model.Trace` objects, written as
topo's JSON Lines (:mod:`topo.inputs.schema`). Several flows per destination reveal load-balanced
branches (each reply keeps its ``flow_id``); ``flows=None`` runs the Multipath Detection
Algorithm. Probing needs root or ``CAP_NET_RAW``, and goes out of the network namespace the
process runs in.

Modules: :mod:`~topo.probe.packets` (probe headers), :mod:`~topo.probe.replies` (decoding
answers, MPLS extensions), :mod:`~topo.probe.mda` (the stopping rule and the algorithm),
:mod:`~topo.probe.sockets` (raw sockets), :mod:`~topo.probe.prober` (rate, matching),
:mod:`~topo.probe.tracer` (whole traces).

>>> from topo.probe import TraceOptions, probes_needed
>>> TraceOptions(flows=8).flows, probes_needed(2)
(8, 11)
"""

from topo.probe.mda import discover, probes_needed
from topo.probe.packets import ProbeHeader, ProbeKey, build_probe
from topo.probe.replies import Answer, decode_reply
from topo.probe.sockets import PRIVILEGE_MESSAGE, check_privilege
from topo.probe.tracer import FORMAT, Progress, TraceOptions, resolve_target, trace, trace_many

__all__ = [
    "FORMAT",
    "PRIVILEGE_MESSAGE",
    "Answer",
    "ProbeHeader",
    "ProbeKey",
    "Progress",
    "TraceOptions",
    "build_probe",
    "check_privilege",
    "decode_reply",
    "discover",
    "probes_needed",
    "resolve_target",
    "trace",
    "trace_many",
]
