"""The region map layout (topo.render.layout) on the samples and on real traces.

What a reader of the page relies on: one box per region, however many traces and region
pairs touch it; bands between the two boxes they join; foreign networks in boxes of their
own; the exit marked; nothing overlapping; every node inside its own box and no other;
the same input giving the same picture; no level showing more than a screenful.
"""

from __future__ import annotations

import ipaddress
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from topo.model import Hop, Reply, Trace
from topo.render.layout import SUMMARY, VIEW, Box, Layout, compute_layout
from topo.render.packing import CHILD_MAX
from topo.topology import analyze
from topo.topology.graph import build_graph
from topo.topology.infer import infer_interconnects
from topo.topology.regions import load_regions

ROOT = Path(__file__).resolve().parent.parent
SETS = {
    "all-samples": [str(ROOT / "samples")],
    "article": [str(ROOT / "samples" / "aws-osaka-tokyo")],
    "counter-example": [str(ROOT / "samples" / "example-leaves-provider")],
    "cloud": [str(ROOT / "tests" / "data" / "cloud")],
    "besttrace": [str(ROOT / "tests" / "data" / "besttrace")],
}


@pytest.fixture(scope="module")
def graphs() -> dict[str, nx.DiGraph]:
    return {name: analyze(paths).graph for name, paths in SETS.items()}


def inside(box: Box, point: tuple[float, float]) -> bool:
    return box.x0 < point[0] < box.x1 and box.y0 < point[1] < box.y1


def regions_touched(G: nx.DiGraph) -> set[str]:
    """Every published region of a provider hop, and every trace end's region."""
    regions = load_regions()
    found = {
        str(a["region"])
        for _, a in G.nodes(data=True)
        if a.get("region") and not a.get("special") and regions.get(str(a["region"])) is not None
    }
    for trace in G.graph["inference"]["traces"]:
        for end in ("src_region", "dst_region"):
            if trace.get(end) and regions.get(trace[end]) is not None:
                found.add(trace[end])
    return found


def check_map(G: nx.DiGraph, layout: Layout) -> None:
    """The invariants every region map keeps."""
    top = [*layout.boxes, *layout.bands]
    overlapping = [(a.key, b.key) for i, a in enumerate(top) for b in top[i + 1 :] if a.overlaps(b)]
    assert overlapping == []
    owner: dict[str, str] = {}
    for box in top:
        for node in box.members:
            assert node not in owner, f"{node} in {owner[node]} and {box.key}"
            owner[node] = box.key
    assert set(owner) == set(G)  # every node in exactly one top-level box or band
    for node, point in layout.positions.items():
        holders = [b.key for b in top if inside(b, point)]
        assert holders == [owner[node]], (node, holders)
    groups = {g.key: g for g in layout.groups}
    rects = {b.key: b for b in (*top, *layout.groups)}
    for group in layout.groups:
        parent = rects[group.parent or ""]
        assert parent.x0 <= group.x0 and group.x1 <= parent.x1
        assert parent.y0 <= group.y0 and group.y1 <= parent.y1
    siblings: dict[str | None, list[Box]] = {}
    for group in layout.groups:
        siblings.setdefault(group.parent, []).append(group)
    for family in siblings.values():
        assert not [(a, b) for i, a in enumerate(family) for b in family[i + 1 :] if a.overlaps(b)]
    for node, key in layout.parents.items():  # each node inside its innermost group too
        if key in groups:
            assert inside(groups[key], layout.positions[node]), (node, key)
    children = Counter([*layout.parents.values(), *(g.parent for g in layout.groups)])
    assert max(children.values()) <= CHILD_MAX  # no level shows more than a screenful


def check_bands_between(layout: Layout) -> None:
    boxes = {b.key: b for b in layout.boxes}
    for band in layout.bands:
        ends = [boxes[k] for k in band.ends if k in boxes]
        if len(ends) < 2 or ends[0].key == ends[1].key:
            continue
        left, right = sorted(ends, key=lambda b: b.x0)
        if left.x1 < right.x0:  # the two boxes are in different columns
            assert left.x1 < band.x0 and band.x1 < right.x0, (band.key, left.key, right.key)


