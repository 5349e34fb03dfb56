"""Playwright with Debian's Chromium (never a downloaded browser), offline by construction.

Every request the page makes is routed: the page's own file is served, anything else is
aborted and recorded, and the test fails on it. Console errors and page errors are
recorded too. A screenshot per test lands in ``output/test-screenshots/``.

Skips only when ``/usr/bin/chromium`` or the ``playwright`` package is missing
(``apt-get install chromium``, ``pip install playwright``).
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "output" / "test-screenshots"


def _skip_reason() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    if importlib.util.find_spec("playwright") is None:
        return "the playwright package is missing (pip install playwright)"
    return None


@dataclass
class Opened:
    """A page opened in the browser, with what it tried to fetch and what it logged."""

    page: Any
    url: str
    blocked: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def js(self, expression: str, arg: Any = None) -> Any:
        return self.page.evaluate(expression, arg)


@pytest.fixture(scope="session")
def browser_context() -> Iterator[Any]:
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="topo-chromium-")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=str(CHROMIUM),
            headless=True,
            args=ARGS,
            viewport={"width": 1600, "height": 900},
        )
        try:
            yield context
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def open_page(browser_context: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """``open_page(path)`` loads a page file and waits for its first full draw;
    ``open_page(path, viewport={"width": 390, "height": 844})`` opens it at that size (the
    page's opening view depends on it)."""
    opened: list[Opened] = []

    def _open(path: Path, viewport: dict[str, int] | None = None) -> Opened:
        page = browser_context.new_page()
        if viewport:
            page.set_viewport_size(viewport)
        url = path.resolve().as_uri()
        result = Opened(page, url)

        def route(route: Any) -> None:
            if route.request.url == url:
                route.continue_()
            else:
                result.blocked.append(route.request.url)
                route.abort()

        page.route("**/*", route)
        page.on("console", lambda m: m.type == "error" and result.errors.append(m.text))
        page.on("pageerror", lambda e: result.errors.append(str(e)))
        page.on("dialog", lambda d: (result.errors.append(f"dialog: {d.message}"), d.dismiss()))
        page.goto(url)
        page.wait_for_function("window.topo && window.topo.drawn === true", timeout=60_000)
        opened.append(result)
        return result

    yield _open
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    for number, result in enumerate(opened):
        suffix = f"-{number}" if number else ""
        result.page.screenshot(path=str(SCREENSHOTS / f"{name}{suffix}.png"))
        result.page.close()
    for result in opened:
        assert result.blocked == [], f"the page made requests: {result.blocked}"
        assert result.errors == [], f"console errors: {result.errors}"
