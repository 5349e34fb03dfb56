"""Shared test options and helpers.

``pytest --regen-golden`` rewrites every ``tests/data/<format>/<name>.expected.json`` from
the current parsers (review the diff before committing it).
"""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--regen-golden",
        action="store_true",
        default=False,
        help="rewrite the golden .expected.json files from the current parsers",
    )


@pytest.fixture
def regen_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--regen-golden"))