@pytest.mark.parametrize("name", list(SETS))
def test_every_set_gives_a_clean_map(graphs: dict[str, nx.DiGraph], name: str) -> None:
    G = graphs[name]
    layout = compute_layout(G)
    check_map(G, layout)
    check_bands_between(layout)
    region_keys = [b.key for b in layout.boxes if b.kind == "region"]
    assert len(region_keys) == len(set(region_keys))  # never drawn twice
    assert {k.split(":", 1)[1] for k in region_keys} == regions_touched(G)


def test_all_samples_one_box_per_region(graphs: dict[str, nx.DiGraph]) -> None:
    layout = compute_layout(graphs["all-samples"])
    labels = sorted(b.label for b in layout.boxes if b.kind == "region")
    assert labels == [
        "N. Virginia us-east-1",
        "Oregon us-west-2",
        "Osaka ap-northeast-3",
        "Seoul ap-northeast-2",
        "Singapore ap-southeast-1",
        "Tokyo ap-northeast-1",
    ]
    tokyo = next(b for b in layout.boxes if b.key == "region:ap-northeast-1")
    # Tokyo is a source (three pairs and the counter-example) and a destination (the article)
    assert "vantage:Tokyo EC2 instance" in tokyo.members and "52.95.31.166" in tokyo.members
    bands = {b.label for b in layout.bands}
    assert {"Osaka → Tokyo region interconnect", "Tokyo → Osaka region interconnect"} <= bands
    assert "N. Virginia → Oregon region interconnect" in bands


def test_band_words_fit_a_slide(graphs: dict[str, nx.DiGraph]) -> None:
    (band,) = compute_layout(graphs["article"]).bands
    assert band.sentence == (
        "Osaka → Tokyo region interconnect: 12 reserved hops (8 CGNAT, 4 Class E), +6.1 ms, "
        "light in fibre needs 4.0 ms"
    )
    assert band.ends == ("region:ap-northeast-3", "region:ap-northeast-1")


def test_article_reads_left_to_right(graphs: dict[str, nx.DiGraph]) -> None:
    layout = compute_layout(graphs["article"])
    osaka, tokyo = layout.boxes
    (band,) = layout.bands
    assert osaka.x1 < band.x0 < band.x1 < tokyo.x0
    assert "vantage:Osaka EC2 instance" in osaka.members
    assert "dst:13.115.231.114" in tokyo.members
    x = {n: p[0] for n, p in layout.positions.items()}
    assert x["vantage:Osaka EC2 instance"] < x["15.230.26.193"] < x["15.230.154.163"]


def test_counter_example_transit_is_its_own_box_and_the_exit_is_marked(
    graphs: dict[str, nx.DiGraph],
) -> None:
    G = graphs["counter-example"]
    layout = compute_layout(G)
    transit = next(b for b in layout.boxes if b.kind == "network")
    assert transit.label == "Example Transit (constructed)" and transit.foreign
    assert "AS64500" in transit.summary[0]
    assert {"5.6.7.9", "5.6.7.34", "5.6.7.130", "5.6.7.145"} <= set(transit.members)
    assert "10.201.4.1@Amazon" in transit.members  # a private run inside the carrier
    for band in layout.bands:  # no transit hop is drawn in the Amazon interconnect band
        assert not [n for n in transit.members if inside(band, layout.positions[n])]
    exits = {(e.source, e.target) for e in layout.exits}
    assert exits == {("15.230.152.77", "5.6.7.9"), ("54.239.52.9", "5.6.7.9")}
    assert all("Amazon → Example Transit (constructed), AS64500" in e.text for e in layout.exits)
    marked = [(k.source, k.target) for k in layout.links if k.exit]
    assert marked == [("region:ap-northeast-1", "network:Example Transit (constructed)")]


