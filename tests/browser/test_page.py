"""The page in a real browser (Debian's Chromium through Playwright), offline.

Each test builds a page with ``topo build`` and checks what a user would see and do; the
fixture fails any test whose page requested anything but its own file or logged an error.
The page's own account of what it draws (``topo.layout()``: boxes in canvas coordinates,
which are open, label sizes in px) is what most assertions read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.browser.traceset import OSAKA_PUBLIC, SINGAPORE_PUBLIC, TOKYO_PUBLIC, write_trace_set
from topo.cli import cli

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "samples" / "aws-osaka-tokyo"
COUNTER = ROOT / "samples" / "example-leaves-provider"


def build(*args: str) -> None:
    result = CliRunner().invoke(cli, ["build", *args, "--no-cache"])
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def article_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("article") / "article.html"
    build(str(SAMPLE), "-o", str(out))
    return out


@pytest.fixture(scope="module")
def samples_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("samples") / "samples.html"
    build(*sorted(str(p) for p in (ROOT / "samples").iterdir() if p.is_dir()), "-o", str(out))
    return out


@pytest.fixture(scope="module")
def counter_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("counter") / "counter.html"
    build(str(COUNTER), "-o", str(out))
    return out


@pytest.fixture(scope="module")
def hostile_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    files = write_trace_set(folder)
    out = folder / "hostile.html"
    build(str(files["traces"]), "--owner-table", str(files["owners"]), "-o", str(out))
    return out


def node_id(opened: Any, addr: str) -> int:
    found: int = opened.js(
        "a => topo.data.info.findIndex(rows => rows.some(r => r[0] === 'address' && r[1] === a))",
        addr,
    )
    assert found >= 0, addr
    return found


def click_node(opened: Any, ident: int) -> None:
    """Bring a router into view (opening its boxes), then click it with the mouse."""
    opened.js("id => topo.zoomToNode(id)", ident)
    assert opened.js("id => topo.rep(id)", ident) == ident  # drawn as itself, not a card
    point = opened.js(
        "id => { const p = network.getPositions([id])[id]; const d = network.canvasToDOM(p);"
        " const r = document.getElementById('mynetwork').getBoundingClientRect();"
        " return [r.left + d.x, r.top + d.y]; }",
        ident,
    )
    opened.page.mouse.click(point[0], point[1])


def click_canvas_point(opened: Any, x: float, y: float) -> None:
    point = opened.js(
        "p => { const d = network.canvasToDOM(p);"
        " const r = document.getElementById('mynetwork').getBoundingClientRect();"
        " return [r.left + d.x, r.top + d.y]; }",
        {"x": x, "y": y},
    )
    opened.page.mouse.click(point[0], point[1])


def overlaps(a: dict[str, float], b: dict[str, float]) -> bool:
    return a["x0"] < b["x1"] and b["x0"] < a["x1"] and a["y0"] < b["y1"] and b["y0"] < a["y1"]


def details(opened: Any) -> str:
    return str(opened.page.locator("#details").inner_text())


def test_article_page_opens_on_its_routers(open_page: Any, article_page: Path) -> None:
    opened = open_page(article_page)
    layout = opened.js("topo.layout()")
    assert [b["label"] for b in layout["boxes"]] == ["Osaka ap-northeast-3", "Tokyo ap-northeast-1"]
    assert all(b["open"] for b in layout["boxes"] + layout["bands"])  # the level that fits
    assert opened.js("network.body.nodeIndices.length") == 24
    assert layout["labels"]["min"] >= 11
    (band,) = opened.js("topo.data.boxes.filter(b => b.kind === 'segment')")
    assert band["label"] == "Osaka → Tokyo region interconnect"
    assert band["summary"][0] == "12 reserved hops (8 CGNAT, 4 Class E)"
    assert band["summary"][1] == "+6.1 ms, light in fibre needs 4.0 ms"
    legend = opened.page.locator("#legend .legend-row").all_inner_texts()
    assert any("CGNAT" in row for row in legend) and any("Class E" in row for row in legend)
    assert any("public, Amazon" in row for row in legend)
    assert opened.page.locator("#verdict").inner_text() == "on-provider"
    # the Osaka box is painted: its left border at mid-height has the box's blue stroke
    pixel = opened.js(
        """() => {
        const b = topo.layout().boxes[0];
        const d = network.canvasToDOM({x: b.x0, y: (b.y0 + b.y1) / 2});
        const canvas = document.querySelector('#mynetwork canvas');
        const ratio = canvas.width / canvas.clientWidth;
        const ctx = canvas.getContext('2d');
        let best = [0, 0, 0, 0];
        for (let dx = -2; dx <= 2; dx++) {
          const x = Math.round((d.x + dx) * ratio), y = Math.round(d.y * ratio);
          const p = ctx.getImageData(x, y, 1, 1).data;
          if (p[3] > 128 && p[2] - p[0] > best[2] - best[0]) best = [p[0], p[1], p[2], p[3]];
        }
        return best; }"""
    )
    assert pixel[2] > pixel[0] + 40, pixel  # opaque and blue


def test_all_samples_one_box_per_region_nothing_overlaps(
    open_page: Any, samples_page: Path
) -> None:
    opened = open_page(samples_page)
    layout = opened.js("topo.layout()")
    regions = [b["label"] for b in layout["boxes"] if b["kind"] == "region"]
    assert sorted(regions) == [
        "N. Virginia us-east-1",
        "Oregon us-west-2",
        "Osaka ap-northeast-3",
        "Seoul ap-northeast-2",
        "Singapore ap-southeast-1",
        "Tokyo ap-northeast-1",
    ]
    top = layout["boxes"] + layout["bands"]
    assert [
        (a["key"], b["key"]) for i, a in enumerate(top) for b in top[i + 1 :] if overlaps(a, b)
    ] == []
    groups = layout["groups"]
    assert [(a["key"], b["key"]) for i, a in enumerate(groups) for b in groups[i + 1 :]
            if a["parent"] == b["parent"] and overlaps(a, b)] == []  # fmt: skip
    # every router sits inside its own top-level box and no other
    inside = opened.js(
        """() => { const L = topo.layout(); const top = L.boxes.concat(L.bands);
        const holds = (b, n) => b.x0 < n.x && n.x < b.x1 && b.y0 < n.y && n.y < b.y1;
        return topo.data.nodes.map(n => top.filter(b => holds(b, n)).length); }"""
    )
    assert set(inside) == {1}
    assert layout["labels"]["min"] >= 11  # the fit view: no 1-px line
    bands = [b["label"] for b in layout["bands"]]
    assert (
        "Tokyo → Osaka region interconnect" in bands
        and "Osaka → Tokyo region interconnect" in bands
    )


def test_labels_stay_readable_whatever_the_zoom_after_fit(
    open_page: Any, samples_page: Path
) -> None:
    opened = open_page(samples_page)
    first = opened.js("topo.layout()")
    for _ in range(4):
        opened.page.keyboard.press("+")
        assert opened.js("topo.layout().labels.min") >= 11
    opened.page.keyboard.press("ArrowRight")
    opened.page.keyboard.press("ArrowDown")
    opened.page.keyboard.press("0")
    back = opened.js("topo.layout()")
    assert back["scale"] == pytest.approx(first["scale"]) and back["labels"]["min"] >= 11


def test_counter_example_marks_the_exit(open_page: Any, counter_page: Path) -> None:
    opened = open_page(counter_page)
    layout = opened.js("topo.layout()")
    transit = [b for b in layout["boxes"] if b["kind"] == "network"]
    assert [(b["label"], b["foreign"]) for b in transit] == [
        ("Example Transit (constructed)", True)
    ]
    assert len(layout["exits"]) == 2
    for mark in layout["exits"]:
        assert mark["drawn"] and mark["marked"] and mark["label"].startswith("exit")
        assert mark["colour"] == "#c0392b"
        assert "Amazon → Example Transit (constructed), AS64500" in mark["text"]
    for band in layout["bands"]:  # the carrier's hops are not drawn in the interconnect band
        assert not overlaps(band, transit[0])
    opened.js("topo.zoomBy(0.3)")  # zoomed out: the exit is marked on the cards' link too
    marks = opened.js("topo.layout().exits")
    assert all(m["marked"] for m in marks if m["drawn"])


def test_click_shows_owner_asn_region_rfc(open_page: Any, counter_page: Path) -> None:
    opened = open_page(counter_page)
    click_node(opened, node_id(opened, "5.6.7.9"))
    text = details(opened)
    assert "Example Transit (constructed)" in text and "AS64500" in text
    assert "samples/example-leaves-provider/traceroute-1.txt:1" in text and "left-provider" in text
    click_node(opened, node_id(opened, "100.65.24.190"))
    text = details(opened)
    assert "cgnat" in text and "Shared Address Space" in text and "RFC6598" in text
    click_node(opened, node_id(opened, "15.230.152.77"))
    text = details(opened)
    assert "Tokyo ap-northeast-1" in text and "Amazon" in text and "answered by" in text
    # the trace links highlight a trace; the text can be selected and copied
    opened.page.locator("#details .trace-list button.link").first.click()
    assert opened.js("topo.highlighted.traces.length") == 1
    assert opened.js("getComputedStyle(document.getElementById('details')).userSelect") == "text"


def test_clicking_a_card_opens_it_and_describes_it(open_page: Any, samples_page: Path) -> None:
    opened = open_page(samples_page)
    tokyo = opened.js("topo.layout().boxes.find(b => b.key === 'region:ap-northeast-1')")
    assert not tokyo["open"]
    click_canvas_point(opened, (tokyo["x0"] + tokyo["x1"]) / 2, (tokyo["y0"] + tokyo["y1"]) / 2)
    assert opened.js("topo.layout().boxes.find(b => b.key === 'region:ap-northeast-1').open")
    text = details(opened)
    assert "region box" in text.lower() and "ap-northeast-1" in text and "Tokyo" in text
    assert "samples/aws-tokyo-seoul/traceroute-1.txt:1" in text  # traces through it
    band = opened.js("topo.layout().bands.find(b => b.label.startsWith('Osaka → Tokyo'))")
    opened.js("topo.fit()")
    click_canvas_point(opened, (band["x0"] + band["x1"]) / 2, (band["y0"] + band["y1"]) / 2)
    text = details(opened)
    assert "RTT gained" in text and "6.1 ms" in text and "light in fibre needs" in text


def test_search_opens_what_it_finds(open_page: Any, samples_page: Path) -> None:
    opened = open_page(samples_page)
    assert not any(b["open"] for b in opened.js("topo.layout().bands"))
    found = opened.js("topo.search('100.65.1.9')")
    ident = node_id(opened, "100.65.1.9")
    assert found == [ident]
    assert opened.js("id => topo.rep(id)", ident) == ident  # its band was opened
    assert opened.js("network.getSelectedNodes()") == [ident]
    assert opened.page.locator("#search-result").inner_text() == "1 found"
    assert "100.65.1.9" in details(opened)
    assert opened.js("topo.layout().labels.min") >= 11
    counts = {q: len(opened.js("q => topo.search(q)", q)) for q in ("amazon", "rfc6598", "rfc 6598",
              "shared address space", "as64500", "ap-northeast-2", "seoul", "class-e")}  # fmt: skip
    amazon = opened.js(
        "topo.data.info.filter(rows => rows.some("
        "r => r[0] === 'owner family' && r[1] === 'Amazon')).length"
    )
    assert counts["amazon"] == amazon > 63  # every Amazon router and end, not 10 of them
    assert counts["rfc6598"] == counts["rfc 6598"] == 40
    assert counts["shared address space"] == 40 and counts["class-e"] == 27
    assert counts["as64500"] == 4 and counts["ap-northeast-2"] == counts["seoul"] >= 10
    opened.js("topo.search('Example Transit')")
    assert "box" in opened.page.locator("#search-result").inner_text()


def test_search_finds_an_address_inside_a_group(open_page: Any, tmp_path: Path) -> None:
    """Hundreds of destinations: they are grouped by prefix; a search opens the group."""
    from topo.inputs.schema import dumps_trace
    from topo.model import Hop, Reply, Trace

    traces = []
    for t in range(600):
        dst = f"13.112.{t // 200}.{t % 200 + 1}"
        hops = (Hop(1, (Reply(f"13.208.0.{t % 8}", 0.4),)), Hop(2, (Reply("15.230.24.1", 0.8),)),
                Hop(3, (Reply(f"100.65.{t // 250}.{t % 250}", 2.0),)),
                Hop(4, (Reply("15.230.154.1", 8.0),)), Hop(5, (Reply(dst, 8.5),)))  # fmt: skip
        traces.append(Trace(dst=dst, src="13.208.1.1", hops=hops))
    source = tmp_path / "many.jsonl"
    source.write_text("".join(dumps_trace(t) + "\n" for t in traces))
    out = tmp_path / "many.html"
    build(str(source), "-o", str(out))
    opened = open_page(out)
    assert opened.js("topo.layout().labels.min") >= 11
    assert opened.js("topo.layout().groups.length") > 0
    ident = node_id(opened, "13.112.2.77")
    assert opened.js("id => topo.rep(id)", ident) != ident  # inside a closed box at first
    assert opened.js("topo.search('13.112.2.77')") == [ident]
    assert opened.js("id => topo.rep(id)", ident) == ident
    assert opened.js("network.getSelectedNodes()") == [ident]
    shown = opened.js("topo.layout().shown.nodes")
    assert shown < 400  # one readable level, not 1,800 routers


def test_controls_and_keys_cannot_break_the_layout(open_page: Any, article_page: Path) -> None:
    opened = open_page(article_page)
    assert opened.page.locator("#physics").count() == 0
    start = opened.js("[network.getScale(), network.getViewPosition()]")
    positions = opened.js("network.getPositions()")
    opened.page.locator("#mynetwork").focus()
    opened.page.keyboard.press("ArrowRight")
    assert opened.js("network.getViewPosition().x") > start[1]["x"]
    opened.page.keyboard.press("-")
    assert opened.js("network.getScale()") < start[0]
    box = opened.page.locator("#mynetwork").bounding_box()
    opened.page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    opened.page.mouse.down()
    opened.page.mouse.move(box["x"] + box["width"] / 2 + 120, box["y"] + box["height"] / 2 + 40)
    opened.page.mouse.up()
    opened.page.locator("#fit").click()
    assert opened.js("network.getScale()") == pytest.approx(start[0])
    ident = node_id(opened, "15.230.154.163")
    click_node(opened, ident)
    assert opened.js("topo.highlighted") is not None
    opened.page.locator("#reset").click()
    assert opened.js("topo.highlighted") is None
    assert opened.js("network.getScale()") == pytest.approx(start[0])
    assert opened.js("network.getPositions()") == positions  # nothing moved a node


def test_category_toggle_hides_its_nodes(open_page: Any, article_page: Path) -> None:
    opened = open_page(article_page)
    opened.page.locator('#legend input[data-category="cgnat"]').uncheck()
    assert opened.js("network.body.nodeIndices.length") == 24 - 8
    assert opened.js("topo.hiddenNodes().every(i => topo.data.nodes[i].k === 'cgnat')")
    opened.page.locator('#legend input[data-category="cgnat"]').check()
    assert opened.js("network.body.nodeIndices.length") == 24


def test_clicking_a_node_highlights_every_trace_through_it(
    open_page: Any, hostile_page: Path
) -> None:
    opened = open_page(hostile_page)
    ident = node_id(opened, OSAKA_PUBLIC[0])
    click_node(opened, ident)
    highlighted = opened.js("topo.highlighted")
    assert highlighted["traces"] == [0, 1, 2, 4]  # every trace from Osaka, not Tokyo's
    assert node_id(opened, "240.1.52.6") in highlighted["nodes"]
    assert node_id(opened, "9.9.9.9") in highlighted["nodes"]
    assert node_id(opened, SINGAPORE_PUBLIC[0]) not in highlighted["nodes"]
    assert "4 traces through" in opened.page.locator("#highlight-note").inner_text()
    assert "4 traces through it" in details(opened)


def test_clicking_a_trace_highlights_its_path(open_page: Any, hostile_page: Path) -> None:
    opened = open_page(hostile_page)
    opened.page.locator('.trace-row[data-trace="3"] button').click()
    path = opened.js("topo.data.traces[3].path")
    assert sorted(opened.js("topo.highlighted.nodes")) == sorted(path)
    assert node_id(opened, TOKYO_PUBLIC[1]) in path
    assert len(opened.js("topo.highlighted.edges")) == 6


def test_edge_details_are_written_from_its_facts(open_page: Any, hostile_page: Path) -> None:
    opened = open_page(hostile_page)
    j = opened.js("topo.data.edges.findIndex(e => e.d !== undefined && e.t.length)")
    edge = opened.js("j => topo.data.edges[j]", j)
    rows = dict(opened.js("j => topo.edgeRows(j)", j))
    assert rows["traces"] == str(edge["n"])
    assert rows["RTT delta min"] == f"{edge['d']:.3f} ms"
    ids = opened.js("j => topo.data.edges[j].t.map(t => topo.data.traces[t].id)", j)
    assert rows["trace ids"] == ", ".join(ids)
    text = opened.js("j => topo.edgeTooltipFor(j).textContent", j)
    assert ids[0] in text and "RTT delta min" in text


def test_trace_toggle_hides_nodes_only_that_trace_has(open_page: Any, hostile_page: Path) -> None:
    opened = open_page(hostile_page)
    opened.page.locator('.trace-row[data-trace="3"] input').uncheck()
    hidden = set(opened.js("topo.hiddenNodes()"))
    assert node_id(opened, SINGAPORE_PUBLIC[1]) in hidden
    assert node_id(opened, TOKYO_PUBLIC[1]) not in hidden  # other traces pass it too


def test_hostile_names_stay_text(open_page: Any, hostile_page: Path) -> None:
    opened = open_page(hostile_page)
    ident = node_id(opened, OSAKA_PUBLIC[0])
    opened.js("id => topo.zoomToNode(id)", ident)
    point = opened.js(
        "id => { const d = network.canvasToDOM(network.getPositions([id])[id]);"
        " const r = document.getElementById('mynetwork').getBoundingClientRect();"
        " return [r.left + d.x, r.top + d.y]; }",
        ident,
    )
    opened.page.mouse.move(point[0], point[1])
    opened.page.wait_for_selector("#tooltip", state="visible")
    tip = opened.page.locator("#tooltip").inner_text()
    assert "<img src=x onerror=window.__xss=1>" in tip
    opened.page.mouse.click(point[0], point[1])
    assert "<img src=x onerror=window.__xss=1>" in details(opened)
    texts = opened.js("topo.data.info.map((_, i) => topo.tooltipFor(i).textContent).join('\\n')")
    assert "</script><script>window.__xss=1</script>" in texts
    assert "javascript:window.__xss=1" in texts
    assert "evil\\u202egnp.exe" in texts and "\u202e" not in texts
    legend = opened.page.locator("#legend").inner_text()
    assert "</script><script>window.__xss=1</script>" in legend  # the owner table's org
    reasons = opened.page.locator("#reasons").text_content() or ""
    assert "owned by </script><script>window.__xss=1</script>" in reasons
    for b in range(opened.js("topo.data.boxes.length")):  # boxes' details and search too
        opened.js("b => topo.showBox(b)", b)
    opened.js("topo.search('<img')")
    # deep in the box named by the owner table, the where-am-I caption names it as text
    hostile = opened.js("topo.data.boxes.findIndex(b => b.label.indexOf('<img') >= 0)")
    assert hostile >= 0
    opened.js(
        "b => { const B = topo.data.boxes[b]; network.moveTo({position: {x: B.x1 - 2, y: B.y1 - 2},"
        " scale: topo.clampScale(1e6), animation: false}); topo.relevel(); }",
        hostile,
    )
    names = opened.js("topo.where()")
    assert names and names[0].startswith("</script><script>window.__xss=1</script><img")
    assert opened.page.locator("#where button").first.text_content() == names[0]
    assert opened.js("document.querySelectorAll('img, a[href], iframe').length") == 0
    assert opened.js("window.__xss") is None


def test_over_budget_page_says_it_aggregated(open_page: Any, tmp_path: Path) -> None:
    files = write_trace_set(tmp_path / "set")
    out = tmp_path / "small.html"
    build(str(files["traces"]), "--owner-table", str(files["owners"]), "--max-nodes", "12",
          "-o", str(out))  # fmt: skip
    opened = open_page(out)
    notice = opened.page.locator("#notice").inner_text()
    assert "over the budget of 12" in notice and "segment node" in notice
    kinds = opened.js("topo.data.nodes.map(n => n.k)")
    assert "segment" in kinds and len(kinds) < 22
    found = opened.js("topo.search('240.1.52.17')")  # collapsed into a segment node
    assert len(found) == 1 and opened.js("i => topo.data.nodes[i].k", found[0]) == "segment"
    assert opened.js("network.getSelectedNodes()") == found


def test_phone_width_gives_the_canvas_the_screen(open_page: Any, samples_page: Path) -> None:
    opened = open_page(samples_page)
    opened.page.set_viewport_size({"width": 390, "height": 844})
    opened.js("topo.fit()")
    opened.page.wait_for_timeout(400)  # the panel slides down
    width = opened.js("document.getElementById('mynetwork').clientWidth")
    assert width >= 380
    panel = opened.page.locator("#panel").bounding_box()
    assert panel["y"] > 844 - 60  # collapsed to its handle
    # Fit shows the whole map (above the handle), however small its words get on a phone
    # (the opening view shows part of it then: test_phone_opens_on_readable_words_...)
    view = opened.js("topo.view()")
    assert view["map"]["x0"] >= 0 and view["map"]["x1"] <= 390
    assert view["map"]["y0"] >= view["canvas"]["y0"] and view["map"]["y1"] <= panel["y"]
    opened.page.locator("#panel-toggle").click()
    opened.page.wait_for_timeout(300)
    assert opened.page.locator("#panel").bounding_box()["y"] < 844 - 200
    opened.page.set_viewport_size({"width": 1600, "height": 900})


PHONE = {"width": 390, "height": 844}


def page_rect(opened: Any, box: dict[str, float]) -> dict[str, float]:
    """A box of ``topo.layout()`` as drawn now, in page px."""
    return dict(
        opened.js(
            """b => { const r = document.getElementById('mynetwork').getBoundingClientRect();
            const a = network.canvasToDOM({x: b.x0, y: b.y0});
            const c = network.canvasToDOM({x: b.x1, y: b.y1});
            return {x0: r.left + a.x, y0: r.top + a.y, x1: r.left + c.x, y1: r.top + c.y}; }""",
            box,
        )
    )


def test_phone_opens_on_readable_words_at_the_vantage_side(
    open_page: Any, samples_page: Path
) -> None:
    """All samples on a phone: the whole map would draw 4-px words, so the page opens on
    part of it, titles at 11-12 px, the first box (the vantage side) in the strip above the
    sheet, and says so; Fit shows every top-level box; Reset comes back."""
    opened = open_page(samples_page, viewport=PHONE)
    opened.page.wait_for_timeout(300)
    layout = opened.js("topo.layout()")
    assert 11 <= layout["labels"]["titles"] <= 12, layout["labels"]
    assert layout["labels"]["min"] >= 11, layout["labels"]  # the cards' lines too
    assert opened.js("topo.opening.partial")
    first = opened.js("topo.data.boxes[topo.opening.first]")
    tops = [b for b in layout["boxes"] if b["parent"] is None]
    assert first["x0"] == min(b["x0"] for b in tops)  # the start of the flow
    assert first["label"] == "Tokyo ap-northeast-1"  # where the samples' traces start
    view = opened.js("topo.view()")
    strip = view["visible"]
    panel = opened.page.locator("#panel").bounding_box()
    assert strip["y1"] <= panel["y"] + 0.5  # the strip ends at the collapsed sheet
    rect = page_rect(opened, first)
    assert rect["x0"] >= strip["x0"] and rect["x1"] <= strip["x1"], (rect, strip)
    assert rect["y0"] >= strip["y0"] and rect["y1"] <= strip["y1"], (rect, strip)
    controls = opened.page.locator("#controls").bounding_box()
    assert rect["y0"] > controls["y"] + controls["height"]  # its title is not under the buttons
    assert view["map"]["x1"] > strip["x1"]  # part of the map: there is more to the right
    hint = opened.page.locator("#view-hint")
    assert hint.is_visible() and "Fit shows it all" in hint.inner_text()
    box = hint.bounding_box()
    assert (
        box["y"] + box["height"] <= panel["y"] and box["height"] < 40
    )  # one line, above the sheet
    opening = opened.js("topo.view()")
    # Fit: every top-level box and band above the sheet; the hint goes
    opened.page.locator("#fit").click()
    area = opened.js("topo.view().visible")
    for b in opened.js("topo.layout()")["boxes"] + opened.js("topo.layout()")["bands"]:
        if b["parent"] is None:
            r = page_rect(opened, b)
            assert r["x0"] >= area["x0"] and r["x1"] <= area["x1"], (b["label"], r)
            assert r["y0"] >= area["y0"] and r["y1"] <= area["y1"], (b["label"], r)
    assert hint.is_hidden()
    # Reset: the opening view again, hint and all
    opened.page.locator("#reset").click()
    again = opened.js("topo.view()")
    assert again["scale"] == pytest.approx(opening["scale"])
    assert again["centre"]["x"] == pytest.approx(opening["centre"]["x"])
    assert again["centre"]["y"] == pytest.approx(opening["centre"]["y"])
    assert hint.is_visible()
    # a search goes somewhere: the hint has done its work
    opened.js("topo.search('Oregon')")
    assert hint.is_hidden()
    opened.page.locator("#reset").click()
    assert hint.is_visible()
    # the hint's cross dismisses it for good
    opened.page.locator("#view-hint-close").click()
    assert hint.is_hidden()
    opened.page.keyboard.press("r")
    assert hint.is_hidden()
    assert opened.js("topo.view().scale") == pytest.approx(opening["scale"])
    opened.page.set_viewport_size({"width": 1600, "height": 900})


def test_phone_opens_on_the_whole_map_when_its_titles_read(open_page: Any, tmp_path: Path) -> None:
    """A map small enough for 11-px titles on a phone opens on Fit there, without the hint."""
    out = tmp_path / "small.html"
    build(str(ROOT / "tests" / "data" / "linux-traceroute" / "chain_ipv6_n.txt"), "-o", str(out))
    opened = open_page(out, viewport=PHONE)
    assert not opened.js("topo.opening.partial")
    assert opened.js("topo.layout().labels.titles") >= 11
    assert opened.page.locator("#view-hint").is_hidden()
    opening = opened.js("topo.view()")
    opened.page.locator("#fit").click()
    assert opened.js("topo.view().scale") == pytest.approx(opening["scale"])
    opened.page.set_viewport_size({"width": 1600, "height": 900})


def test_desktop_opens_on_the_whole_map(open_page: Any, samples_page: Path) -> None:
    opened = open_page(samples_page, viewport={"width": 1400, "height": 900})
    assert not opened.js("topo.opening.partial")
    assert opened.page.locator("#view-hint").is_hidden()
    opening = opened.js("topo.view()")
    opened.page.locator("#fit").click()
    assert opened.js("topo.view().scale") == pytest.approx(opening["scale"])
    view = opened.js("topo.view()")
    assert view["map"]["x0"] >= view["visible"]["x0"] and view["map"]["x1"] <= view["visible"]["x1"]


def test_print_keeps_colours_and_drops_controls(open_page: Any, article_page: Path) -> None:
    opened = open_page(article_page)
    opened.page.emulate_media(media="print")
    assert opened.page.locator("#controls").is_hidden()
    assert opened.page.locator("#search").is_hidden()
    assert opened.page.locator("#legend").is_visible()
    adjust = opened.js(
        "getComputedStyle(document.querySelector('#legend .swatch')).printColorAdjust"
    )
    assert adjust == "exact"
    opened.page.emulate_media(media="screen")


def test_a_crowded_column_opens_as_a_cluster(open_page: Any, tmp_path: Path) -> None:
    """Forty carriers between Tokyo and Osaka: one cluster card that opens on a click."""
    from topo.inputs.schema import dumps_trace
    from topo.model import Hop, Reply, Trace

    traces, rows = [], []
    for i in range(40):
        hops = (Hop(1, (Reply("13.112.0.11", 0.4),)), Hop(2, (Reply(f"5.{i}.0.1", 2.0),)),
                Hop(3, (Reply("15.230.24.168", 8.0),)))  # fmt: skip
        traces.append(Trace(dst="15.152.41.66", src="13.112.0.10", hops=hops))
        rows.append(f"5.{i}.0.0/16,Carrier {i:02d},{64600 + i}\n")
    (tmp_path / "t.jsonl").write_text("".join(dumps_trace(t) + "\n" for t in traces))
    (tmp_path / "carriers.csv").write_text("prefix,org,asn\n" + "".join(rows))
    out = tmp_path / "carriers.html"
    build(str(tmp_path / "t.jsonl"), "--owner-table", str(tmp_path / "carriers.csv"),
          "-o", str(out))  # fmt: skip
    opened = open_page(out)
    layout = opened.js("topo.layout()")
    (cluster,) = [b for b in layout["boxes"] if b["kind"] == "cluster"]
    assert cluster["label"] == "40 networks outside Amazon" and not cluster["open"]
    assert layout["labels"]["min"] >= 11
    click_canvas_point(
        opened, (cluster["x0"] + cluster["x1"]) / 2, (cluster["y0"] + cluster["y1"]) / 2
    )
    layout = opened.js("topo.layout()")
    assert [b["open"] for b in layout["boxes"] if b["kind"] == "cluster"] == [True]
    inside = [b for b in layout["boxes"] if b["parent"] == cluster["key"]]
    assert len(inside) == 40 and all(b["drawn"] for b in inside)
    assert layout["labels"]["min"] >= 11
    found = opened.js("topo.search('carrier 07')")
    assert found == [node_id(opened, "5.7.0.1")]
    assert opened.js("id => topo.rep(id)", found[0]) == found[0]
