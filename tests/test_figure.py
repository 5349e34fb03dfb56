"""The static figure (``topo build --figure``) and the report's figure: the region map at 16:9,
text kept as text and readable on a slide, fast on a large set (issue 24, item 7).

Sizes are read back from the SVG itself: matplotlib writes 72 user units per inch, so the
viewBox of a 13.33 x 7.5 in figure is 960 x 540 and a ``font-size: 9px`` text is 9 pt when
the figure is shown full-width on a 13.33 in (16:9) slide.
"""

from __future__ import annotations

import importlib
import re
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from bench.synth import atlas_lines
from topo.cli import cli
from topo.errors import UsageError
from topo.render import aggregate, compute_layout
from topo.render.figure import LABEL_PT, SLIDE_WIDTH_IN, figure, parse_figure_size
from topo.render.fonts import MissingGlyphWarning, text_extent
from topo.render.regionmap import region_map
from topo.render.report import write_report
from topo.topology import analyze

pytest.importorskip("matplotlib")

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
SLIDE_UNITS = SLIDE_WIDTH_IN * 72  # the viewBox width of a full-width slide


def view_box(svg: str) -> tuple[float, float]:
    match = re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', svg)
    assert match, "no viewBox"
    return float(match[1]), float(match[2])


def texts(svg: str) -> list[tuple[float, str]]:
    """(font size in user units, text) of every ``<text>`` element."""
    found = []
    for style, body in re.findall(r"<text ([^>]*)>(.*?)</text>", svg, flags=re.S):
        size = re.search(r"font-size: ([\d.]+)px", style)
        assert size, style
        found.append((float(size[1]), re.sub(r"<[^>]+>", "", body)))
    return found


def smallest_on_slide(svg: str) -> float:
    """The smallest text in points when the figure is shown 13.33 in wide."""
    width, _ = view_box(svg)
    return min(size for size, _ in texts(svg)) * SLIDE_UNITS / width


@pytest.fixture(scope="module")
def article_svg(tmp_path_factory: pytest.TempPathFactory) -> str:
    topology = analyze([SAMPLES / "aws-osaka-tokyo"])
    path = figure(topology.graph, tmp_path_factory.mktemp("fig") / "a.svg", title=topology.name)
    return path.read_text(encoding="utf-8")


def test_svg_keeps_text_as_text_at_16_9(article_svg: str) -> None:
    assert view_box(article_svg) == (960.0, 540.0)  # 13.33 x 7.5 in
    words = [text for _, text in texts(article_svg)]
    assert len(words) > 20
    assert "AWS Osaka to Tokyo (the article's traceroute)" in words
    assert {"Osaka ap-northeast-3", "Tokyo ap-northeast-1", "15.230.154.163"} <= set(words)
    assert any("region interconnect" in w or "inter-region" in w for w in words)
    assert not re.search(r'<path id="DejaVuSans-', article_svg)  # no glyphs drawn as paths


def test_labels_are_9_pt_on_a_slide_whatever_the_size(tmp_path: Path, article_svg: str) -> None:
    assert smallest_on_slide(article_svg) >= LABEL_PT - 0.01
    topology = analyze([SAMPLES / "example-leaves-provider"])
    for size in ((6.0, 3.375), (20.0, 11.25), parse_figure_size("4:3")):
        svg = figure(topology.graph, tmp_path / "f.svg", size=size).read_text(encoding="utf-8")
        width, height = view_box(svg)
        assert (width, height) == pytest.approx((size[0] * 72, size[1] * 72), abs=0.01)
        assert smallest_on_slide(svg) >= LABEL_PT - 0.01, size


def test_figure_size_words() -> None:
    assert parse_figure_size("10x5.625") == (10.0, 5.625)
    assert parse_figure_size("16:9") == pytest.approx((13.333, 7.5), abs=0.001)
    assert parse_figure_size(" 4:3 ") == pytest.approx((13.333, 10.0), abs=0.001)
    for bad in ("", "16", "0x3", "100x50", "20x2", "a:b", "-4x3"):
        with pytest.raises(UsageError, match="figure size"):
            parse_figure_size(bad)


def test_counter_example_marks_the_exit_and_boxes_the_carrier(tmp_path: Path) -> None:
    G = analyze([SAMPLES / "example-leaves-provider"]).graph
    found = region_map(G, compute_layout(G))
    networks = [a for a in found.areas if a.kind == "network"]
    assert [a.title.split(",")[0] for a in networks] == ["Example Transit (constructed)"]
    assert all(n in networks[0].members for n in ("5.6.7.9", "5.6.7.34"))
    assert {(e.src, e.dst) for e in found.exits} == {
        ("15.230.152.77", "5.6.7.9"),
        ("54.239.52.9", "5.6.7.9"),
    }
    svg = figure(G, tmp_path / "c.svg").read_text(encoding="utf-8")
    words = " ".join(text for _, text in texts(svg))
    assert "exit: Amazon → Example Transit (constructed)" in words
    assert "2 traces" in words
    assert "#c0392b" in svg  # the exit's red arrow