def test_a_box_counts_every_destination_once(graphs: dict[str, nx.DiGraph]) -> None:
    """Three traces to three Osaka instances: three destinations in the Osaka box, the one
    that answered (its address node) too, not a router."""
    layout = compute_layout(graphs["counter-example"])
    osaka = next(b for b in layout.boxes if b.key == "region:ap-northeast-3")
    assert osaka.summary == ("Amazon: 6 routers, 3 destinations",)


def test_real_traces_name_foreign_networks_by_owner(graphs: dict[str, nx.DiGraph]) -> None:
    layout = compute_layout(graphs["besttrace"])
    foreign = {b.label for b in layout.boxes if b.kind == "network" and b.foreign}
    assert {"China Telecom", "China Unicom", "China Mobile", "Cogent", "PCCW"} <= foreign
    targets = {layout.parents.get(e.target, "") for e in layout.exits}
    assert all(t.startswith("network:") or "/" in t for t in targets)
    cloud = compute_layout(graphs["cloud"])
    assert {"Cloudflare", "Google"} <= {b.label for b in cloud.boxes if b.foreign}
    assert len({(e.source, e.target) for e in cloud.exits}) == 3


REAL = [
    *sorted(str(p) for p in (ROOT / "tests" / "data" / "besttrace").glob("*.txt")),
    *sorted(str(p) for p in (ROOT / "tests" / "data" / "cloud").glob("*.txt")),
]


@pytest.fixture(scope="module")
def real_bands() -> list[tuple[Box, dict[str, Any]]]:
    """The bands of the 24 real cloud traces (Tokyo, Singapore, Dublin to Chinese carriers,
    Cloudflare, Google), each with its first segment."""
    G = analyze(REAL).graph
    segments = {s["segment_id"]: s for s in G.graph["inference"]["segments"]}
    return [(b, segments[b.key.split(":", 1)[1]]) for b in compute_layout(G).bands]


def band_words(band: Box) -> list[str]:
    return [band.label, *band.summary, band.sentence]


def test_real_bands_name_every_side_in_words(
    real_bands: list[tuple[Box, dict[str, Any]]],
) -> None:
    """No ``?`` for a side: a provider hop without a published region is named as such,
    and the line says which end it is (review of the real trace sets, item 1)."""
    labels = {band.label for band, _ in real_bands}
    for band, segment in real_bands:
        assert not [w for w in band_words(band) if "?" in w or "a side's region" in w], band
        if segment["kind"] != "unknown-region":
            continue
        left, right = segment["from_region"], segment["to_region"]
        expected = {
            (True, False): "far end's region not published",
            (False, True): "near end's region not published",
            (False, False): "neither end's region published",
        }[bool(left), bool(right)]
        assert expected in band.summary, band
        assert "(region not published)" in band.label or "(regions not published)" in band.label
    assert {
        "Tokyo → Amazon (region not published)",
        "Amazon (region not published) → Tokyo",
        "Dublin → Amazon (region not published)",
        "Amazon interconnect (regions not published)",
    } <= labels


def test_real_open_bands_say_before_or_after_the_provider_s_answers(
    real_bands: list[tuple[Box, dict[str, Any]]],
) -> None:
    """Reserved hops after the provider's last answer read as such, with the fibre they
    can reach at most (item 2)."""
    opened = [(band, s) for band, s in real_bands if s["kind"] == "open"]
    assert len(opened) == 2
    for band, segment in opened:
        assert band.label.startswith("After Amazon's last answer"), band.label
        assert "past " not in band.sentence and " → " not in band.label
        km = f"{int(segment['fibre_km']):,}"
        assert any(line.endswith(f"at most {km} km of fibre") for line in band.summary)
    dublin = next(b for b, _ in opened if b.label == "After Amazon's last answer (in Dublin)")
    assert dublin.summary[:2] == (
        "2 reserved hops (5 addresses: 5 CGNAT)",
        "+7.1 ms, at most 710 km of fibre",
    )


