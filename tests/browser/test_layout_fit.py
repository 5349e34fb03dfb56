"""The region map's opening view at 1400 x 900 in a real browser (Debian's Chromium).

What the layout promises (tests/test_layout_regions.py checks it in Python) seen on the
page: after the fit, every top-level box, band and cluster is on the canvas, its words at
11 px or more, whatever the set (a set too big for that is aggregated into clusters).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from topo.cli import cli

ROOT = Path(__file__).resolve().parents[2]
REAL = [
    *sorted((ROOT / "tests" / "data" / "besttrace").glob("*.txt")),
    *sorted((ROOT / "tests" / "data" / "cloud").glob("*.txt")),
]
SETS = {
    "real": REAL,
    "all-samples": sorted(p for p in (ROOT / "samples").iterdir() if p.is_dir()),
    "counter-example": [ROOT / "samples" / "example-leaves-provider"],
}

#: Every top-level box in screen pixels after the fit, and the smallest words drawn.
ON_SCREEN = """() => {
  const L = topo.layout(), c = document.getElementById("mynetwork");
  const w = c.clientWidth, h = c.clientHeight;
  const top = L.boxes.concat(L.bands).filter(b => b.parent === null);
  const out = top.map(b => {
    const p = network.canvasToDOM({x: b.x0, y: b.y0}), q = network.canvasToDOM({x: b.x1, y: b.y1});
    return {key: b.key, x0: p.x, y0: p.y, x1: q.x, y1: q.y};
  });
  return {w: w, h: h, boxes: out, labels: L.labels};
}"""


@pytest.fixture(scope="module", params=list(SETS))
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fit") / f"{request.param}.html"
    args = [str(p) for p in SETS[request.param]]
    result = CliRunner().invoke(cli, ["build", *args, "-o", str(out), "--no-cache"])
    assert result.exit_code == 0, result.output
    return out


def test_the_fit_view_shows_every_box_readably(open_page: Any, built: Path) -> None:
    opened = open_page(built)
    opened.page.set_viewport_size({"width": 1400, "height": 900})
    opened.js("topo.fit()")
    seen = opened.js(ON_SCREEN)
    assert 900 < seen["w"] < 1200 and 600 < seen["h"] < 850  # the canvas beside the panel
    w, h = seen["w"] + 1, seen["h"] + 1
    off = [
        b["key"] for b in seen["boxes"] if min(b["x0"], b["y0"]) < -1 or b["x1"] > w or b["y1"] > h
    ]
    assert off == [], off
    assert seen["labels"]["titles"] >= 11 and seen["labels"]["lines"] >= 11, seen["labels"]
