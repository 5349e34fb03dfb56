"""The page's views in a real browser: Fit, the zoom's limits, where a search lands, phones.

Two pages: the real traces of ``tests/data`` (besttrace and cloud ``.txt`` files, about 530
nodes) and a synthetic one of about 8,000 nodes (``bench/page.py``'s trace set: routers in
groups drawn at a small fraction of the base size, where a careless zoom lands on huge
arrowheads and labels among the next row). Every assertion reads what the browser holds:
``topo.view()`` and ``topo.layout()``, vis-network's own nodes, edges and positions, the
bounding boxes of the canvas, the bottom sheet and the tooltip.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from topo.cli import cli

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1600, "height": 900}
MARGIN = 4  # px: the least room Fit leaves around the map
READABLE = (11, 20)  # px: a search hit's label
LABEL_MAX = 40  # px: the smallest label on the map at the deepest zoom allowed
ARROW_MAX = 20  # px: the longest arrowhead at any zoom
WIDTH_MAX = 6  # px: the widest line at any zoom
TITLE_MAX = 30  # px: the largest a box's title or an exit's label is drawn


@pytest.fixture(scope="module")
def real_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("real") / "real.html"
    files = sorted(str(p) for p in [*DATA.glob("besttrace/*.txt"), *DATA.glob("cloud/*.txt")])
    result = CliRunner().invoke(cli, ["build", *files, "-o", str(out), "--no-cache"])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def big_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 8,000 nodes from bench/page.py's synthetic traces, without a node budget."""
    spec = importlib.util.spec_from_file_location("bench_page", ROOT / "bench" / "page.py")
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    from topo.render import html
    from topo.topology.graph import build_graph
    from topo.topology.infer import infer_interconnects

    traces = bench.synthetic_traces(8_000)
    G = build_graph(traces)
    infer_interconnects(traces, graph=G)
    return html(G, tmp_path_factory.mktemp("big") / "big.html", max_nodes=None)


# the page rectangle (CSS px) of every top-level box and band, as drawn now
TOP_RECTS = """() => {
  const l = topo.layout(), r = document.getElementById('mynetwork').getBoundingClientRect();
  return l.boxes.concat(l.bands).filter(b => b.parent === null).map(b => {
    const a = network.canvasToDOM({x: b.x0, y: b.y0}), c = network.canvasToDOM({x: b.x1, y: b.y1});
    return {key: b.key, x0: r.left + a.x, y0: r.top + a.y, x1: r.left + c.x, y1: r.top + c.y};
  });
}"""

# where vis drew a router (page px), from vis's own node (getPositions rounds)
NODE_AT = """id => {
  const n = network.body.nodes[id], d = network.canvasToDOM({x: n.x, y: n.y});
  const r = document.getElementById('mynetwork').getBoundingClientRect();
  return [r.left + d.x, r.top + d.y];
}"""

# every shown router's label (vis's label box, moved by the vadjust vis draws it with) that
# covers another shown router's symbol, in view
LABELS_ON_SYMBOLS = """() => {
  const s = network.getScale(), r = document.getElementById('mynetwork').getBoundingClientRect();
  const a = network.DOMtoCanvas({x: 0, y: 0}), b = network.DOMtoCanvas({x: r.width, y: r.height});
  const inView = n => n.x > a.x && n.x < b.x && n.y > a.y && n.y < b.y;
  const shown = network.body.nodeIndices.map(id => network.body.nodes[id])
    .filter(n => typeof n.id === 'number' && !n.options.hidden && inView(n));
  const bad = [];
  for (const n of shown) {
    const size = n.labelModule.size;
    if (!n.options.label || !(size.width > 0) || n.options.shape === 'box') continue;
    const top = size.top + (n.options.font.vadjust || 0);
    const label = {x0: size.left, x1: size.left + size.width, y0: top, y1: top + size.height};
    for (const m of shown) {
      if (m === n) continue;
      const k = m.options.size;
      if (label.x0 < m.x + k && m.x - k < label.x1 && label.y0 < m.y + k && m.y - k < label.y1)
        bad.push([n.options.label, m.options.label]);
    }
  }
  return {checked: shown.length, bad: bad.slice(0, 10), count: bad.length};
}"""