def test_reserved_hops_before_the_provider_s_first_answer(tmp_path: Path) -> None:
    """A carrier's CGNAT hops right before Amazon's first answer (in Tokyo): an open band
    that says it comes before, with the fibre its RTT gain can reach."""
    (tmp_path / "topo.toml").write_text('provider = "aws"\n')
    hops = [("192.168.1.1", 0.3), ("5.6.7.9", 1.0), ("100.65.1.9", 3.0), ("100.65.1.10", 5.0)]
    hops.append(("52.95.31.166", 9.0))  # Amazon's first answer, Tokyo
    (tmp_path / "traceroute.txt").write_text(
        "traceroute to 52.95.31.197 (52.95.31.197), 30 hops max, 60 byte packets\n"
        + "".join(f" {i}  {a}  {r:.3f} ms\n" for i, (a, r) in enumerate(hops, 1))
        + " 6  52.95.31.197  9.500 ms\n"
    )
    (band,) = compute_layout(analyze([str(tmp_path)]).graph).bands
    assert band.sentence == (
        "Before Amazon's first answer (in Tokyo): 2 reserved hops (2 CGNAT), +6.0 ms, "
        "at most 600 km of fibre"
    )


def test_real_rtt_ranges_never_read_as_a_negative_gain(
    real_bands: list[tuple[Box, dict[str, Any]]],
) -> None:
    """A range of RTT changes that are not all gains says so; a negative number carries a
    real minus sign, never an ASCII hyphen (item 3)."""
    lines = [line for band, _ in real_bands for line in band.summary]
    for line in lines:
        assert not re.search(r"(?<![\w])-\d", line), line  # no ASCII minus
        if "−" in line:
            assert line.startswith("RTT change ") and line.endswith(
                ("(no gain)", "(no consistent gain)")
            ), line
    assert "RTT change −8.3 to +5.5 ms (no consistent gain)" in lines
    assert "RTT change −1.1 to +7.5 ms (no consistent gain)" in lines
    assert "+0.6 to +12.1 ms" in lines  # every one a gain: the range as it was


def test_same_input_same_picture() -> None:
    first = compute_layout(analyze(SETS["all-samples"]).graph)
    second = compute_layout(analyze(SETS["all-samples"]).graph)
    assert first.positions == second.positions
    assert [b.to_dict() for b in first.all_boxes()] == [b.to_dict() for b in second.all_boxes()]


def test_titles_read_at_fit(graphs: dict[str, nx.DiGraph]) -> None:
    """Top-level titles and their summary lines are at least 11 px when the whole map fits
    the reference view."""
    for name in ("all-samples", "article", "counter-example", "besttrace"):
        layout = compute_layout(graphs[name])
        top = [*layout.boxes, *layout.bands]
        width = max(b.x1 for b in top) - min(b.x0 for b in top)
        height = max(b.y1 for b in top) - min(b.y0 for b in top)
        fit = min(VIEW[0] / width, VIEW[1] / height)
        assert layout.font * SUMMARY * fit >= 11, name


def crowded(traces: int) -> nx.DiGraph:
    """Many traces from Osaka to their own Tokyo destinations over one interconnect."""
    trace_list = []
    for t in range(traces):
        hops = [Hop(1, (Reply(f"13.208.0.{t % 50}", 0.4),))]
        hops += [
            Hop(2 + k, (Reply(f"100.65.{t // 200}.{(t % 200) + k}", 2.0 + k),)) for k in range(3)
        ]
        hops += [Hop(5, (Reply(f"52.95.{30 + t // 250}.{t % 250 + 1}", 9.0),))]
        trace_list.append(Trace(dst=f"52.95.{30 + t // 250}.{t % 250 + 1}", hops=tuple(hops)))
    G = build_graph(trace_list)
    infer_interconnects(trace_list, graph=G)
    return G


