"""The compare page (`topo compare -o`) and the HTML report in real headless Chromium.

Same checks as the topology page: no request leaves the page, no console error, the content is
there (a card and a drawn RTT profile per pair), and hostile set names stay text. Then what
issue 24 asks of them: the compare table fits a 1400 px window with the verdict first and
coloured, "Traced both ways" pairs only the sets whose manifests say they are reverses (the
article's set and the lab's Tokyo to Osaka, not the constructed counter-example) and says the
differences in words with units, both pages have a viewport for phones, print their colours
and drop their controls, and the report's figure is readable at the report's width.
"""

from __future__ import annotations

import base64
import re
import shutil
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from tests.browser.conftest import SCREENSHOTS
from topo.cli import cli

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def _open(
    browser_context: Any, path: Path, shot: str, viewport: tuple[int, int] | None = None
) -> tuple[Any, list[str], list[str]]:
    page = browser_context.new_page()
    if viewport is not None:
        page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
    url = path.resolve().as_uri()
    blocked: list[str] = []
    errors: list[str] = []

    def route(route: Any) -> None:
        if route.request.url == url or route.request.url.startswith("data:"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    page.route("**/*", route)
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda d: (errors.append(f"dialog: {d.message}"), d.dismiss()))
    page.goto(url, wait_until="load")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{shot}.png"), full_page=True)
    return page, blocked, errors


def test_compare_page_in_chromium(browser_context: Any, tmp_path: Path) -> None:
    hostile = tmp_path / "hostile"
    shutil.copytree(SAMPLES / "aws-tokyo-seoul", hostile)
    manifest = hostile / "topo.toml"
    text = manifest.read_text(encoding="utf-8").splitlines()
    text = [line for line in text if not line.startswith("name")]
    manifest.write_text(
        'name = "<img src=x onerror=window.__xss=1></script><script>window.__xss=2</script>"\n'
        + "\n".join(text)
        + "\n"
    )
    out = tmp_path / "compare.html"
    sets = [str(SAMPLES / "aws-osaka-tokyo"), str(SAMPLES / "aws-tokyo-osaka"), str(hostile)]
    result = CliRunner().invoke(cli, ["compare", *sets, "--no-cache", "-o", str(out)])
    assert result.exit_code == 0, result.output
    page, blocked, errors = _open(browser_context, out, "compare-page")
    try:
        assert page.locator("section.card").count() == 3
        widths = page.eval_on_selector_all(
            "section.card img", "els => els.map(e => e.naturalWidth)"
        )
        assert len(widths) == 3 and all(w > 100 for w in widths), widths
        assert page.evaluate("window.__xss") is None
        assert "<img src=x onerror" in page.locator("section.card h3").nth(2).inner_text()
        assert page.locator("body img[src='x']").count() == 0
        assert "Traced both ways" in page.content()
    finally:
        page.close()
    assert blocked == [] and errors == []


