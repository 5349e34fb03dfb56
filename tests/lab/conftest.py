"""Fixtures for tests that build network-namespace labs.

* ``make_lab(spec)`` builds a :class:`~tests.support.lab.netns.Lab` and always tears it
  down after the test (also when the test fails); the test is skipped when a program the
  lab needs (``ip``, ``nft`` for silent routers) is missing.
* ``requires_tool("mtr")`` skips the test with reason ``"mtr not installed (apt-get
  install mtr-tiny)"`` (:mod:`tests.support.tools`: with ``TOPO_REQUIRE_TOOLS=1``, as in
  CI, a missing program fails the test instead).
* Tests marked ``@pytest.mark.lab`` (and every test using ``make_lab``) are
  skipped when not root or when ``ip``/``ip netns`` is missing.

Example::

    @pytest.mark.lab
    def test_ping(make_lab, requires_tool):
        requires_tool("ping")
        lab = make_lab(chain_spec())
        assert lab.exec("src", ["ping", "-c1", lab.addr("dst")]).returncode == 0
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.support.lab.netns import Lab, LabSpec, cleanup_stale, lab_available
from tests.support.tools import require_tool, skip_or_fail, tools_required

LAB_MARKER = "lab: needs root and iproute2 to build network-namespace labs"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", LAB_MARKER)


def pytest_sessionstart(session: pytest.Session) -> None:
    # Namespaces left by an earlier run that was killed (topo-<dead pid>-…).
    if lab_available() is None:
        cleanup_stale()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = lab_available()
    if reason is None or tools_required():  # required: make_lab fails them instead
        return
    skip = pytest.mark.skip(reason=reason)
    for item in items:
        if item.get_closest_marker("lab") is not None:
            item.add_marker(skip)


@pytest.fixture
def requires_tool() -> Callable[[str], None]:
    """Call with a program name to skip the test when it is not installed."""
    return require_tool


@pytest.fixture
def make_lab() -> Iterator[Callable[[LabSpec], Lab]]:
    """Factory: ``make_lab(spec)`` → built lab, torn down after the test."""
    reason = lab_available()
    if reason is not None:
        skip_or_fail(reason)
    labs: list[Lab] = []

    def build(spec: LabSpec) -> Lab:
        require_tool(*spec.tools())
        lab = Lab(spec)
        labs.append(lab)
        return lab.build()

    try:
        yield build
    finally:
        for lab in reversed(labs):
            lab.close()
