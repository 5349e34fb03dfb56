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
from itertools import islice
from pathlib import Path
from typing import Any

import networkx as nx

from topo.inputs.manifest import Manifest, manifest_for_trace
from topo.model import Trace
from topo.owners import OwnerAnswer, OwnerResolver
from topo.packed import PackedDict
from topo.topology.digest import NS_PER_MS
from topo.topology.views import Step, TraceView, answers_for, view_trace

TRACE_ID_CAP = 20


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
    return {k: v for k, v in attrs.items() if v is not None}


_TAIL_FROM = 3  # _answer_attrs keys after kind, addr and label: the same for one owner


def _edge(
    succ: dict[str, dict[str, dict[str, Any]]],
    pred: dict[str, dict[str, dict[str, Any]]],
    taken: set[tuple[str, str]],
    trace: str,
    u: str,
    v: str,
    gap: int,
    delta: float | None,
    **extra: Any,
) -> None:
    """Count the edge ``u -> v`` for ``trace`` (once per trace: ``taken``), keeping the
    least gap and RTT delta; a new edge's attributes go into ``succ[u][v]`` and
    ``pred[v][u]`` (both ends are nodes already)."""
    data = succ[u].get(v)
    if data is None:
        data = succ[u][v] = pred[v][u] = {"traces": 0, "trace_ids": [], "gap": gap, **extra}
    pair = (u, v)
    if pair not in taken:
        taken.add(pair)
        data["traces"] += 1
        ids = data["trace_ids"]
        if len(ids) < TRACE_ID_CAP:
            ids.append(trace)
    if gap < data["gap"]:
        data["gap"] = gap
    if delta is not None:
        least = data.get("rtt_delta_min")
        if least is None or delta < least:
            data["rtt_delta_min"] = delta