def inside(rect: dict[str, float], area: dict[str, float], margin: float) -> bool:
    return (
        rect["x0"] >= area["x0"] + margin - 0.5
        and rect["y0"] >= area["y0"] + margin - 0.5
        and rect["x1"] <= area["x1"] - margin + 0.5
        and rect["y1"] <= area["y1"] - margin + 0.5
    )


def visible_area(opened: Any) -> dict[str, float]:
    """The canvas's page rectangle less what the panel covers (a phone's bottom sheet)."""
    canvas = opened.page.locator("#mynetwork").bounding_box()
    panel = opened.page.locator("#panel").bounding_box()
    area = {"x0": canvas["x"], "y0": canvas["y"], "x1": canvas["x"] + canvas["width"],
            "y1": canvas["y"] + canvas["height"]}  # fmt: skip
    if panel["x"] < area["x1"] and panel["y"] < area["y1"]:  # over the canvas: from below
        area["y1"] = min(area["y1"], panel["y"])
    return area


def assert_fits(opened: Any) -> dict[str, Any]:
    """Every top-level box and band inside the visible canvas, and the map filling it."""
    view = opened.js("topo.view()")
    area = visible_area(opened)
    rects = opened.js(TOP_RECTS)
    assert rects
    outside = [r["key"] for r in rects if not inside(r, area, MARGIN)]
    assert outside == [], (outside, area)
    x0, y0 = min(r["x0"] for r in rects), min(r["y0"] for r in rects)
    x1, y1 = max(r["x1"] for r in rects), max(r["y1"] for r in rects)
    share = max((x1 - x0) / (area["x1"] - area["x0"]), (y1 - y0) / (area["y1"] - area["y0"]))
    assert share > 0.9, share  # a fit, not a map lost in the middle
    return view


def assert_edges_sane(opened: Any) -> None:
    """Lines and arrowheads within their screen-pixel bounds, and no giant box title or
    exit label (the largest words ``topo.layout()`` reports drawing)."""
    assert opened.js("topo.layout().labels.largest") <= TITLE_MAX
    edges = opened.js("topo.view().edges")
    if edges["count"]:
        assert edges["arrow"][1] <= ARROW_MAX, edges
        assert edges["width"][1] <= WIDTH_MAX, edges
        assert edges["width"][0] >= 0.5, edges


def smallest_label_px(opened: Any) -> float:
    return float(
        opened.js("Math.min(...topo.data.nodes.map(n => n.s || 1)) * 17 * network.getScale()")
    )


@pytest.mark.parametrize("which", ["real_page", "big_page"])
def test_fit_and_reset_show_the_whole_map(
    open_page: Any, which: str, request: pytest.FixtureRequest
) -> None:
    opened = open_page(request.getfixturevalue(which))
    first = assert_fits(opened)  # the opening view
    assert_edges_sane(opened)
    titles = opened.js("topo.layout().labels.titles")
    print(f"{which}: fit scale {first['scale']:.4f}, card titles {titles:.1f} px")
    opened.page.locator("#mynetwork").focus()
    for key in ("+", "+", "ArrowRight", "ArrowDown"):
        opened.page.keyboard.press(key)
    assert opened.js("network.getScale()") > first["scale"] * 1.5
    opened.page.keyboard.press("0")
    again = assert_fits(opened)
    assert again["scale"] == pytest.approx(first["scale"])
    opened.page.locator("#zoom-in").click()
    opened.page.locator("#fit").click()
    assert_fits(opened)
    opened.js("topo.search('amazon')")
    opened.page.locator("#reset").click()
    back = assert_fits(opened)
    assert back["scale"] == pytest.approx(first["scale"])
    assert back["centre"]["x"] == pytest.approx(first["centre"]["x"])
    assert back["centre"]["y"] == pytest.approx(first["centre"]["y"])


