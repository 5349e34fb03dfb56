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


def _add_node(G: nx.DiGraph, key: str, **attrs: Any) -> dict[str, Any]:
    if key not in G:
        G.add_node(key, traces=0, ttls=[], names=[], mpls=[], rtt_sum=0.0, rtt_count=0, **attrs)
    node: dict[str, Any] = G.nodes[key]
    return node


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


def _record(node: dict[str, Any], step: Step, seen: set[int], addr: str | None) -> None:
    if id(node) not in seen:
        seen.add(id(node))
        node["traces"] += 1
    if step.ttl not in node["ttls"]:
        node["ttls"] = sorted([*node["ttls"], step.ttl])
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
        node["rtt_min"] = min(node.get("rtt_min", min(rtts)), min(rtts))
        node["rtt_sum"] += sum(rtts)
        node["rtt_count"] += len(rtts)


def _add_edge(
    G: nx.DiGraph, u: str, v: str, view: TraceView, *, gap: int, delta: float | None, **extra: Any
) -> None:
    if not G.has_edge(u, v):
        G.add_edge(u, v, traces=0, trace_ids=[], gap=gap, **extra)
    edge = G.edges[u, v]
    if view.trace_id not in edge["trace_ids"]:
        edge["traces"] += 1
        if len(edge["trace_ids"]) < TRACE_ID_CAP:
            edge["trace_ids"].append(view.trace_id)
    edge["gap"] = min(edge["gap"], gap)
    if delta is not None:
        edge["rtt_delta_min"] = round(min(edge.get("rtt_delta_min", delta), delta), 6)


def _star_keys(steps: Sequence[Step], index: int, view: TraceView, keys: list[list[str]]) -> str:
    """``*|before|after|position`` for the silent step at ``index``."""
    start = index
    while start > 0 and not steps[start - 1].answers:
        start -= 1
    end = index
    while end + 1 < len(steps) and not steps[end + 1].answers:
        end += 1
    before = ",".join(sorted(keys[start - 1])) if start > 0 else vantage_key(view)
    after = ",".join(sorted(address_key(a, view) for a in steps[end + 1].answers))
    return f"*|{before}|{after}|{index - start + 1}"


def add_trace(G: nx.DiGraph, view: TraceView) -> list[str]:
    """Add one trace's nodes and edges to ``G``; returns the trace's node path."""
    seen: set[int] = set()
    vantage = vantage_key(view)
    label = vantage.removeprefix("vantage:")
    v_node = _add_node(G, vantage, kind="vantage", label=label)
    if view.trace.src:
        v_node["addr"] = view.trace.src
    v_node["traces"] += 1
    previous: list[str] = [vantage]
    previous_rtt: float | None = 0.0
    previous_ttl = 0
    keys: list[list[str]] = []
    path = [vantage]
    for index, step in enumerate(view.steps):
        if step.answers:
            current = []
            for answer in step.answers:
                key = address_key(answer, view)
                scope = view.provider or vantage if answer.classification.special else None
                node = _add_node(G, key, **_answer_attrs(answer, scope))
                _record(node, step, seen, answer.addr)
                current.append(key)
        else:
            key = _star_keys(view.steps, index, view, keys)
            node = _add_node(G, key, kind="anonymous", label="*", category="unknown")
            _record(node, step, seen, None)
            current = [key]
        delta = (
            None
            if step.rtt_min is None or previous_rtt is None
            else round(step.rtt_min - previous_rtt, 6)
        )
        for u in previous:
            for v in current:
                _add_edge(G, u, v, view, gap=step.ttl - previous_ttl - 1, delta=delta)
        keys.append(current)
        path.extend(current)
        previous, previous_rtt, previous_ttl = current, step.rtt_min, step.ttl
    dst = view.trace.dst
    if dst and not view.reached:
        target = f"dst:{dst}"
        node = _add_node(G, target, kind="destination", label=dst, addr=dst, reached=False)
        if view.dst_answer is not None:
            node.update(
                {k: v for k, v in _answer_attrs(view.dst_answer, None).items() if k != "kind"}
            )
            node["kind"] = "destination"
        node["traces"] += 1
        for u in previous:
            _add_edge(G, u, target, view, gap=0, delta=None, unreached=True)
        path.append(target)
    elif dst and dst in G:
        G.nodes[dst]["reached"] = True
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
    G = nx.DiGraph(trace_paths={})
    for index, trace in enumerate(trace_list):
        manifest = manifest_for_trace(trace, manifests or {})
        view = view_trace(trace, answers, manifest=manifest, index=index)
        path = add_trace(G, view)
        G.graph["trace_paths"][view.trace_id] = {
            "origin": view.trace_id,
            "src": trace.src,
            "dst": trace.dst,
            "provider": view.provider,
            "reached": view.reached,
            "path": path,
        }
    return G