class GraphBuilder:
    """Aggregates traces into plain dicts, then makes the networkx graph once.

    The edges are aggregated straight into adjacency dicts shaped as networkx keeps
    them (``succ[u][v]`` and ``pred[v][u]``, one attribute dict), which become the
    graph's own: no edge index beside them, and nothing to copy at the end. Nodes and
    edges keep the order they were first seen in, so the graph is the same as adding
    every trace to a ``DiGraph`` directly, only without networkx's per-call cost.
    Builders of consecutive parts of the input merge (:meth:`merge`) into the builder of
    the whole: that is how worker processes share the work.

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
        #: ``trace_paths`` packed past its first entries (:class:`topo.packed.PackedDict`).
        self.graph_attrs: dict[str, Any] = {"trace_paths": PackedDict()}
        #: RTT sums per node in integer ns (exact, so merging in any grouping gives the
        #: same ``rtt_sum``).
        self.rtt_ns: dict[str, int] = {}
        #: TTLs per node as a set while building (a node's ``ttls`` list is filled, sorted,
        #: when the graph is made).
        self.ttl_sets: dict[str, set[int]] = {}
        #: Whether the derived attributes (``rtt_sum``, ``ttls``, rounded deltas) are
        #: filled in (:meth:`finish`); a finished builder keeps no TTL sets.
        self.finished = False
        #: Node attributes after ``kind``/``addr``/``label`` per (classification, owner,
        #: scope), with the objects they came from (so their ids stay theirs).
        self._tails: dict[tuple[int, int, str | None], tuple[object, object, dict[str, Any]]] = {}
        #: Whether :meth:`graph` gave these dicts to a graph (adding to the builder then
        #: copies them first, so that the graph stays as it was given).
        self._given = False

    def edge_items(self) -> Iterator[tuple[tuple[str, str], dict[str, Any]]]:
        """``((u, v), attributes)`` of every edge, in the graph's order (by tail node, then
        first seen)."""
        for u, nbrs in self.succ.items():
            for v, data in nbrs.items():
                yield (u, v), data

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_tails"] = {}  # a cache, keyed by ids that mean nothing in another process
        state["_given"] = False
        del state["pred"]
        state["succ"] = _pack_edges(self.nodes, self.succ, self.pred)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state["succ"], state["pred"] = _unpack_edges(state["nodes"], state["succ"])
        self.__dict__.update(state)

    @classmethod
    def from_graph(cls, G: nx.DiGraph) -> GraphBuilder:
        """A builder that continues ``G`` (sharing its attribute dicts)."""
        builder = cls()
        builder.nodes = dict(G.nodes(data=True))
        builder.succ = {u: dict(nbrs) for u, nbrs in G.adj.items()}
        builder.pred = {v: dict(nbrs) for v, nbrs in G.pred.items()}
        builder.graph_attrs = G.graph
        builder.rtt_ns = {
            key: round(data.get("rtt_sum", 0.0) * NS_PER_MS) for key, data in builder.nodes.items()
        }
        builder.ttl_sets = {key: set(data.get("ttls", ())) for key, data in builder.nodes.items()}
        return builder

    def _node(self, key: str, attrs: dict[str, Any]) -> dict[str, Any]:
        node = self.nodes[key] = _new_node(**attrs)
        self.succ[key] = {}
        self.pred[key] = {}
        self.rtt_ns[key] = 0
        self.ttl_sets[key] = set()
        return node

    def _hop_node(self, key: str, answer: OwnerAnswer, scope: str | None) -> dict[str, Any]:
        """A new hop node: :func:`_answer_attrs` with the attributes its classification
        and owner give made once per owner (a large input makes a node per address)."""
        cls, owner = answer.classification, answer.owner
        if not cls.special:
            scope = None
        cache_key = (id(cls), id(owner), scope)
        cached = self._tails.get(cache_key)
        if cached is None:
            attrs = _answer_attrs(answer, scope)
            tail = dict(list(attrs.items())[_TAIL_FROM:])
            self._tails[cache_key] = (cls, owner, tail)
        else:
            tail = cached[2]
        addr = answer.addr
        node = self._node(key, {"kind": "hop", "addr": addr, "label": addr, **tail})
        if "services" in tail:
            node["services"] = list(tail["services"])  # a list of its own
        return node

    def _star_node(self, key: str) -> dict[str, Any]:
        return self._node(key, {"kind": "anonymous", "label": "*", "category": "unknown"})

    def add(self, view: TraceView) -> list[str]:
        """Add one trace's nodes and edges; returns the trace's node path."""
        if self._given:
            self._take_back()
        if self.finished:
            self._reopen()
        nodes, succ, pred = self.nodes, self.succ, self.pred
        digest = view.digest
        trace = digest.trace_id
        seen: set[str] = set()
        taken: set[tuple[str, str]] = set()
        vantage = vantage_key(view)
        v_node = nodes.get(vantage)
        if v_node is None:
            v_node = self._node(vantage, {"kind": "vantage", "label": vantage[8:]})
        if digest.src:
            v_node["addr"] = digest.src
        v_node["traces"] += 1
        seen.add(vantage)
        scope_name = view.provider or vantage
        path, previous = self._add_steps(view, trace, vantage, scope_name, seen, taken)
        dst = digest.dst
        if dst and not digest.reached:
            target = f"dst:{dst}"
            node = nodes.get(target)
            if node is None:
                node = self._node(
                    target, {"kind": "destination", "label": dst, "addr": dst, "reached": False}
                )
            if view.dst_answer is not None:
                attrs = _answer_attrs(view.dst_answer, None)
                del attrs["kind"]
                node.update(attrs)
                node["kind"] = "destination"
            node["traces"] += 1
            for u in previous:
                _edge(succ, pred, taken, trace, u, target, 0, None, unreached=True)
            path.append(target)
        elif dst and dst in nodes:
            nodes[dst]["reached"] = True
        return path

    def _add_steps(
        self,
        view: TraceView,
        trace: str,
        vantage: str,
        scope_name: str,
        seen: set[str],
        taken: set[tuple[str, str]],
    ) -> tuple[list[str], list[str]]:
        """The steps of one trace into the builder: ``(node path, last step's nodes)``."""
        nodes, rtt_ns, ttl_sets = self.nodes, self.rtt_ns, self.ttl_sets
        succ, pred = self.succ, self.pred
        previous: list[str] = [vantage]
        previous_rtt: float | None = 0.0
        previous_ttl = 0
        keys: list[list[str]] = []
        path = [vantage]
        steps = view.steps
        for index, step in enumerate(steps):
            ttl, answers, _, rtt, stats = step
            current = []
            if answers:
                for answer, (_, low, total, count, names, stacks) in zip(
                    answers, stats, strict=True
                ):
                    if answer.classification.special:
                        key = f"{answer.addr}@{scope_name}"
                        node = nodes.get(key)
                        if node is None:
                            node = self._hop_node(key, answer, scope_name)
                    else:
                        key = answer.addr
                        node = nodes.get(key)
                        if node is None:
                            node = self._hop_node(key, answer, None)
                    if key not in seen:
                        seen.add(key)
                        node["traces"] += 1
                    ttl_sets[key].add(ttl)
                    if names:
                        known = node["names"]
                        known.extend([n for n in names if n not in known])
                    if stacks:
                        known = node["mpls"]
                        known.extend([m for m in stacks if m not in known])
                    if count:
                        least = node.get("rtt_min")
                        if least is None or low < least:
                            node["rtt_min"] = low
                        rtt_ns[key] += total
                        node["rtt_count"] += count
                    current.append(key)
            else:
                key = self._star_key(steps, index, vantage, keys, view)
                node = nodes.get(key)
                if node is None:
                    node = self._star_node(key)
                if key not in seen:
                    seen.add(key)
                    node["traces"] += 1
                ttl_sets[key].add(ttl)
                current.append(key)
            delta = None if rtt is None or previous_rtt is None else rtt - previous_rtt
            gap = ttl - previous_ttl - 1
            if len(previous) == 1 and len(current) == 1:  # the common case, without a call
                u, v = previous[0], current[0]
                nbrs = succ[u]
                if v not in nbrs:  # a new edge: _edge's result, made at once
                    taken.add((u, v))
                    data = nbrs[v] = pred[v][u] = {"traces": 1, "trace_ids": [trace], "gap": gap}
                    if delta is not None:
                        data["rtt_delta_min"] = delta
                else:
                    _edge(succ, pred, taken, trace, u, v, gap, delta)
            else:
                for u in previous:
                    for v in current:
                        _edge(succ, pred, taken, trace, u, v, gap, delta)
            keys.append(current)
            path.extend(current)
            previous, previous_rtt, previous_ttl = current, rtt, ttl
        return path, previous

    @staticmethod
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

    def add_view(self, view: TraceView) -> list[str]:
        """:meth:`add`, and the trace's entry in ``G.graph["trace_paths"]``."""
        path = self.add(view)
        digest = view.digest
        self.graph_attrs["trace_paths"][digest.trace_id] = {
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
        if self._given:
            self._take_back()
        finished = self.finished or other.finished
        if finished:  # both then, and so is the result
            self.finish()
            other.finish()
        shared = self._merge_nodes(other, finished)
        succ, pred = self.succ, self.pred
        # A node only ``other`` has came with its adjacency (every edge at it is new);
        # the edges between nodes both have are merged one by one, first out of each
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
        self.graph_attrs["trace_paths"].update(other.graph_attrs["trace_paths"])

    def _merge_nodes(self, other: GraphBuilder, finished: bool) -> list[str]:
        """The nodes of :meth:`merge`; returns the keys of the nodes both builders hold.
        Of ``finished`` builders, such a node gets its derived attributes again (least
        deltas need nothing: rounding keeps their order); of others, the TTL sets merge."""
        nodes, rtt_ns, ttl_sets = self.nodes, self.rtt_ns, self.ttl_sets
        succ, pred = self.succ, self.pred
        shared = []
        for key, theirs in other.nodes.items():
            mine = nodes.get(key)
            if mine is None:
                nodes[key] = theirs
                succ[key] = other.succ[key]
                pred[key] = other.pred[key]
                rtt_ns[key] = other.rtt_ns.get(key, 0)
                if not finished:
                    ttl_sets[key] = other.ttl_sets.get(key, set())
                continue
            shared.append(key)
            _merge_node(mine, theirs)
            total = rtt_ns[key] = rtt_ns.get(key, 0) + other.rtt_ns.get(key, 0)
            if not finished:
                ttl_sets.setdefault(key, set()).update(other.ttl_sets.get(key, ()))
                continue
            mine["rtt_sum"] = total / NS_PER_MS
            if theirs.get("ttls"):
                mine["ttls"] = sorted({*mine.get("ttls", ()), *theirs["ttls"]})
        return shared

    def number_of_edges(self) -> int:
        """How many edges the builder holds."""
        return sum(map(len, self.succ.values()))

    def update(self, G: nx.DiGraph) -> nx.DiGraph:
        """Add what is not yet in ``G`` (nodes, then edges, in the graph's order); returns G."""
        self.finish()
        G.add_nodes_from((key, attrs) for key, attrs in self.nodes.items() if key not in G)
        G.add_edges_from(
            (u, v, attrs) for (u, v), attrs in self.edge_items() if not G.has_edge(u, v)
        )
        return G

    def finish(self) -> None:
        """Fill in the derived attributes now: RTT sums in ms, sorted TTL lists, least RTT
        deltas rounded to 1 ns (:meth:`graph` does it when it was not done).

        Finished builders merge into a finished builder, so processes that share a build
        each finish their own part before the merge, which then redoes only the nodes both
        parts hold. Adding a trace to a finished builder is allowed (it opens it again).
        """
        if not self.finished:
            self._finish_attrs()
            self.ttl_sets = {}  # the nodes' ``ttls`` say the same
            self.finished = True

    def _reopen(self) -> None:
        """The TTL sets of a finished builder again, so that traces can be added."""
        self.ttl_sets = {key: set(node.get("ttls", ())) for key, node in self.nodes.items()}
        self.finished = False

    def _take_back(self) -> None:
        """Dicts of the builder's own again after :meth:`graph` gave them away (the
        attribute dicts stay shared, as they always were)."""
        self.nodes = dict(self.nodes)
        self.succ = {key: dict(nbrs) for key, nbrs in self.succ.items()}
        self.pred = {key: dict(nbrs) for key, nbrs in self.pred.items()}
        self._given = False

    def _finish_attrs(self) -> None:
        """RTT sums in ms from the exact ns sums, TTL lists from the TTL sets; least RTT
        deltas rounded to 1 ns, equal ones one float (:func:`_shared_float`)."""
        rtt_ns, ttl_sets = self.rtt_ns, self.ttl_sets
        for key, node in self.nodes.items():
            node["rtt_sum"] = rtt_ns.get(key, 0) / NS_PER_MS
            ttls = ttl_sets.get(key)
            if ttls is not None:
                node["ttls"] = sorted(ttls)
        floats: dict[float, float] = {}
        for nbrs in self.succ.values():
            for data in nbrs.values():
                if "rtt_delta_min" in data:
                    data["rtt_delta_min"] = _shared_float(floats, round(data["rtt_delta_min"], 6))

    def graph(self) -> nx.DiGraph:
        """The networkx graph of everything added (nodes, then edges, in first-seen order).

        The graph gets the builder's dicts as its own (``G._node``, ``G._succ``,
        ``G._pred``: networkx's documented way to set them): nothing is copied or added
        edge by edge. Adding to the builder afterwards leaves the graph's nodes and edges
        as they were (the attribute dicts are shared).
        """
        self.finish()
        G = nx.DiGraph()
        G.graph.update(self.graph_attrs)
        if not _plain(G):  # a networkx that keeps them otherwise: its own calls
            return self.update(G)
        if self._given:
            self._take_back()
        G._node = self.nodes
        G._adj = self.succ  # networkx keeps _succ the same object
        G._pred = self.pred
        self._given = True
        return G


def edge_count(G: nx.DiGraph) -> int:
    """``G.number_of_edges()``, counted from the adjacency dicts of a plain ``DiGraph``
    (networkx sums a degree view node by node: about 0.1 s on 50,000 nodes).

    >>> edge_count(nx.DiGraph([(1, 2), (2, 3), (3, 3)])), edge_count(nx.Graph([(1, 2)]))
    (3, 1)
    """
    if G.is_directed() and not G.is_multigraph() and _plain(G):
        return sum(map(len, G._succ.values()))
    return int(G.number_of_edges())


def _plain(G: nx.DiGraph) -> bool:
    """Whether ``G`` keeps its nodes and adjacency in plain dicts that can be filled
    directly (networkx's ``DiGraph`` does)."""
    return hasattr(G, "_succ") and hasattr(G, "_pred") and all(
        getattr(G, name) is dict
        for name in ("node_dict_factory", "adjlist_outer_dict_factory",
                     "adjlist_inner_dict_factory", "node_attr_dict_factory")
    )  # fmt: skip


_PLAIN_EDGE = ("traces", "trace_ids", "gap")
_TIMED_EDGE = ("traces", "trace_ids", "gap", "rtt_delta_min")


def _pack_edges(
    nodes: dict[str, Any],
    succ: dict[str, dict[str, dict[str, Any]]],
    pred: dict[str, dict[str, dict[str, Any]]],
) -> tuple[list[Any], ...]:
    """Edges as columns (what a worker process sends the parent: pickling lists of
    numbers is about twice as fast as pickling a dict per edge): per node, in the nodes'
    order, how many edges leave it and how many enter it; the heads, counts, trace ids,
    gaps and deltas of the edges out of each node, the tails of the edges into each
    node. Edges with other attributes travel as they are, with their position."""
    out_sizes: list[int] = []
    heads: list[str] = []
    traces: list[int] = []
    ids: list[list[str]] = []
    gaps: list[int] = []
    deltas: list[float | None] = []
    odd: list[tuple[int, str, dict[str, Any]]] = []
    in_sizes: list[int] = []
    tails: list[str] = []
    position = 0
    for key in nodes:
        nbrs = succ[key]
        out_sizes.append(len(nbrs))
        for v, data in nbrs.items():
            keys = tuple(data)
            if keys == _TIMED_EDGE:
                deltas.append(data["rtt_delta_min"])
            elif keys == _PLAIN_EDGE:
                deltas.append(None)
            else:
                odd.append((position, v, data))
                position += 1
                continue
            position += 1
            heads.append(v)
            traces.append(data["traces"])
            ids.append(data["trace_ids"])
            gaps.append(data["gap"])
        into = pred[key]
        in_sizes.append(len(into))
        tails.extend(into)
    return out_sizes, heads, traces, ids, gaps, deltas, odd, in_sizes, tails


def _shared_float(floats: dict[float, float], value: Any) -> Any:
    """``value``, or the equal float met before (kept in ``floats``): RTTs have a few
    decimals, so the million RTT deltas of a large graph hold a few thousand values, and
    a float object for each edge costs 32 bytes (40 MB at 100,000 Atlas results). Zeros
    (``0.0 == -0.0``) and what is not a float stay as they are.

    >>> floats = {}
    >>> a, b = _shared_float(floats, 1.5), _shared_float(floats, 3 / 2)
    >>> a is b, _shared_float(floats, -0.0), _shared_float(floats, 2)
    (True, -0.0, 2)
    """
    if type(value) is not float or not value:
        return value
    return floats.setdefault(value, value)


def _unpack_edges(
    nodes: dict[str, Any], packed: tuple[list[Any], ...]
) -> tuple[dict[str, dict[str, dict[str, Any]]], dict[str, dict[str, dict[str, Any]]]]:
    """The adjacency dicts (``succ``, ``pred``) :func:`_pack_edges` packed, in their
    order."""
    out_sizes, heads, traces, ids, gaps, deltas, odd, in_sizes, tails = packed
    columns = zip(heads, traces, ids, gaps, deltas, strict=True)
    pending = iter(odd)
    next_odd = next(pending, None)
    succ: dict[str, dict[str, dict[str, Any]]] = {}
    floats: dict[float, float] = {}  # what the worker shared, shared again
    position = 0
    for key, size in zip(nodes, out_sizes, strict=True):
        nbrs = succ[key] = {}
        for _ in range(size):
            if next_odd is not None and next_odd[0] == position:
                nbrs[next_odd[1]] = next_odd[2]
                next_odd = next(pending, None)
            else:
                v, count, trace_ids, gap, delta = next(columns)
                if delta is None:
                    nbrs[v] = {"traces": count, "trace_ids": trace_ids, "gap": gap}
                else:
                    nbrs[v] = {"traces": count, "trace_ids": trace_ids, "gap": gap,
                               "rtt_delta_min": _shared_float(floats, delta)}  # fmt: skip
            position += 1
    pred: dict[str, dict[str, dict[str, Any]]] = {}
    sources = iter(tails)
    for key, size in zip(nodes, in_sizes, strict=True):
        pred[key] = {u: succ[u][key] for u in islice(sources, size)}
    return succ, pred


def _merge_node(mine: dict[str, Any], theirs: dict[str, Any]) -> None:
    """Fold the node ``theirs`` (seen later in the input) into ``mine``."""
    mine["traces"] += theirs["traces"]
    mine["rtt_count"] += theirs["rtt_count"]
    for name in ("names", "mpls"):
        if theirs[name]:
            known = mine[name]
            for value in theirs[name]:
                if value not in known:
                    known.append(value)
    if "rtt_min" in theirs:
        least = mine.get("rtt_min")
        if least is None or theirs["rtt_min"] < least:
            mine["rtt_min"] = theirs["rtt_min"]
    if theirs.get("reached"):
        mine["reached"] = True
    _take_new_keys(mine, theirs)


def _take_new_keys(mine: dict[str, Any], theirs: dict[str, Any]) -> None:
    """The attributes only ``theirs`` has, into ``mine`` (after its own, in their order)."""
    if not mine.keys() >= theirs.keys():  # mostly the same keys: one comparison
        for name, value in theirs.items():
            mine.setdefault(name, value)


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
    ``manifests`` maps input folders to their manifests (:func:`topo.inputs.manifests_for`).
    """
    trace_list = list(traces)
    answers = owners if isinstance(owners, Mapping) else answers_for(trace_list, owners)
    builder = GraphBuilder()
    for index, trace in enumerate(trace_list):
        manifest = manifest_for_trace(trace, manifests or {})
        builder.add_view(view_trace(trace, answers, manifest=manifest, index=index))
    return builder.graph()