def test_zoom_stops_where_the_content_says(open_page: Any, big_page: Path) -> None:
    opened = open_page(big_page)
    fit = opened.js("topo.view()")
    # in: buttons, keys and the wheel stop where the smallest label is a few times readable
    opened.js("topo.zoomBy(1e6)")
    deepest = opened.js("network.getScale()")
    assert deepest == pytest.approx(fit["limits"]["most"])
    assert 20 < smallest_label_px(opened) <= LABEL_MAX
    assert_edges_sane(opened)
    opened.js("topo.fit()")
    box = opened.page.locator("#mynetwork").bounding_box()
    opened.page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    for _ in range(60):
        opened.page.mouse.wheel(0, -2000)
    opened.page.wait_for_timeout(300)
    assert opened.js("network.getScale()") <= deepest * 1.0001
    assert smallest_label_px(opened) <= LABEL_MAX
    assert_edges_sane(opened)
    # out: the map stays a fair share of the canvas
    for _ in range(60):
        opened.page.mouse.wheel(0, 2000)
    opened.page.wait_for_timeout(300)
    view = opened.js("topo.view()")
    assert view["scale"] >= view["limits"]["least"] * 0.9999
    map_w = view["map"]["x1"] - view["map"]["x0"]
    map_h = view["map"]["y1"] - view["map"]["y0"]
    canvas = view["canvas"]
    assert max(map_w / (canvas["x1"] - canvas["x0"]), map_h / (canvas["y1"] - canvas["y0"])) >= 0.2
    opened.js("topo.zoomBy(1e-6)")
    assert opened.js("network.getScale()") == pytest.approx(view["limits"]["least"])


def test_search_in_a_deep_group_lands_readable_and_centred(open_page: Any, big_page: Path) -> None:
    opened = open_page(big_page)
    # the smallest router drawn: a reserved address deep in the band's groups
    ident = opened.js(
        "(() => { const ns = topo.data.nodes; let best = -1;"
        " ns.forEach((n, i) => {"
        "   if (n.b >= 0 && (best < 0 || (n.s || 1) < (ns[best].s || 1))) best = i; });"
        " return best; })()"
    )
    address = opened.js("i => topo.data.nodes[i].label", ident)
    assert opened.js("i => topo.data.nodes[i].s", ident) < 0.1  # a deep group indeed
    assert opened.js("i => topo.rep(i)", ident) != ident  # closed at first
    opened.page.locator("#search").fill(address)
    opened.page.locator("#search").press("Enter")
    assert ident in opened.js("network.getSelectedNodes()")
    assert opened.js("i => topo.rep(i)", ident) == ident  # its groups opened
    view = opened.js("topo.view()")
    assert view["focus"] == ident
    assert READABLE[0] <= view["focusLabelPx"] <= READABLE[1]
    x, y = opened.js(NODE_AT, ident)
    area = visible_area(opened)
    assert abs(x - (area["x0"] + area["x1"]) / 2) < 3 and abs(y - (area["y0"] + area["y1"]) / 2) < 3
    assert (
        opened.js("i => topo.data.nodes[i].label", ident)
        in opened.page.locator("#details").inner_text()
    )
    assert_edges_sane(opened)
    overlaps = opened.js(LABELS_ON_SYMBOLS)
    assert overlaps["checked"] > 10 and overlaps["count"] == 0, overlaps
    # and at the deepest zoom allowed, around the hit
    opened.js("topo.zoomBy(1e6)")
    assert_edges_sane(opened)
    overlaps = opened.js(LABELS_ON_SYMBOLS)
    assert overlaps["checked"] > 0 and overlaps["count"] == 0, overlaps
    # a search from a deep zoom comes back to a readable one
    other = opened.js(
        "(() => { const ns = topo.data.nodes; let best = 0;"
        " ns.forEach((n, i) => { if ((n.s || 1) > (ns[best].s || 1)) best = i; });"
        " return best; })()"
    )
    assert opened.js("i => topo.data.nodes[i].s || 1", other) > 0.5
    opened.js("i => topo.search(topo.data.nodes[i].label)", other)
    assert READABLE[0] <= opened.js("topo.view().focusLabelPx") <= READABLE[1]