def test_html_report_in_chromium(browser_context: Any, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    args = [
        "report",
        str(SAMPLES / "aws-osaka-tokyo"),
        "-o",
        str(out),
        "--lang",
        "ja",
        "--no-cache",
    ]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    page, blocked, errors = _open(browser_context, out, "report-ja")
    try:
        widths = page.eval_on_selector_all("img", "els => els.map(e => e.naturalWidth)")
        assert len(widths) == 2 and all(w > 100 for w in widths), widths
        assert page.locator("table").count() == 3
        assert "Amazon Data Services Osaka" in page.locator("table").first.inner_text()
    finally:
        page.close()
    assert blocked == [] and errors == []


BOTH_WAYS = """() => {
    const heads = [...document.querySelectorAll("h2")];
    const heading = heads.find(h => h.textContent === "Traced both ways");
    const found = [];
    for (let el = heading.nextElementSibling; el && el.tagName !== "H2";
         el = el.nextElementSibling) {
        if (el.tagName === "H3") found.push({pair: el.textContent, words: []});
        if (el.tagName === "UL") {
            found.at(-1).words = [...el.querySelectorAll("li")].map(li => li.textContent);
        }
    }
    return found;
}"""
PRINT_STYLE = """sel => {
    const el = document.querySelector(sel), style = getComputedStyle(el);
    return [style.printColorAdjust || style.webkitPrintColorAdjust, style.backgroundColor];
}"""


def test_compare_table_fits_1400_px_and_pairs_only_reverse_manifests(
    browser_context: Any, tmp_path: Path
) -> None:
    out = tmp_path / "all.html"
    sets = [str(p) for p in sorted(SAMPLES.iterdir()) if (p / "topo.toml").exists()]
    assert len(sets) == 6
    result = CliRunner().invoke(cli, ["compare", *sets, "--no-cache", "-o", str(out)])
    assert result.exit_code == 0, result.output
    page, blocked, errors = _open(browser_context, out, "compare-1400", viewport=(1400, 900))
    try:
        meta = page.locator('meta[name="viewport"]').get_attribute("content")
        assert meta == "width=device-width, initial-scale=1"
        assert page.evaluate("document.documentElement.scrollWidth") <= 1400
        table = page.locator("table.pairs-table")
        box = table.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 1400, box
        scroll = page.evaluate(
            "(() => { const d = document.querySelector('.scroll'); "
            "return [d.scrollWidth, d.clientWidth]; })()"
        )
        assert scroll[0] <= scroll[1], scroll  # nothing scrolled off to the right
        assert table.locator("th").first.inner_text() == "Verdict"
        pills = page.eval_on_selector_all(
            "table.pairs-table tbody td:first-child .pill",
            "els => els.map(e => [e.textContent, getComputedStyle(e).backgroundColor, "
            "e.getBoundingClientRect().right])",
        )
        assert len(pills) == 6
        colours = {text: colour for text, colour, _ in pills}
        assert colours["left-provider"] == "rgb(251, 227, 227)"
        assert colours["on-provider"] == "rgb(227, 244, 230)"
        assert all(right <= 1400 for *_, right in pills)
        both = page.evaluate(BOTH_WAYS)
        assert len(both) == 1, both
        pair = both[0]["pair"]
        assert "AWS Osaka to Tokyo (the article's traceroute)" in pair
        assert "AWS Tokyo to Osaka (lab-generated" in pair and "Constructed" not in pair
        words = " | ".join(both[0]["words"])
        assert "Median hop count:" in words and " hops Osaka → Tokyo" in words
        assert re.search(r"End-to-end RTT: [\d.]+ ms Osaka → Tokyo", words), words
        assert "median_hops" not in words and "rtt_gained_ms" not in words
        page.emulate_media(media="print")
        adjust, background = page.evaluate(PRINT_STYLE, ".pill.left-provider")
        assert adjust == "exact" and background == "rgb(251, 227, 227)"
        marker = "getComputedStyle(document.querySelector('summary')).listStyleType"
        assert page.evaluate(marker) == "none"  # the disclosure triangles are not printed
        page.emulate_media(media="screen")
        page.set_viewport_size({"width": 390, "height": 844})
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=str(SCREENSHOTS / "compare-390.png"), full_page=True)
    finally:
        page.close()
    assert blocked == [] and errors == []


def test_html_report_figure_reads_at_report_width(browser_context: Any, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    args = ["report", str(SAMPLES / "example-leaves-provider"), "-o", str(out), "--no-cache"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    page, blocked, errors = _open(browser_context, out, "report-1400", viewport=(1400, 900))
    try:
        title = page.title()
        assert title.startswith("Path analysis: Constructed example: Tokyo to Osaka")
        meta = page.locator('meta[name="viewport"]').get_attribute("content")
        assert meta == "width=device-width, initial-scale=1"
        figure = page.locator("img").first
        shown = figure.evaluate("e => e.getBoundingClientRect().width")
        svg = base64.b64decode(figure.get_attribute("src").split(",", 1)[1]).decode("utf-8")
        width = float(re.search(r'viewBox="0 0 ([\d.]+) ', svg)[1])
        smallest = min(float(s) for s in re.findall(r"font-size: ([\d.]+)px", svg))
        assert smallest * shown / width >= 11, (smallest, shown, width)  # px on the screen
        assert "Constructed example: Tokyo to Osaka" in svg
        page.emulate_media(media="print")
        adjust, background = page.evaluate(PRINT_STYLE, ".verdict")
        assert adjust == "exact" and background == "rgb(251, 234, 234)"
        page.set_viewport_size({"width": 390, "height": 844})
        page.emulate_media(media="screen")
        assert figure.evaluate("e => e.getBoundingClientRect().right") <= 390
    finally:
        page.close()
    assert blocked == [] and errors == []
