"""The compare page (`topo compare -o`) and the HTML report in real headless Chromium.

Same checks as the topology page: no request leaves the page, no console error, the content is
there (a card and a drawn RTT profile per pair), and hostile set names stay text.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from tests.browser.conftest import SCREENSHOTS
from topo.cli import cli

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def _open(browser_context: Any, path: Path, shot: str) -> tuple[Any, list[str], list[str]]:
    page = browser_context.new_page()
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