def test_a_crowded_set_is_grouped_not_a_column() -> None:
    G = crowded(1500)
    layout = compute_layout(G)
    check_map(G, layout)
    assert layout.groups  # destinations grouped by prefix
    tokyo = next(b for b in layout.boxes if b.key == "region:ap-northeast-1")
    assert 0.3 < (tokyo.x1 - tokyo.x0) / (tokyo.y1 - tokyo.y0) < 6  # a box, not a line
    labels = [g.label for g in layout.groups if g.parent == tokyo.key]
    published = ipaddress.ip_network("52.95.0.0/16")
    assert len(labels) > 10
    assert all(ipaddress.ip_network(label).subnet_of(published) for label in labels)


def many_carriers(tmp_path: Path, count: int = 40) -> nx.DiGraph:
    """Tokyo to Osaka, each trace through a carrier of its own (an owner table names them)."""
    from topo.inputs.schema import dumps_trace
    from topo.owners import OwnerResolver, ResolverConfig
    from topo.topology.views import answers_for

    traces = []
    for i in range(count):
        hops = (Hop(1, (Reply("13.112.0.11", 0.4),)), Hop(2, (Reply(f"5.{i}.0.1", 2.0),)),
                Hop(3, (Reply(f"5.{i}.0.9", 3.0),)),
                Hop(4, (Reply("15.230.24.168", 8.0),)))  # fmt: skip
        traces.append(Trace(dst="15.152.41.66", src="13.112.0.10", hops=hops))
    table = tmp_path / "carriers.csv"
    rows = "".join(f"5.{i}.0.0/16,Carrier {i:02d},{64600 + i}\n" for i in range(count))
    table.write_text("prefix,org,asn\n" + rows)
    source = tmp_path / "t.jsonl"
    source.write_text("".join(dumps_trace(t) + "\n" for t in traces))
    resolver = OwnerResolver(ResolverConfig(use_cache=False, owner_tables=(table,)))
    try:
        answers = answers_for(traces, resolver)
    finally:
        resolver.close()
    G = build_graph(traces, answers)
    infer_interconnects(traces, answers, graph=G)
    return G


def test_a_crowded_column_is_one_cluster(tmp_path: Path) -> None:
    G = many_carriers(tmp_path)
    layout = compute_layout(G)
    check_map(G, layout)
    (cluster,) = layout.clusters
    assert cluster.label == "40 networks outside Amazon" and cluster.foreign
    inside = [b for b in layout.boxes if b.parent == cluster.key]
    assert len(inside) == 40 and all(b.kind == "network" and b.foreign for b in inside)
    for box in inside:
        assert cluster.x0 <= box.x0 and box.x1 <= cluster.x1
        assert cluster.y0 <= box.y0 and box.y1 <= cluster.y1
    shown = [cluster, *(b for b in (*layout.boxes, *layout.bands) if b.parent is None)]
    assert not [
        (a.key, b.key) for i, a in enumerate(shown) for b in shown[i + 1 :] if a.overlaps(b)
    ]
    tokyo, osaka = (next(b for b in layout.boxes if b.key == k) for k in
                    ("region:ap-northeast-1", "region:ap-northeast-3"))  # fmt: skip
    assert tokyo.x1 < cluster.x0 and cluster.x1 < osaka.x0  # between the regions it joins
    assert len(layout.exits) == 40


def test_the_page_is_the_same_whatever_the_hash_seed(tmp_path: Path) -> None:
    """Same input, same picture: no set or dict order that depends on string hashing."""
    script = (
        "import datetime, sys, topo\n"
        "from topo.render import write_html\n"
        "t = topo.analyze(['samples', 'tests/data/cloud', 'tests/data/besttrace'])\n"
        "write_html(t, sys.argv[1], generated=datetime.datetime(2026, 1, 1))\n"
    )
    pages = []
    for seed in ("1", "2"):
        out = tmp_path / f"seed-{seed}.html"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run([sys.executable, "-c", script, str(out)], cwd=ROOT, env=env, check=True,
                       capture_output=True)  # fmt: skip
        pages.append(out.read_bytes())
    assert pages[0] == pages[1]
