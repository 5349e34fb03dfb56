"""The page in a real browser (Debian's Chromium through Playwright), offline.

Each test builds a page with ``topo build`` and checks what a user would see and do; the
fixture fails any test whose page requested anything but its own file or logged an error.
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


def build(*args: str) -> None:
    result = CliRunner().invoke(cli, ["build", *args, "--no-cache"])
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def article_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("article") / "article.html"
    build(str(SAMPLE), "-o", str(out))
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
    point = opened.js(
        "id => { const p = network.getPositions([id])[id]; const d = network.canvasToDOM(p);"
        " const r = document.getElementById('mynetwork').getBoundingClientRect();"
        " return [r.left + d.x, r.top + d.y]; }",
        ident,
    )
    opened.page.mouse.click(point[0], point[1])


def test_article_page_draws_every_node_edge_box_and_legend(
    open_page: Any, article_page: Path
) -> None:
    opened = open_page(article_page)
    drawn = opened.js("[network.body.nodeIndices.length, network.body.edgeIndices.length]")
    assert drawn == [24, 24]
    assert opened.js("topo.data.boxes.map(b => b.label)") == [
        "Osaka ap-northeast-3",
        "Tokyo ap-northeast-1",
    ]
    bands = opened.js("topo.data.bands")
    assert len(bands) == 1 and "12 reserved hops (8 CGNAT, 4 Class E)" in bands[0]["summary"][0]
    legend = opened.page.locator("#legend .legend-row").all_inner_texts()
    assert any("CGNAT" in row for row in legend) and any("Class E" in row for row in legend)
    assert any("public, Amazon" in row for row in legend)
    assert opened.page.locator("#verdict").inner_text() == "on-provider"
    # the Osaka box is painted: its left border at mid-height has the box's blue stroke
    pixel = opened.js(
        """() => {
        const b = topo.data.boxes[0];
        const d = network.canvasToDOM({x: b.x0, y: (b.y0 + b.y1) / 2});
        const canvas = document.querySelector('#mynetwork canvas');
        const ratio = canvas.width / canvas.clientWidth;
        const ctx = canvas.getContext('2d');
        let best = [255, 255, 255];
        for (let dx = -2; dx <= 2; dx++) {
          const x = Math.round((d.x + dx) * ratio), y = Math.round(d.y * ratio);
          const p = ctx.getImageData(x, y, 1, 1).data;
          if (p[0] + p[1] + p[2] < best[0] + best[1] + best[2]) best = [p[0], p[1], p[2]];
        }
        return best; }"""
    )
    assert pixel[2] > pixel[0] + 40, pixel


def test_category_toggle_hides_its_nodes(open_page: Any, article_page: Path) -> None:
    opened = open_page(article_page)
    opened.page.locator('#legend input[data-category="cgnat"]').uncheck()
    assert opened.js("network.body.nodeIndices.length") == 24 - 8
    assert opened.js("topo.hiddenNodes().every(i => topo.data.nodes[i].k === 'cgnat')")
    opened.page.locator('#legend input[data-category="cgnat"]').check()
    assert opened.js("network.body.nodeIndices.length") == 24


def test_search_finds_an_address(open_page: Any, article_page: Path) -> None:
    opened = open_page(article_page)
    opened.page.locator("#search").fill("15.230.154.163")
    opened.page.locator("#search").press("Enter")
    ident = node_id(opened, "15.230.154.163")
    assert opened.js("network.getSelectedNodes()") == [ident]
    assert opened.page.locator("#search-result").inner_text() == "1 found"


def test_clicking_a_node_highlights_every_trace_through_it(
    open_page: Any, hostile_page: Path
) -> None:
    opened = open_page(hostile_page)
    ident = node_id(opened, OSAKA_PUBLIC[0])
    click_node(opened, ident)
    highlighted = opened.js("topo.highlighted")
    assert highlighted["traces"] == [0, 1, 2, 4]  # every trace from Osaka, not Tokyo's
    selected = set(opened.js("network.getSelectedNodes()"))
    assert node_id(opened, "240.1.52.6") in selected and node_id(opened, "9.9.9.9") in selected
    assert node_id(opened, SINGAPORE_PUBLIC[0]) not in selected
    assert "4 traces through" in opened.page.locator("#selection").inner_text()


def test_clicking_a_trace_highlights_its_path(open_page: Any, hostile_page: Path) -> None:
    opened = open_page(hostile_page)
    opened.page.locator('.trace-row[data-trace="3"] button').click()
    path = opened.js("topo.data.traces[3].path")
    assert sorted(opened.js("network.getSelectedNodes()")) == sorted(path)
    assert (
        node_id(opened, TOKYO_PUBLIC[1]) in path and len(opened.js("topo.highlighted.edges")) == 6
    )


def test_trace_toggle_hides_nodes_only_that_trace_has(open_page: Any, hostile_page: Path) -> None:
    opened = open_page(hostile_page)
    opened.page.locator('.trace-row[data-trace="3"] input').uncheck()
    hidden = set(opened.js("topo.hiddenNodes()"))
    assert node_id(opened, SINGAPORE_PUBLIC[1]) in hidden
    assert node_id(opened, TOKYO_PUBLIC[1]) not in hidden  # other traces pass it too


def test_hostile_names_stay_text(open_page: Any, hostile_page: Path) -> None:
    opened = open_page(hostile_page)
    ident = node_id(opened, OSAKA_PUBLIC[0])
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
    texts = opened.js("topo.data.info.map((_, i) => topo.tooltipFor(i).textContent).join('\\n')")
    assert "</script><script>window.__xss=1</script>" in texts
    assert "javascript:window.__xss=1" in texts
    assert "evil\\u202egnp.exe" in texts and "\u202e" not in texts
    legend = opened.page.locator("#legend").inner_text()
    assert "</script><script>window.__xss=1</script>" in legend  # the owner table's org
    reasons = opened.page.locator("#reasons").text_content() or ""
    assert "owned by </script><script>window.__xss=1</script>" in reasons
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
    assert "segment" in kinds and opened.js("network.body.nodeIndices.length") == len(kinds)
    assert len(kinds) < 22


def test_physics_toggle_on_a_small_graph(open_page: Any, article_page: Path) -> None:
    opened = open_page(article_page)
    opened.page.locator("#physics").check()
    assert opened.js("network.physics.options.enabled") is True
    opened.page.locator("#physics").uncheck()
    assert opened.js("network.physics.options.enabled") is False