def test_cli_figure_and_its_size(tmp_path: Path) -> None:
    out = tmp_path / "f.svg"
    args = ["build", str(SAMPLES / "aws-tokyo-seoul"), "--no-cache", "-o", str(tmp_path / "p.html")]
    result = CliRunner().invoke(cli, [*args, "--figure", str(out), "--figure-size", "4:3"])
    assert result.exit_code == 0, result.output
    assert view_box(out.read_text(encoding="utf-8")) == (960.0, 720.0)
    png = tmp_path / "f.png"
    other = [*args[:-1], str(tmp_path / "q.html")]
    result = CliRunner().invoke(cli, [*other, "--figure", str(png)])
    assert result.exit_code == 0, result.output
    head = png.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    assert (int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")) == (2000, 1125)
    bad = CliRunner().invoke(cli, [*args, "--figure", str(out), "--figure-size", "9"])
    assert bad.exit_code == 2 and "figure size '9'" in bad.output


def test_same_graph_same_file(tmp_path: Path) -> None:
    G = analyze([SAMPLES / "aws-tokyo-osaka"]).graph
    first = figure(G, tmp_path / "a.svg").read_bytes()
    assert figure(G, tmp_path / "b.svg").read_bytes() == first
    pdf = figure(G, tmp_path / "c.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and b"/FontFile2" in pdf  # TrueType text, not outlines


def test_one_warning_when_no_font_draws_a_label(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a CJK font: one clear warning, not one per glyph; the SVG keeps the text."""
    figure_module = importlib.import_module("topo.render.figure")  # not render.figure()
    fonts = importlib.import_module("topo.render.fonts")

    monkeypatch.setattr(fonts, "font_family", lambda: ["DejaVu Sans"])
    monkeypatch.setattr(figure_module, "font_family", lambda: ["DejaVu Sans"])
    G = analyze([SAMPLES / "aws-osaka-tokyo"]).graph
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for suffix in ("svg", "png"):
            figure(G, tmp_path / f"ja.{suffix}", title="大阪から東京へ")
    assert [w.category for w in caught] == [MissingGlyphWarning, MissingGlyphWarning]
    assert "fonts-noto-cjk" in str(caught[0].message)
    assert "大阪から東京へ" in (tmp_path / "ja.svg").read_text(encoding="utf-8")


def test_report_embeds_the_titled_region_map(tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    write_report(analyze([SAMPLES / "example-leaves-provider"]), out)
    html = out.read_text(encoding="utf-8")
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert "print-color-adjust:exact" in html
    svg = write_report_svg(tmp_path)
    width, height = view_box(svg)
    assert (width, height) == (720.0, 405.0)  # 10 x 5.625 in: 960 x 540 px in a browser
    assert min(size for size, _ in texts(svg)) >= 9  # 12 px at the figure's own size
    words = [text for _, text in texts(svg)]
    assert "Constructed example: Tokyo to Osaka leaving AWS through a transit carrier" in words


def write_report_svg(folder: Path) -> str:
    """The topology figure of a Markdown report, decoded from its data URI."""
    import base64

    out = folder / "r.md"
    write_report(analyze([SAMPLES / "example-leaves-provider"]), out)
    uris = re.findall(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)", out.read_text("utf-8"))
    assert len(uris) == 2  # the region map, then the RTT profile
    return base64.b64decode(uris[0]).decode("utf-8")


def test_a_3000_result_atlas_set_draws_its_overview(tmp_path: Path) -> None:
    """The set of bench/figure.py (python bench/synth.py atlas --traces 3000): it took 164 s
    and 600 MB before the figure drew the overview; the time is bench/figure.py's to tell."""
    source = tmp_path / "a3k.jsonl"
    source.write_text("\n".join(atlas_lines(3000, 1, 50000)) + "\n", encoding="utf-8")
    G = analyze([source], profiles=False).graph
    assert G.number_of_nodes() > 20_000
    svg = figure(G, tmp_path / "a3k.svg", title="3k Atlas").read_text(encoding="utf-8")
    assert view_box(svg) == (960.0, 540.0)
    words = " ".join(text for _, text in texts(svg))
    assert "Overview: routers are not drawn one by one" in words
    assert smallest_on_slide(svg) >= LABEL_PT - 0.01
    assert text_problems(svg) == []
    H = aggregate(G, 400)
    found = region_map(H, compute_layout(H))
    assert not found.detail and 0 < len(found.areas) <= 60 and found.exits
    assert len(svg) < 2_000_000


SVG = "{http://www.w3.org/2000/svg}"
Box = tuple[float, float, float, float]


def _text_box(element: ET.Element) -> Box:
    """A ``<text>``'s box (x0, y0, x1, y1, y down) from its position, anchor and font-size,
    measured with the figure's own metrics (matplotlib puts the baseline at ``y``)."""
    style = element.get("style", "")
    size = float(re.search(r"font-size: ([\d.]+)px", style)[1])  # type: ignore[index]
    bold = "font-weight: 700" in style or "font-weight: bold" in style
    anchor = re.search(r"text-anchor: (\w+)", style)
    moved = re.search(r"translate\(([-\d.e]+)[ ,]+([-\d.e]+)\)", element.get("transform", ""))
    if element.get("x") is not None:
        x, y = float(element.get("x", 0)), float(element.get("y", 0))
    else:
        assert moved, ET.tostring(element)
        x, y = float(moved[1]), float(moved[2])
    width, height, descent = text_extent("".join(element.itertext()), size, bold)
    shift = {"start": 0.0, "middle": width / 2, "end": width}[anchor[1] if anchor else "start"]
    return x - shift, y - (height - descent), x - shift + width, y + descent


def _path_box(d: str) -> Box:
    numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", d)]
    xs, ys = numbers[0::2], numbers[1::2]
    return min(xs), min(ys), max(xs), max(ys)


def _overlap(a: Box, b: Box) -> float:
    """How far two boxes overlap (0 when they do not)."""
    return max(0.0, min(min(a[2], b[2]) - max(a[0], b[0]), min(a[3], b[3]) - max(a[1], b[1])))


def text_problems(svg: str) -> list[str]:
    """Texts that overlap another text or the legend (its frame), or leave the viewBox."""
    root = ET.fromstring(svg)
    width, height = view_box(svg)
    legend_group = root.find(f".//{SVG}g[@id='legend_1']")
    in_legend = set() if legend_group is None else set(legend_group.iter(f"{SVG}text"))
    legend_box = None
    if legend_group is not None:
        frame = legend_group.find(f".//{SVG}path")
        legend_box = _path_box(frame.get("d", "")) if frame is not None else None
    boxes = [
        ("".join(t.itertext()), _text_box(t), t in in_legend)
        for t in root.iter(f"{SVG}text")
        if "".join(t.itertext()).strip()
    ]
    problems = []
    for number, (text, box, legend_text) in enumerate(boxes):
        if box[0] < 0 or box[1] < 0 or box[2] > width or box[3] > height:
            problems.append(f"{text!r} {box} leaves the viewBox")
        if legend_box and not legend_text and _overlap(box, legend_box) > 0.5:
            problems.append(f"{text!r} overlaps the legend")
        for other, other_box, _ in boxes[number + 1 :]:
            if _overlap(box, other_box) > 0.5:
                problems.append(f"{text!r} overlaps {other!r}")
    return problems


REAL_SET = sorted((ROOT / "tests" / "data").glob("besttrace/*.txt")) + sorted(
    (ROOT / "tests" / "data").glob("cloud/*.txt")
)
SETS = {
    "counter-example": [SAMPLES / "example-leaves-provider"],
    "all-samples": sorted(p for p in SAMPLES.iterdir() if p.is_dir()),
    "real-cloud": REAL_SET,
    **{p.name: [p] for p in sorted(SAMPLES.iterdir()) if p.is_dir()},
}


@pytest.mark.parametrize("name", list(SETS))
def test_no_text_overlaps_another_the_legend_or_the_edge(tmp_path: Path, name: str) -> None:
    """Every label's box, measured from the SVG, is clear of every other label, of the
    legend, and inside the viewBox; and the labels stay 9 pt on a slide."""
    topology = analyze(SETS[name])
    svg = figure(topology.graph, tmp_path / "f.svg").read_text(encoding="utf-8")
    assert text_problems(svg) == []
    assert smallest_on_slide(svg) >= LABEL_PT - 0.01


def test_the_overlap_check_can_fail() -> None:
    """text_problems finds two texts on one spot, a text over the legend, one off the edge."""
    head = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 100">'
    style = "font-size: 9px; text-anchor: start"
    svg = (
        f'{head}<text style="{style}" x="10" y="20">Tokyo ap-northeast-1</text>'
        f'<text style="{style}" x="30" y="22">Osaka</text>'
        f'<text style="{style}" x="190" y="50">edge</text>'
        f'<g id="legend_1"><path d="M 0 80 L 100 80 L 100 100 L 0 100 z"/></g>'
        f'<text style="{style}" x="50" y="90">under the legend</text></svg>'
    )
    problems = text_problems(svg)
    assert len(problems) == 3, problems
    assert "'Tokyo ap-northeast-1' overlaps 'Osaka'" in problems[0]
    assert "leaves the viewBox" in problems[1] and "overlaps the legend" in problems[2]