def test_search_on_a_real_page_opens_the_group(open_page: Any, real_page: Path) -> None:
    opened = open_page(real_page)
    ident = opened.js(
        "topo.data.nodes.findIndex(n => n.b >= 0 && topo.data.boxes[n.b].kind === 'group'"
        " && /^[0-9.]+$/.test(n.label))"
    )
    assert ident >= 0 and opened.js("i => topo.rep(i)", ident) != ident
    found = opened.js("i => topo.search(topo.data.nodes[i].label)", ident)
    assert found[0] == ident
    assert opened.js("i => topo.rep(i)", ident) == ident
    view = opened.js("topo.view()")
    assert READABLE[0] <= view["focusLabelPx"] <= READABLE[1]
    x, y = opened.js(NODE_AT, ident)
    area = visible_area(opened)
    assert abs(x - (area["x0"] + area["x1"]) / 2) < 3 and abs(y - (area["y0"] + area["y1"]) / 2) < 3
    assert_edges_sane(opened)
    assert opened.js(LABELS_ON_SYMBOLS)["count"] == 0


def phone(opened: Any) -> None:
    opened.page.set_viewport_size(PHONE)
    opened.js("topo.fit()")
    opened.page.wait_for_timeout(300)


def sheet_top(opened: Any) -> float:
    return float(opened.page.locator("#panel").bounding_box()["y"])


def test_phone_fit_and_search_hit_above_the_sheet(open_page: Any, real_page: Path) -> None:
    opened = open_page(real_page)
    phone(opened)
    assert_fits(opened)  # above the sheet's handle
    opened.page.locator("#panel-toggle").click()
    opened.page.wait_for_timeout(300)
    ident = opened.js("topo.data.nodes.findIndex(n => n.label === '54.150.128.95')")
    assert ident >= 0
    opened.page.locator("#search").fill("54.150.128.95")
    opened.page.locator("#search").press("Enter")
    opened.page.wait_for_timeout(400)  # the sheet's transition
    top = sheet_top(opened)
    canvas = opened.page.locator("#mynetwork").bounding_box()
    assert top < PHONE["height"] - 200  # the sheet is open, with the details
    assert "54.150.128.95" in opened.page.locator("#details").inner_text()
    x, y = opened.js(NODE_AT, ident)
    assert canvas["y"] + 10 < y < top - 10, (y, top)  # the hit is above the sheet
    assert 10 < x < PHONE["width"] - 10
    assert READABLE[0] <= opened.js("topo.view().focusLabelPx") <= READABLE[1]
    opened.page.set_viewport_size(DESKTOP)


