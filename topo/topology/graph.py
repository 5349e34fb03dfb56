"""Merge traces into one directed graph (networkx), with documented attributes.

Node keys
---------
- a public address is its own key (``"13.208.0.67"``), so every trace through it meets there;
- a special-purpose address is scoped by the trace's provider, or by its vantage point when
  no provider is known (``"100.65.1.9@Amazon"``), so one private address in two unrelated
  networks never merges;
- a vantage point is ``"vantage:<address, manifest label or file name>"``, drawn with the
  label :func:`topo.topology.endpoints.vantage_label` gives (its address, the manifest's
  label, else what the trace shows: ``EC2 eu-west-1 instance``; never the file name); a
  destination that never answered is ``"dst:<address>"`` (one that answered is its address
  node), drawn with the manifest's ``dst_label`` when it has one;
- an anonymous hop is ``"*|<answers before>|<answers after>|<position in the gap>"``, so
  stars neither merge into one node (a false convergence) nor multiply per trace.

Node attributes
---------------
==============  =======================================================================
``kind``        ``hop``, ``anonymous``, ``vantage`` or ``destination``
``addr``        the address (absent for anonymous hops and label-only vantage points)
``label``       what a drawing shows (address, the vantage's label, the ``dst_label``)
``category``    IANA category slug (``public``, ``cgnat``, ``class-e``, ...)
``reg_name``    the registry's name (``Shared Address Space``), ``rfc`` its RFC
``special``     True for special-purpose addresses
``scope``       the provider or vantage that scopes a special address
``org``         organisation as the registry names it; ``family`` the owner family
``asn``         origin AS; ``asn_name``, ``prefix``, ``provider``, ``region``, ``services``
``answered_by`` the owner's sources (``+``-joined); ``evidence`` what else was seen (list)
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
:func:`topo.topology.infer.infer_interconnects`, ``inference`` (segments and verdicts), so a
renderer needs nothing but ``G``.

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

from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import networkx as nx

from topo.inputs.manifest import Manifest, manifest_for_trace
from topo.model import Trace
from topo.owners import OwnerAnswer, OwnerResolver
from topo.topology.digest import NS_PER_MS
from topo.topology.endpoints import destination_label, distinct_labels, vantage_label
from topo.topology.views import Step, TraceView, answers_for, view_trace

TRACE_ID_CAP = 20
#: The attributes of a new anonymous (``*``) node.
_ANONYMOUS = {"kind": "anonymous", "label": "*", "category": "unknown"}


def vantage_key(view: TraceView) -> str:
    """The vantage node of a trace: its source address, manifest label or file name."""
    digest = view.digest
    if digest.src:
        return f"vantage:{digest.src}"
    if view.manifest is not None and view.manifest.src_label:
        return f"vantage:{view.manifest.src_label}"
    if digest.source is not None:
        return f"vantage:{Path(digest.source).name}"
    return f"vantage:<{digest.trace_id}>"


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
        attrs["answered_by"] = owner.answered_by
        if owner.evidence:
            attrs["evidence"] = list(owner.evidence)
    return {k: v for k, v in attrs.items() if v is not None}


class GraphBuilder:
    """Aggregates traces into plain dicts, then makes the networkx graph once.

    Nodes and edges keep the order they were first seen in. The edges are kept as
    networkx keeps them (``succ[u][v]`` and ``pred[v][u]``, one attribute dict in both),
    and :meth:`graph` hands these dicts to the ``DiGraph`` it returns, so the graph is the
    same as adding every trace to a ``DiGraph`` directly, without networkx's cost per call.
    Builders of consecutive parts of the input merge (:meth:`merge`) into the builder of
    the whole: that is how an engine shares the work between processes.

    While building, RTT sums are kept in integer nanoseconds and TTLs as sets, so that
    merging parts in any grouping gives the same graph; :meth:`graph` turns them into
    the node attributes ``rtt_sum`` and ``ttls``.

    >>> from topo.model import Hop, Reply, Trace
    >>> from topo.topology.views import answers_for, view_trace
    >>> trace = Trace(dst="192.0.2.9", hops=(Hop(1, (Reply("192.0.2.9", 1.0),)),))
    >>> builder = GraphBuilder()
    >>> builder.add(view_trace(trace, answers_for([trace])))
    ['vantage:<trace-1>', '192.0.2.9@vantage:<trace-1>']
    >>> builder.graph().number_of_edges()
    1
    """

    def __init__(self) -> None:
        self.nodes: dict[str, dict[str, Any]] = {}
        #: ``succ[u][v]`` and ``pred[v][u]``: an edge's attribute dict (the same one in
        #: both); every node has an entry in each, made with it, in the nodes' order.
        self.succ: dict[str, dict[str, dict[str, Any]]] = {}
        self.pred: dict[str, dict[str, dict[str, Any]]] = {}
        #: Per trace id: origin, ends, provider, reached and node path (``G.graph``).
        self.trace_paths: dict[str, dict[str, Any]] = {}
        #: RTT sums per node in integer ns (exact, so merging in any grouping gives the
        #: same ``rtt_sum``).
        self.rtt_ns: dict[str, int] = {}
        #: TTLs per node (a node's sorted ``ttls`` list is made by :meth:`graph`).
        self.ttl_sets: dict[str, set[int]] = {}
        self._spent = False

    def edge_items(self) -> Iterator[tuple[tuple[str, str], dict[str, Any]]]:
        """``((u, v), attributes)`` of every edge, in the graph's order (by tail node, then
        first seen)."""
        for u, nbrs in self.succ.items():
            for v, data in nbrs.items():
                yield (u, v), data

    def number_of_edges(self) -> int:
        """How many edges the builder holds."""
        return sum(map(len, self.succ.values()))

    def _node(self, key: str, attrs: dict[str, Any]) -> dict[str, Any]:
        node = self.nodes[key] = _new_node(**attrs)
        self.succ[key] = {}
        self.pred[key] = {}
        self.rtt_ns[key] = 0
        self.ttl_sets[key] = set()
        return node

    def _edge(self, taken: set[tuple[str, str]], trace: str, u: str, v: str, gap: int,
              delta: float | None, **extra: Any) -> None:  # fmt: skip
        """Count the edge ``u -> v`` for ``trace`` (once per trace: ``taken``), keeping the
        least gap and RTT delta (both ends are nodes already)."""
        data = self.succ[u].get(v)
        if data is None:
            data = {"traces": 0, "trace_ids": [], "gap": gap, **extra}
            self.succ[u][v] = self.pred[v][u] = data
        if (u, v) not in taken:
            taken.add((u, v))
            data["traces"] += 1
            if len(data["trace_ids"]) < TRACE_ID_CAP:
                data["trace_ids"].append(trace)
        data["gap"] = min(data["gap"], gap)
        least = data.get("rtt_delta_min")
        if delta is not None and (least is None or delta < least):
            data["rtt_delta_min"] = delta

    def add(self, view: TraceView) -> list[str]:
        """Add one trace's nodes and edges; returns the trace's node path."""
        if self._spent:
            raise RuntimeError("this builder's dicts were given to a graph (graph() ends it)")
        nodes = self.nodes
        digest = view.digest
        trace = digest.trace_id
        seen: set[str] = set()
        taken: set[tuple[str, str]] = set()
        vantage = vantage_key(view)
        v_node = nodes.get(vantage)
        if v_node is None:
            v_node = self._node(vantage, {"kind": "vantage", "label": vantage_label(view)})
        if digest.src:
            v_node["addr"] = digest.src
        v_node["traces"] += 1
        seen.add(vantage)
        path, previous = self._add_steps(view, trace, vantage, seen, taken)
        dst = digest.dst
        named = destination_label(view)
        if dst and not digest.reached:
            target = f"dst:{dst}"
            node = nodes.get(target)
            if node is None:
                node = self._node(
                    target, {"kind": "destination", "label": dst, "addr": dst, "reached": False}
                )
            if view.dst_answer is not None:
                attrs = _answer_attrs(view.dst_answer, None)
                del attrs["kind"], attrs["label"]
                node.update(attrs)
                node["kind"] = "destination"
            if named and node["label"] == dst:  # the first dst_label met names it
                node["label"] = named
            node["traces"] += 1
            for u in previous:
                self._edge(taken, trace, u, target, 0, None, unreached=True)
            path.append(target)
        elif dst and dst in nodes:
            nodes[dst]["reached"] = True
            if named and nodes[dst]["label"] == dst:
                nodes[dst]["label"] = named
        return path

    def _add_steps(
        self, view: TraceView, trace: str, vantage: str, seen: set[str],
        taken: set[tuple[str, str]],
    ) -> tuple[list[str], list[str]]:  # fmt: skip
        """The steps of one trace into the builder: ``(node path, last step's nodes)``."""
        nodes = self.nodes
        scope = view.provider or vantage
        previous: list[str] = [vantage]
        previous_rtt: float | None = 0.0
        previous_ttl = 0
        keys: list[list[str]] = []
        path = [vantage]
        steps = view.steps
        for index, step in enumerate(steps):
            current = []
            if step.answers:
                for answer, (_, low, total, count, names, stacks) in zip(
                    step.answers, step.stats, strict=True
                ):
                    special = answer.classification.special
                    key = f"{answer.addr}@{scope}" if special else answer.addr
                    node = nodes.get(key)
                    if node is None:
                        node = self._node(key, _answer_attrs(answer, scope if special else None))
                    self._visit(node, key, step.ttl, seen)
                    if names:
                        node["names"].extend([n for n in names if n not in node["names"]])
                    if stacks:
                        node["mpls"].extend([m for m in stacks if m not in node["mpls"]])
                    if count:
                        if node.get("rtt_min") is None or low < node["rtt_min"]:
                            node["rtt_min"] = low
                        self.rtt_ns[key] += total
                        node["rtt_count"] += count
                    current.append(key)
            else:
                key = _star_key(steps, index, vantage, keys, view)
                node = nodes.get(key)
                if node is None:
                    node = self._node(key, _ANONYMOUS)
                self._visit(node, key, step.ttl, seen)
                current.append(key)
            rtt = step.rtt_min
            delta = None if rtt is None or previous_rtt is None else rtt - previous_rtt
            gap = step.ttl - previous_ttl - 1
            for u in previous:
                for v in current:
                    self._edge(taken, trace, u, v, gap, delta)
            keys.append(current)
            path.extend(current)
            previous, previous_rtt, previous_ttl = current, rtt, step.ttl
        return path, previous

    def _visit(self, node: dict[str, Any], key: str, ttl: int, seen: set[str]) -> None:
        """A trace reached ``node`` at ``ttl`` (counted once per trace: ``seen``)."""
        if key not in seen:
            seen.add(key)
            node["traces"] += 1
        self.ttl_sets[key].add(ttl)

    def add_view(self, view: TraceView) -> list[str]:
        """:meth:`add`, and the trace's entry in ``G.graph["trace_paths"]``."""
        path = self.add(view)
        digest = view.digest
        self.trace_paths[digest.trace_id] = {
            "origin": digest.trace_id,
            "src": digest.src,
            "dst": digest.dst,
            "provider": view.provider,
            "reached": digest.reached,
            "path": path,
        }
        return path

    def merge(self, other: GraphBuilder) -> None:
        """Add what ``other`` aggregated from the traces that follow this builder's
        (``other`` is used up: this builder takes its dicts over).

        The result is the builder of both parts read in order: first-seen orders, trace
        counts, the first :data:`TRACE_ID_CAP` trace ids, least RTTs and gaps, names, MPLS
        stacks, TTLs and (exact) RTT sums all combine as if one builder had read both.
        """
        nodes, succ, pred = self.nodes, self.succ, self.pred
        shared = []
        for key, theirs in other.nodes.items():
            mine = nodes.get(key)
            if mine is None:  # a node only ``other`` has came with its adjacency
                nodes[key] = theirs
                succ[key] = other.succ[key]
                pred[key] = other.pred[key]
                self.rtt_ns[key] = other.rtt_ns[key]
                self.ttl_sets[key] = other.ttl_sets[key]
                continue
            shared.append(key)
            _merge_node(mine, theirs)
            self.rtt_ns[key] += other.rtt_ns[key]
            self.ttl_sets[key] |= other.ttl_sets[key]
        # The edges between nodes both have are merged one by one, first out of each
        # node (succ order), then into each (pred order: first seen, as ``other`` saw
        # the new ones after this builder's).
        for u in shared:
            nbrs = succ[u]
            for v, theirs in other.succ[u].items():
                mine = nbrs.get(v)
                if mine is None:
                    nbrs[v] = theirs
                    continue
                mine["traces"] += theirs["traces"]
                ids = mine["trace_ids"]
                ids.extend(theirs["trace_ids"][: max(TRACE_ID_CAP - len(ids), 0)])
                mine["gap"] = min(mine["gap"], theirs["gap"])
                if "rtt_delta_min" in theirs:
                    least = mine.get("rtt_delta_min")
                    if least is None or theirs["rtt_delta_min"] < least:
                        mine["rtt_delta_min"] = theirs["rtt_delta_min"]
                _take_new_keys(mine, theirs)
        for v in shared:
            nbrs = pred[v]
            for u in other.pred[v]:
                if u not in nbrs:
                    nbrs[u] = succ[u][v]
        self.trace_paths.update(other.trace_paths)

    def graph(self) -> nx.DiGraph:
        """The networkx graph of everything added (nodes, then edges, in first-seen order),
        with the derived attributes filled in: RTT sums in ms from the exact ns sums,
        sorted TTL lists, least RTT deltas rounded to 1 ns.

        The graph takes the builder's dicts as its own (``G._node``, ``G._adj``,
        ``G._pred``): nothing is copied or added edge by edge. The builder is spent.
        """
        for key, node in self.nodes.items():
            node["rtt_sum"] = self.rtt_ns[key] / NS_PER_MS
            node["ttls"] = sorted(self.ttl_sets[key])
        for nbrs in self.succ.values():
            for data in nbrs.values():
                if "rtt_delta_min" in data:
                    data["rtt_delta_min"] = round(data["rtt_delta_min"], 6)
        distinct_labels(self.nodes)  # each end's label names one node
        G = nx.DiGraph(trace_paths=self.trace_paths)
        G._node = self.nodes
        G._adj = self.succ  # networkx keeps _succ the same object
        G._pred = self.pred
        self._spent = True
        return G


def _star_key(
    steps: Sequence[Step], index: int, vantage: str, keys: list[list[str]], view: TraceView
) -> str:
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
    before = ",".join(sorted(keys[start - 1])) if start > 0 else vantage
    following = steps[end + 1].answers if end + 1 < len(steps) else ()
    after = ",".join(sorted(address_key(a, view) for a in following))
    return f"*|{before}|{after}|{index - start + 1}"


def _merge_node(mine: dict[str, Any], theirs: dict[str, Any]) -> None:
    """Fold the node ``theirs`` (seen later in the input) into ``mine``."""
    mine["traces"] += theirs["traces"]
    mine["rtt_count"] += theirs["rtt_count"]
    for name in ("names", "mpls"):
        mine[name].extend([value for value in theirs[name] if value not in mine[name]])
    if "rtt_min" in theirs:
        least = mine.get("rtt_min")
        if least is None or theirs["rtt_min"] < least:
            mine["rtt_min"] = theirs["rtt_min"]
    if theirs.get("reached"):
        mine["reached"] = True
    if mine.get("label") == mine.get("addr") != theirs.get("label"):  # a dst_label came later
        mine["label"] = theirs["label"]
    _take_new_keys(mine, theirs)


def _take_new_keys(mine: dict[str, Any], theirs: dict[str, Any]) -> None:
    """The attributes only ``theirs`` has, into ``mine`` (after its own, in their order)."""
    for name, value in theirs.items():
        mine.setdefault(name, value)


def build_graph(
    traces: Iterable[Trace],
    owners: OwnerResolver | Mapping[str, OwnerAnswer] | None = None,
    *,
    manifests: Mapping[str, Manifest | None] | None = None,
) -> nx.DiGraph:
    """Merge ``traces`` into one graph (attributes in the module docstring).

    ``owners`` is a resolver (offline by default) or answers already resolved;
    ``manifests`` maps input folders to their manifests (:func:`topo.inputs.manifests_for`).
    """
    trace_list = list(traces)
    answers = owners if isinstance(owners, Mapping) else answers_for(trace_list, owners)
    builder = GraphBuilder()
    for index, trace in enumerate(trace_list):
        manifest = manifest_for_trace(trace, manifests or {})
        builder.add_view(view_trace(trace, answers, manifest=manifest, index=index))
    return builder.graph()
