"""What the page shows, as plain data: vis nodes and edges, tooltips, legend, traces, header.

Every string that came from an input file or a registry passes through
:func:`topo.render.text.terminal_safe` (control and bidi characters shown as escapes) and is
later written into the page as JSON data or escaped text, never as markup.

>>> from topo.model import Hop, Reply, Trace
>>> from topo.topology.graph import build_graph
>>> G = build_graph([Trace(dst="52.95.31.166", hops=(
...     Hop(1, (Reply("13.208.0.67", 0.4, name="r1\\u202eevil"),)),
...     Hop(2, (Reply("100.65.1.9", 2.0),))))])
>>> data = page_data(G)
>>> [n["k"] for n in data.nodes]
['endpoint', 'public:Amazon', 'cgnat', 'endpoint']
>>> dict(data.info[1])["names"]
'r1\\\\u202eevil'
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from topo.owners.origin import credits_for
from topo.render.layout import (
    LINE_CHARS,
    SUMMARY,
    Box,
    Layout,
    card_lines,
    census,
    compute_layout,
    segment_summary,
)
from topo.render.layout_words import set_provider
from topo.render.packed import Strings, pack_records, pack_rows
from topo.render.packing import FONT
from topo.render.style import legend, style_key
from topo.render.text import terminal_safe
from topo.topology.regions import load_regions

#: How many traces and sources the header and the trace list show.
LIST_CAP = 500
HEADER_CAP = 40
#: An aggregate's details list this many of its addresses.
MEMBERS_SHOWN = 20
#: A group's details list owners and ASNs when it holds at most this many nodes.
GROUP_DETAIL_MAX = 2000


def safe(value: Any) -> str:
    """Text for display: ``str(value)`` with control and direction characters escaped."""
    text = str(value)
    if text.isascii() and text.isprintable():
        return text
    return terminal_safe(text)


def _join(values: Sequence[Any]) -> str:
    return ", ".join(safe(v) for v in values)


def _ms(value: Any) -> str:
    return f"{float(value):.3f} ms"


def _add_row(rows: list[tuple[str, str]], name: str, value: Any, *, keep_empty_text: bool) -> None:
    """Add ``(name, text)`` for a value a details table shows (lists joined, dicts as
    ``key value`` pairs, every part escaped); nothing for an empty value."""
    if value is None or value == [] or value == {} or (value == "" and not keep_empty_text):
        return
    if isinstance(value, list | tuple):
        rows.append((name, _join(value)))
    elif isinstance(value, dict):
        rows.append((name, ", ".join(f"{safe(k)} {safe(v)}" for k, v in value.items())))
    else:
        rows.append((name, safe(value)))


def node_info(attrs: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every attribute of a node, as (name, text) rows for its tooltip."""
    regions = load_regions()
    rows: list[tuple[str, str]] = []

    def add(name: str, value: Any) -> None:
        _add_row(rows, name, value, keep_empty_text=False)

    add("address", attrs.get("addr"))
    add("kind", attrs.get("kind"))
    add("label", attrs.get("label") if attrs.get("label") != attrs.get("addr") else None)
    add("names", attrs.get("names"))
    add("category", attrs.get("category"))
    add("registry name", attrs.get("reg_name"))
    add("RFC", attrs.get("rfc"))
    add("scope", attrs.get("scope"))
    add("org", attrs.get("org"))
    add("owner family", attrs.get("family"))
    asn = attrs.get("asn")
    if asn is not None:
        add("ASN", f"AS{asn}" + (f" {attrs['asn_name']}" if attrs.get("asn_name") else ""))
    add("prefix", attrs.get("prefix"))
    add("provider", attrs.get("provider"))
    if attrs.get("region"):
        add("region", regions.label(None, str(attrs["region"])))
    add("services", attrs.get("services"))
    add("answered by", attrs.get("answered_by"))
    add("evidence", attrs.get("evidence"))
    if attrs.get("rtt_min") is not None:
        add("RTT min", _ms(attrs["rtt_min"]))
    if attrs.get("rtt_count"):
        add("RTT mean", _ms(attrs["rtt_sum"] / attrs["rtt_count"]))
    add("TTLs", attrs.get("ttls"))
    add("traces", attrs.get("traces"))
    add("MPLS", attrs.get("mpls"))
    if "reached" in attrs:
        add("reached", "yes" if attrs["reached"] else "no (silent destination)")
    add("members", attrs.get("members"))
    add("member categories", attrs.get("member_categories"))
    addrs = list(attrs.get("member_addrs") or [])
    if len(addrs) > MEMBERS_SHOWN:
        addrs = [
            *addrs[:MEMBERS_SHOWN],
            f"… and {len(addrs) - MEMBERS_SHOWN:,} more (search finds them)",
        ]
    add("member addresses", addrs)
    add("segment", attrs.get("segment"))
    return rows


