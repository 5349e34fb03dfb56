"""Merge traces into one directed graph (networkx), with documented attributes.

Node keys
---------
- a public address is its own key (``"13.208.0.67"``), so every trace through it meets there;
- a special-purpose address is scoped by the trace's provider, or by its vantage point when
  no provider is known (``"100.65.1.9@Amazon"``), so one private address in two unrelated
  networks never merges;
- a vantage point is ``"vantage:<address, manifest label or file name>"``; a destination
  that never answered is ``"dst:<address>"`` (one that answered is its address node);
- an anonymous hop is ``"*|<answers before>|<answers after>|<position in the gap>"``, so
  stars neither merge into one node (a false convergence) nor multiply per trace.

Node attributes
---------------
==============  =======================================================================
``kind``        ``hop``, ``anonymous``, ``vantage`` or ``destination``
``addr``        the address (absent for anonymous hops and label-only vantage points)
``label``       what a drawing shows (address, or the vantage's label)
``category``    IANA category slug (``public``, ``cgnat``, ``class-e``, ...)
``reg_name``    the registry's name (``Shared Address Space``), ``rfc`` its RFC
``special``     True for special-purpose addresses
``scope``       the provider or vantage that scopes a special address
``org``         organisation as the registry names it; ``family`` the owner family
``asn``         origin AS; ``asn_name``, ``prefix``, ``provider``, ``region``, ``services``
``names``       reverse-DNS names seen (list)
``rtt_min``     least RTT seen (ms); ``rtt_sum`` and ``rtt_count`` give the mean exactly,
                also when graphs of partial results are merged (sum the sums and counts)
``ttls``        TTLs the node was seen at (sorted list)
``traces``      number of traces through the node
``mpls``        MPLS label stacks seen, as ``"L1/L2"`` strings (list)
``reached``     destinations only: whether any trace got an answer from it
==============  =======================================================================

Edge attributes
---------------
=================  ====================================================================
``traces``         number of traces that took the edge
``trace_ids``      the first :data:`TRACE_ID_CAP` of them (``path:line``)
``rtt_delta_min``  least (RTT at the head − RTT at the tail) over those traces, in ms
``gap``            TTLs skipped between the two nodes (0 for adjacent hops)
``unreached``      True for the dashed edge from a trace's last answer to a silent destination
``segment``        id of the inferred interconnect segment the edge lies in (set by infer)
=================  ====================================================================

``G.graph`` holds ``trace_paths`` (per trace id: origin, provider, reached, node path) and, after
:func:`topo.infer.infer_interconnects`, ``inference`` (segments and verdicts), so a renderer
needs nothing but ``G``.

>>> from topo.model import Hop, Reply, Trace
>>> trace = Trace(dst="52.95.31.166", hops=(
...     Hop(1, (Reply("13.208.0.67", 0.4),)), Hop(2, (Reply("100.65.1.9", 2.0),)),
...     Hop(3, (Reply("52.95.31.166", 8.0),))))
>>> G = build_graph([trace])
>>> sorted(G.nodes)
['100.65.1.9@Amazon', '13.208.0.67', '52.95.31.166', 'vantage:<trace-1>']
>>> G.nodes["100.65.1.9@Amazon"]["reg_name"]
'Shared Address Space'
>>> G.edges["13.208.0.67", "100.65.1.9@Amazon"]["rtt_delta_min"]
1.6
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import networkx as nx

from topo.manifest import Manifest, manifest_for_trace
from topo.model import Trace
from topo.owners import OwnerAnswer, OwnerResolver
from topo.steps import Step, TraceView, answers_for, view_trace

TRACE_ID_CAP = 20


def vantage_key(view: TraceView) -> str:
    """The vantage node of a trace: its source address, manifest label or file name."""
    if view.trace.src:
        return f"vantage:{view.trace.src}"
    if view.manifest is not None and view.manifest.src_label:
        return f"vantage:{view.manifest.src_label}"
    origin = view.trace.origin
    return f"vantage:{Path(origin.path).name if origin else '<' + view.trace_id + '>'}"


def address_key(answer: OwnerAnswer, view: TraceView) -> str:
    """Public addresses are global keys; special ones are scoped by provider or vantage."""
    if not answer.classification.special:
        return answer.addr
    scope = view.provider or vantage_key(view)
    return f"{answer.addr}@{scope}"


def _new_node(**attrs: Any) -> dict[str, Any]:
    return {"traces": 0, "ttls": [], "names": [], "mpls": [], "rtt_sum": 0.0, "rtt_count": 0,
            **attrs}  # fmt: skip


def _answer_attrs(answer: OwnerAnswer, scope: str | None) -> dict[str, Any]:
    cls = answer.classification
    attrs: dict[str, Any] = {
        "kind": "hop",
        "addr": answer.addr,
        "label": answer.addr,
        "category": cls.category,
        "special": cls.special,
        "reg_name": cls.name,
        "rfc": cls.rfc,
    }
    if cls.special and scope:
        attrs["scope"] = scope
    owner = answer.owner
    if owner is not None:
        for name in ("org", "family", "asn", "asn_name", "prefix", "provider", "region"):
            attrs[name] = getattr(owner, name)
        attrs["services"] = list(owner.services)
    return {k: v for k, v in attrs.items() if v is not None}


def _record(node: dict[str, Any], step: Step, addr: str | None) -> None:
    ttls = node["ttls"]
    if step.ttl not in ttls:
        node["ttls"] = sorted([*ttls, step.ttl])
    if addr is None:
        return
    for name in step.names.get(addr, ()):
        if name not in node["names"]:
            node["names"].append(name)
    for stack in step.mpls.get(addr, ()):
        if stack not in node["mpls"]:
            node["mpls"].append(stack)
    rtts = step.rtts.get(addr, ())
    if rtts:
        least = min(rtts)
        node["rtt_min"] = min(node.get("rtt_min", least), least)
        node["rtt_sum"] += sum(rtts)
        node["rtt_count"] += len(rtts)


def _star_keys(steps: Sequence[Step], index: int, view: TraceView, keys: list[list[str]]) -> str:
    """``*|before|after|position`` for the silent step at ``index``.

    A silent step with no answer after it (a last hop known only by name) has an empty
    ``after``.
    """
    start = index
    while start > 0 and not steps[start - 1].answers:
        start -= 1
    end = index
    while end + 1 < len(steps) and not steps[end + 1].answers:
        end += 1
    before = ",".join(sorted(keys[start - 1])) if start > 0 else vantage_key(view)
    following = steps[end + 1].answers if end + 1 < len(steps) else ()
    after = ",".join(sorted(address_key(a, view) for a in following))
    return f"*|{before}|{after}|{index - start + 1}"


class GraphBuilder:
    """Aggregates traces into plain dicts, then makes the networkx graph once.

    Nodes and edges keep the order they were first seen in, so the graph is the same as
    adding every trace to a ``DiGraph`` directly, only without networkx's per-call cost.

    >>> from topo.model import Hop, Reply, Trace
    >>> from topo.steps import answers_for, view_trace
    >>> trace = Trace(dst="192.0.2.9", hops=(Hop(1, (Reply("192.0.2.9", 1.0),)),))
    >>> builder = GraphBuilder()
    >>> builder.add(view_trace(trace, answers_for([trace])))
    ['vantage:<trace-1>', '192.0.2.9@vantage:<trace-1>']
    >>> builder.graph().number_of_edges()
    1
    """

    def __init__(self) -> None:
        self.nodes: dict[str, dict[str, Any]] = {}
        self.edges: dict[tuple[str, str], dict[str, Any]] = {}
        self.graph_attrs: dict[str, Any] = {"trace_paths": {}}

    @classmethod
    def from_graph(cls, G: nx.DiGraph) -> GraphBuilder:
        """A builder that continues ``G`` (sharing its attribute dicts)."""
        builder = cls()
        builder.nodes = dict(G.nodes(data=True))
        builder.edges = {(u, v): data for u, v, data in G.edges(data=True)}
        builder.graph_attrs = G.graph
        return builder

    def _edge(
        self, u: str, v: str, trace: str, *, gap: int, delta: float | None, **extra: Any
    ) -> None:
        edge = self.edges.get((u, v))
        if edge is None:
            edge = self.edges[u, v] = {"traces": 0, "trace_ids": [], "gap": gap, **extra}
        ids = edge["trace_ids"]
        if trace not in ids:
            edge["traces"] += 1
            if len(ids) < TRACE_ID_CAP:
                ids.append(trace)
        if gap < edge["gap"]:
            edge["gap"] = gap
        if delta is not None:
            edge["rtt_delta_min"] = round(min(edge.get("rtt_delta_min", delta), delta), 6)

    def add(self, view: TraceView) -> list[str]:
        """Add one trace's nodes and edges; returns the trace's node path."""
        nodes = self.nodes
        seen: set[str] = set()
        vantage = vantage_key(view)
        v_node = nodes.get(vantage)
        if v_node is None:
            label = vantage.removeprefix("vantage:")
            v_node = nodes[vantage] = _new_node(kind="vantage", label=label)
        if view.trace.src:
            v_node["addr"] = view.trace.src
        v_node["traces"] += 1
        previous: list[str] = [vantage]
        previous_rtt: float | None = 0.0
        previous_ttl = 0
        keys: list[list[str]] = []
        path = [vantage]
        trace = view.trace_id
        scope_name = view.provider or vantage
        for index, step in enumerate(view.steps):
            if step.answers:
                current = []
                for answer in step.answers:
                    special = answer.classification.special
                    key = f"{answer.addr}@{scope_name}" if special else answer.addr
                    node = nodes.get(key)
                    if node is None:
                        attrs = _answer_attrs(answer, scope_name if special else None)
                        node = nodes[key] = _new_node(**attrs)
                    if key not in seen:
                        seen.add(key)
                        node["traces"] += 1
                    _record(node, step, answer.addr)
                    current.append(key)
            else:
                key = _star_keys(view.steps, index, view, keys)
                node = nodes.get(key)
                if node is None:
                    node = nodes[key] = _new_node(kind="anonymous", label="*", category="unknown")
                if key not in seen:
                    seen.add(key)
                    node["traces"] += 1
                _record(node, step, None)
                current = [key]
            delta = (
                None
                if step.rtt_min is None or previous_rtt is None
                else round(step.rtt_min - previous_rtt, 6)
            )
            gap = step.ttl - previous_ttl - 1
            for u in previous:
                for v in current:
                    self._edge(u, v, trace, gap=gap, delta=delta)
            keys.append(current)
            path.extend(current)
            previous, previous_rtt, previous_ttl = current, step.rtt_min, step.ttl
        dst = view.trace.dst
        if dst and not view.reached:
            target = f"dst:{dst}"
            node = nodes.get(target)
            if node is None:
                node = nodes[target] = _new_node(
                    kind="destination", label=dst, addr=dst, reached=False
                )
            if view.dst_answer is not None:
                attrs = _answer_attrs(view.dst_answer, None)
                del attrs["kind"]
                node.update(attrs)
                node["kind"] = "destination"
            node["traces"] += 1
            for u in previous:
                self._edge(u, target, trace, gap=0, delta=None, unreached=True)
            path.append(target)
        elif dst and dst in nodes:
            nodes[dst]["reached"] = True
        return path

    def add_view(self, view: TraceView) -> list[str]:
        """:meth:`add`, and the trace's entry in ``G.graph["trace_paths"]``."""
        path = self.add(view)
        self.graph_attrs["trace_paths"][view.trace_id] = {
            "origin": view.trace_id,
            "src": view.trace.src,
            "dst": view.trace.dst,
            "provider": view.provider,
            "reached": view.reached,
            "path": path,
        }
        return path

    def update(self, G: nx.DiGraph) -> nx.DiGraph:
        """Add what is not yet in ``G`` (nodes, then edges, in first-seen order); returns G."""
        G.add_nodes_from((key, attrs) for key, attrs in self.nodes.items() if key not in G)
        G.add_edges_from(
            (u, v, attrs) for (u, v), attrs in self.edges.items() if not G.has_edge(u, v)
        )
        return G

    def graph(self) -> nx.DiGraph:
        """The networkx graph of everything added."""
        G = nx.DiGraph()
        G.graph.update(self.graph_attrs)
        return self.update(G)


def add_trace(G: nx.DiGraph, view: TraceView) -> list[str]:
    """Add one trace's nodes and edges to ``G``; returns the trace's node path.

    Adding many traces is faster with one :class:`GraphBuilder`.
    """
    builder = GraphBuilder.from_graph(G)
    path = builder.add(view)
    builder.update(G)
    return path


def build_graph(
    traces: Iterable[Trace],
    owners: OwnerResolver | Mapping[str, OwnerAnswer] | None = None,
    *,
    manifests: Mapping[str, Manifest | None] | None = None,
) -> nx.DiGraph:
    """Merge ``traces`` into one graph (attributes in the module docstring).

    ``owners`` is a resolver (offline by default) or answers already resolved;
    ``manifests`` maps input folders to their manifests (:func:`topo.manifest.manifests_for`).
    """
    trace_list = list(traces)
    answers = owners if isinstance(owners, Mapping) else answers_for(trace_list, owners)
    builder = GraphBuilder()
    for index, trace in enumerate(trace_list):
        manifest = manifest_for_trace(trace, manifests or {})
        builder.add_view(view_trace(trace, answers, manifest=manifest, index=index))
    return builder.graph()