def tap(opened: Any, x: float, y: float) -> None:
    """A finger's tap (Chrome's touch input, as on a phone: touch pointer events, then the
    mouse events the browser emulates after them)."""
    session = opened.page.context.new_cdp_session(opened.page)
    try:
        session.send("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 1})
        session.send(
            "Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]}
        )
        session.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        opened.page.wait_for_timeout(500)
    finally:
        session.send("Emulation.setTouchEmulationEnabled", {"enabled": False})
        session.detach()


def test_phone_tap_selects_without_a_tooltip(open_page: Any, real_page: Path) -> None:
    opened = open_page(real_page)
    phone(opened)
    ident = opened.js("topo.data.nodes.findIndex(n => n.label === '54.150.128.95')")
    opened.js("i => topo.zoomToNode(i)", ident)
    x, y = opened.js(NODE_AT, ident)
    assert y < sheet_top(opened)
    tap(opened, x, y)
    assert opened.js("document.getElementById('details').getAttribute('data-kind')") == "router"
    assert "54.150.128.95" in opened.page.locator("#details").inner_text()
    assert opened.page.locator("#tooltip").is_hidden()
    top = sheet_top(opened)
    assert top < PHONE["height"] - 200  # the details are up
    x, y = opened.js(NODE_AT, ident)
    assert y < top - 10  # and the router is not under them
    opened.page.set_viewport_size(DESKTOP)
    opened.page.wait_for_timeout(300)
    # a mouse still hovers
    opened.js("topo.clearDetails(); topo.clearHighlight()")
    opened.js("i => topo.zoomToNode(i)", ident)
    opened.page.wait_for_timeout(200)
    x, y = opened.js(NODE_AT, ident)
    opened.page.mouse.move(5, 5)
    opened.page.mouse.move(x + 40, y - 40, steps=3)
    opened.page.mouse.move(x, y, steps=6)
    opened.page.wait_for_timeout(400)
    assert not opened.js("topo.view().touch")
    assert opened.page.locator("#tooltip").is_visible()


# where a canvas point is drawn (page px)
POINT_AT = """p => {
  const d = network.canvasToDOM(p);
  const r = document.getElementById('mynetwork').getBoundingClientRect();
  return [r.left + d.x, r.top + d.y];
}"""

# the where-am-I caption's names and whether it shows
WHERE = """() => { const bar = document.getElementById('where');
  return {hidden: bar.hidden, visible: bar.offsetParent !== null && !bar.hidden,
          parts: Array.from(bar.querySelectorAll('button')).map(p => p.textContent),
          boxes: Array.from(bar.querySelectorAll('button')).map(p => Number(p.dataset.box))}; }"""


def test_where_am_i_names_the_boxes_and_goes_to_them(open_page: Any, big_page: Path) -> None:
    opened = open_page(big_page)
    assert opened.js(WHERE)["hidden"]  # the whole map: every top-level title is on screen
    ident = opened.js(
        "(() => { const ns = topo.data.nodes; let best = -1;"
        " ns.forEach((n, i) => {"
        "   if (n.b >= 0 && (best < 0 || (n.s || 1) < (ns[best].s || 1))) best = i; });"
        " return best; })()"
    )
    opened.js("i => topo.search(topo.data.nodes[i].label)", ident)
    opened.page.wait_for_timeout(200)
    where = opened.js(WHERE)
    assert where["visible"], where
    # the path of boxes around the hit (at the middle of the view), outermost first, as text
    chain = opened.js(
        "i => { const out = [];"
        " for (let b = topo.data.nodes[i].b; b >= 0; b = topo.data.boxes[b].parent)"
        " out.unshift(b); return out; }",
        ident,
    )
    assert where["boxes"] == chain[: len(where["boxes"])] and len(where["boxes"]) >= 2, (
        where,
        chain,
    )
    labels = opened.js("bs => bs.map(b => topo.data.boxes[b].label)", where["boxes"])
    assert where["parts"] == labels
    assert opened.js("topo.where()") == labels
    bar = opened.page.locator("#where").bounding_box()
    controls = opened.page.locator("#controls").bounding_box()
    canvas = opened.page.locator("#mynetwork").bounding_box()
    assert (
        bar["y"] >= controls["y"] + controls["height"] and bar["x"] < canvas["x"] + 20
    )  # top left
    assert bar["height"] < 30  # one line
    # a middle part: that box, its title at the top left of the view, its routers readable
    middle = where["boxes"][1]
    opened.page.locator(f"#where button[data-box='{middle}']").click()
    opened.page.wait_for_timeout(200)
    box = opened.js("b => topo.data.boxes[b]", middle)
    area = visible_area(opened)
    x, y = opened.js(POINT_AT, {"x": box["x0"], "y": box["y0"]})  # its top left corner
    assert area["x0"] - 1 <= x <= area["x0"] + 40 and area["y0"] <= y <= area["y0"] + 120, (
        x,
        y,
        area,
    )
    assert opened.js("b => topo.isOpen(b)", middle)
    after = opened.js(WHERE)
    assert after["boxes"][:2] == where["boxes"][:2]
    # the outermost part: the top-level box's title comes into view and the caption goes
    opened.page.locator(f"#where button[data-box='{where['boxes'][0]}']").click()
    opened.page.wait_for_timeout(200)
    assert opened.js(WHERE)["hidden"]
    assert opened.js("topo.where()") == []
    assert opened.js("b => topo.isOpen(b)", where["boxes"][0])
    assert_edges_sane(opened)