def edge_data(attrs: Mapping[str, Any], trace_index: Mapping[str, int]) -> dict[str, Any]:
    """An edge's facts for the page, compact (the page writes its details rows on click):
    ``t`` its traces' indexes, ``n`` how many traces, ``d`` the least RTT gained (ms), ``g``
    TTLs skipped, ``seg`` its interconnect segment, ``dashes`` when the destination did not
    answer. ``from``, ``to`` and ``exit`` are added by :func:`page_data`."""
    ids = [trace_index[t] for t in attrs.get("trace_ids", ()) if t in trace_index]
    edge: dict[str, Any] = {"t": ids, "n": int(attrs.get("traces", len(ids)))}
    if attrs.get("rtt_delta_min") is not None:
        edge["d"] = round(float(attrs["rtt_delta_min"]), 3)
    if attrs.get("gap"):
        edge["g"] = int(attrs["gap"])
    if attrs.get("segment"):
        edge["seg"] = safe(attrs["segment"])
    if attrs.get("unreached"):
        edge["dashes"] = True
    return edge


def _search_parts(attrs: Mapping[str, Any]) -> list[str]:
    """What search matches for a node: address, names, owner, AS, region, category, RFC
    (escaped, lower case; the page joins them)."""
    regions = load_regions()
    parts: list[Any] = [attrs.get(k) for k in ("addr", "label", "org", "family", "prefix")]
    parts += [attrs.get(k) for k in ("asn_name", "provider", "category", "reg_name", "kind")]
    if attrs.get("asn") is not None:
        parts.append(f"AS{attrs['asn']}")
    if attrs.get("region"):
        parts += [attrs["region"], regions.label(None, str(attrs["region"]))]
    rfc = attrs.get("rfc")
    if rfc:
        parts += [rfc, str(rfc).replace("RFC", "RFC ")]
    parts += list(attrs.get("names") or []) + list(attrs.get("member_addrs") or [])
    return [safe(p).lower() for p in parts if p]


@dataclass
class PageData:
    """The page's nodes and edges (every router: the page shows a level at a time) and
    everything drawn around them: boxes, bands and groups, links, exits, legend, traces."""

    nodes: list[dict[str, Any]]
    edges: list[dict[str, Any]]
    info: list[list[tuple[str, str]]]
    search: list[list[str]]
    traces: list[dict[str, Any]]
    legend: list[dict[str, Any]]
    boxes: list[dict[str, Any]]
    bands: list[dict[str, Any]]
    header: dict[str, Any] = field(default_factory=dict)
    groups: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)
    exits: list[dict[str, Any]] = field(default_factory=list)
    font: float = 17.0

    def script_data(self) -> dict[str, Any]:
        """What the page's script reads (everything but vis's own nodes and edges), packed
        (:mod:`topo.render.packed`): details rows and search words as indexes into
        ``strings``, lists of records as tables."""
        styles = {e["key"]: {"colour": e["colour"], "shape": e["shape"]} for e in self.legend}
        strings = Strings()
        boxes = [
            {**b, "info": pack_rows(b["info"], strings)}
            for b in (*self.boxes, *self.bands, *self.groups)
        ]
        return {
            "info": [pack_rows(rows, strings) for rows in self.info],
            "search": [[strings(word) for word in words] for words in self.search],
            "traces": pack_records(self.traces),
            "trace_count": self.header.get("trace_count", len(self.traces)),
            "legend": self.legend,
            "styles": styles,
            "boxes": pack_records(boxes),
            "links": pack_records(self.links),
            "exits": pack_records(self.exits),
            "font": self.font,
            "base_font": FONT,
            "summary_share": SUMMARY,
            "line_chars": LINE_CHARS,
            "strings": strings.values,
        }


