"""Shared test options and helpers.

``pytest --regen-golden`` rewrites every ``tests/data/<format>/<name>.expected.json`` from
the current parsers (review the diff before committing it).

Tests that build network-namespace labs or run the path simulator (root and the lab's
programs; a few minutes) are marked ``slow``: the default selection leaves them out
(``-m "not slow"`` in ``pyproject.toml``), ``python -m pytest -m slow`` runs them, and
``.ci/run`` runs both.
"""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


#: Fixtures that build a lab or start the simulator: a test using one is slow.
LAB_FIXTURES = frozenset({"chain", "ecmp", "kernel_lab", "make_lab", "netns", "sim",
                          "simulator", "traced"})  # fmt: skip


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if item.get_closest_marker("lab") is not None or fixtures & LAB_FIXTURES:
            item.add_marker(pytest.mark.slow)


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


@pytest.fixture(autouse=True)
def _data_age_stamp(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each test has its own once-a-day stamp for the data-age warning (not the user's):
    the first such warning of a test is shown, whatever ran before."""
    import topo.cli.notices as notices

    folder = tmp_path_factory.mktemp("stamp")
    monkeypatch.setattr(notices, "stamp_path", lambda: folder / notices.STAMP_NAME)