def _header(G: nx.DiGraph) -> dict[str, Any]:
    inference = G.graph.get("inference") or {}
    traces = inference.get("traces", [])
    files = list(
        dict.fromkeys(
            str(info.get("origin", t)).rsplit(":", 1)[0]
            for t, info in G.graph.get("trace_paths", {}).items()
        )
    )
    counts = inference.get("verdict_counts") or {}
    provider = set_provider(inference)
    return {
        "verdict": safe(inference.get("verdict", "not inferred")),
        "counts": ", ".join(f"{safe(k)} {v}" for k, v in counts.items() if v),
        "traces": [
            {
                "origin": safe(t.get("origin")),
                "verdict": safe(t.get("verdict")),
                "strip": safe(t.get("strip", "")),
                "reasons": [safe(r) for r in t.get("reasons", [])],
            }
            for t in traces[:HEADER_CAP]
        ],
        "more_traces": max(len(traces) - HEADER_CAP, 0),
        "trace_count": len(G.graph.get("trace_paths", {})),
        "segments": [
            [safe(s) for s in segment_summary(seg, provider)]
            for seg in inference.get("segments", [])
        ],
        "sources": [safe(f) for f in files[:HEADER_CAP]],
        "more_sources": max(len(files) - HEADER_CAP, 0),
        "notes": [safe(n) for n in inference.get("notes", [])],
        "credits": [
            safe(c) for c in credits_for(str(a) for _, a in G.nodes(data="answered_by") if a)
        ],
    }


def _notice(G: nx.DiGraph) -> list[str]:
    agg = G.graph.get("aggregation")
    if not agg:
        return []
    lines = [
        f"{agg['nodes_before']} nodes are over the budget of {agg['max_nodes']} "
        f"(--max-nodes): the drawing shows {agg['nodes_after']} nodes and "
        f"{agg['edges_after']} edges.",
        *(f"{step}." for step in agg["steps"]),
    ]
    if agg.get("over_budget"):
        lines.append("Still over the budget after every step; the page may be slow.")
    return lines


def page_data(G: nx.DiGraph, layout: Layout | None = None) -> PageData:
    """Page data for ``G`` (already aggregated to its budget), laid out by ``layout``."""
    layout = layout or compute_layout(G)
    index = {node: i for i, node in enumerate(G)}
    all_boxes = layout.all_boxes()
    box_index = {b.key: i for i, b in enumerate(all_boxes)}
    keys: list[str] = []
    nodes, info, search = [], [], []
    for i, (node, attrs) in enumerate(G.nodes(data=True)):
        key = style_key(attrs)
        keys.append(key)
        x, y = layout.positions[node]
        vis: dict[str, Any] = {"id": i, "x": round(x, 2), "y": round(y, 2)}
        vis["label"] = safe(attrs.get("label", node))
        vis["k"] = key
        vis["s"] = round(layout.scales.get(node, 1.0), 5)
        vis["b"] = box_index.get(layout.parents.get(node, ""), -1)
        if attrs.get("kind") == "prefix":
            vis["shape"] = "hexagon"
        if attrs.get("kind") == "destination" and not attrs.get("reached"):
            vis["dashed"] = True
        nodes.append(vis)
        info.append(node_info(attrs))
        search.append(_search_parts(attrs))
    trace_index = {t: i for i, t in enumerate(G.graph.get("trace_paths", {}))}
    exits = {(e.source, e.target): e for e in layout.exits}
    edges = []
    for u, v, attrs in G.edges(data=True):
        edge = {"from": index[u], "to": index[v], **edge_data(attrs, trace_index)}
        if (u, v) in exits:
            edge["exit"] = safe(exits[(u, v)].text)
        edges.append(edge)
    verdicts = {
        t["origin"]: t.get("verdict") for t in (G.graph.get("inference") or {}).get("traces", [])
    }
    traces = [
        {
            "id": safe(t),
            "verdict": safe(verdicts.get(t, "")),
            "path": [index[n] for n in p.get("path", []) if n in index],
        }
        for t, p in G.graph.get("trace_paths", {}).items()
    ]
    counts = Counter(keys)
    entries = [
        {"key": e.key, "label": safe(e.label), "colour": e.colour, "shape": e.shape}
        | {"count": counts[e.key]}
        for e in legend(keys)
    ]
    described = [_box(G, b, box_index) for b in all_boxes]
    top, bands = len(layout.clusters) + len(layout.boxes), len(layout.bands)
    links = [
        {"from": box_index[k.source], "to": box_index[k.target], "traces": k.traces}
        | {"exit": k.exit}
        for k in layout.links
    ]
    exit_list = [
        {"from": index[e.source], "to": index[e.target], "traces": e.traces, "text": safe(e.text)}
        for e in layout.exits
    ]
    header = _header(G)
    header["notice"] = _notice(G)
    return PageData(
        nodes, edges, info, search, traces, entries, described[:top],
        described[top : top + bands], header, described[top + bands :], links, exit_list,
        layout.font,
    )  # fmt: skip


def _box(G: nx.DiGraph, box: Box, index: Mapping[str, int]) -> dict[str, Any]:
    """A box for the page: its rectangle, words (escaped), details and search text."""
    data: dict[str, Any] = box.to_dict()
    data["label"] = safe(data["label"])
    data["summary"] = [safe(s) for s in data["summary"]]
    data["sentence"] = safe(data["sentence"])
    if box.kind == "group":
        data["titles"], data["lines"] = [data["label"]], data["summary"]
    else:
        data["titles"], data["lines"] = card_lines(data["label"], data["summary"])
    data["parent"] = index.get(box.parent, -1) if box.parent else -1
    data["ends"] = [index.get(k, -1) if k else -1 for k in box.ends]
    for name in ("x0", "y0", "x1", "y1"):
        data[name] = round(data[name], 2)
    for name in ("font", "scale", "lines_font"):
        if isinstance(data.get(name), float):
            data[name] = float(f"{data[name]:.5g}")
    data["info"] = box_info(G, box)
    words = [box.label, box.key.split(":", 1)[-1], *box.summary, box.kind]
    if box.kind == "region":
        words.append(load_regions().label(None, box.key.split(":", 1)[1]) or "")
    data["search"] = " ".join(safe(w) for w in words).lower()
    return data


def box_info(G: nx.DiGraph, box: Box) -> list[tuple[str, str]]:
    """Everything known about a box, band or group, as (name, text) rows."""
    name = box.key.partition(":")[2]
    names = {"region": "region box", "network": "network box", "gap": "hops nobody owns",
             "segment": "interconnect band", "group": "group of addresses",
             "cluster": "cluster of boxes"}  # fmt: skip
    rows: list[tuple[str, str]] = [("kind", names.get(box.kind, box.kind))]
    members = [G.nodes[m] for m in box.members]
    if box.kind == "region":
        rows.append(("region", safe(name)))
        city = load_regions().city(name)
        if city:
            rows.append(("city", safe(city)))
    if box.kind == "network":
        rows.append(("owner", safe(name)))
        rows.append(("outside the provider", "yes" if box.foreign else "no"))
    if box.kind == "group":
        rows.append(("prefix or part", safe(box.label)))
    if box.kind == "cluster":
        rows.append(("zoom in", "for each box in it"))
    crowd = box.kind in ("group", "cluster")
    rows.append(("contains", safe(box.summary[-1] if crowd else census(G, box.members))))
    if crowd and len(members) > GROUP_DETAIL_MAX:
        return rows
    asns: dict[int, str] = {}
    for attrs in members:
        if attrs.get("asn") is not None:
            asns.setdefault(int(attrs["asn"]), str(attrs.get("asn_name") or ""))
    if asns:
        shown = [f"AS{a} {n}".strip() for a, n in sorted(asns.items())]
        rows.append(("ASNs", _join(shown[:20]) + (" …" if len(shown) > 20 else "")))
    for label, attr in (("orgs", "org"), ("owner families", "family"), ("providers", "provider")):
        values = sorted({str(a[attr]) for a in members if a.get(attr)})
        if values:
            rows.append((label, _join(values[:12]) + (" …" if len(values) > 12 else "")))
    cats = Counter(str(a.get("category")) for a in members if a.get("category"))
    if cats:
        rows.append(("categories", ", ".join(f"{safe(c)} {n}" for c, n in cats.most_common())))
    rfcs = sorted({str(a["rfc"]) for a in members if a.get("rfc")})
    if rfcs:
        rows.append(("RFCs", _join(rfcs)))
    if box.kind == "segment":
        segments = _segments_of(G, box)
        for segment in segments:
            prefix = f"{segment.get('segment_id')} " if len(segments) > 1 else ""
            rows += [(prefix + k, v) for k, v in segment_rows(segment)]
    if box.sentence:
        rows.append(("in words", safe(box.sentence)))
    return rows


def _segments_of(G: nx.DiGraph, box: Box) -> list[Mapping[str, Any]]:
    segments = (G.graph.get("inference") or {}).get("segments", [])
    sid = box.key.split(":", 1)[1]
    first = next((s for s in segments if s.get("segment_id") == sid), None)
    if first is None:
        return []
    pair = (first.get("kind"), first.get("from_region"), first.get("to_region"))
    return [
        s for s in segments if (s.get("kind"), s.get("from_region"), s.get("to_region")) == pair
    ]


def segment_rows(segment: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every field of an inferred segment, as (name, text) rows."""
    regions = load_regions()
    rows: list[tuple[str, str]] = []

    def add(name: str, value: Any) -> None:
        _add_row(rows, name, value, keep_empty_text=True)

    add("segment", segment.get("segment_id"))
    add("segment kind", segment.get("kind"))
    for end in ("from_region", "to_region"):
        if segment.get(end):
            add(end.replace("_", " "), regions.label(None, str(segment[end])))
    add("TTLs", segment.get("ttls"))
    add("addresses", segment.get("addrs"))
    add("categories", segment.get("categories"))
    for key, name in (("rtt_delta_ms", "RTT gained"), ("rtt_bound_ms", "light in fibre needs")):
        if segment.get(key) is not None:
            add(name, _ms(segment[key]))
    add("directness", segment.get("directness"))
    plausible = segment.get("rtt_plausible")
    if plausible is not None:
        add("RTT plausible", "yes" if plausible else "no: below the bound")
    if segment.get("fibre_km") is not None:
        add("fibre reach", f"{int(segment['fibre_km']):,} km")
    if segment.get("confidence") is not None:
        add("confidence", f"{float(segment['confidence']):.0%}")
    add("evidence", segment.get("evidence"))
    add("rule", segment.get("rule"))
    add("traces", segment.get("traces"))
    return rows


def default_title(G: nx.DiGraph, name: str | None = None) -> str:
    """The page title: ``name``, else the set's contents
    (:func:`topo.render.titles.set_title`: ``5 region pairs, 16 traces``)."""
    from topo.render.titles import set_title

    return safe(name or set_title(G))
