"""System tools the tests use, and what a test does when one is missing.

A test that needs a program (``ping``, ``nft``, ``traceroute.db``, ``sc_warts2json``, ...)
calls :func:`require_tool`: it is skipped with a reason that names the program and the
Debian package that has it, so the suite passes on a fresh machine without them. With
``TOPO_REQUIRE_TOOLS=1`` in the environment (``.ci/run`` sets it, after installing every
package below) a missing program fails the test instead: CI skips nothing.

>>> missing_tool("sh") is None
True
>>> missing_tool("no-such-program-here")
'no-such-program-here not installed'
"""

from __future__ import annotations

import os
import shutil

import pytest

#: The Debian package of each program the tests run (``.ci/run`` installs them all).
PACKAGES = {
    "ip": "iproute2",
    "nft": "nftables",
    "ping": "iputils-ping",
    "traceroute.db": "traceroute",
    "inetutils-traceroute": "inetutils-traceroute",
    "tracepath": "iputils-tracepath",
    "mtr": "mtr-tiny",
    "scamper": "scamper",
    "sc_warts2json": "scamper",
    "setpriv": "util-linux",
    "chromium": "chromium",
}
#: Set (not ``0``) to make a missing program a failure rather than a skip.
REQUIRE_VARIABLE = "TOPO_REQUIRE_TOOLS"


def tools_required() -> bool:
    """Whether missing programs fail the tests (:data:`REQUIRE_VARIABLE`)."""
    return os.environ.get(REQUIRE_VARIABLE, "") not in ("", "0")


def missing_tool(name: str) -> str | None:
    """Why ``name`` cannot run (``"<name> not installed (apt-get install <package>)"``),
    or ``None`` when it is on the PATH."""
    if shutil.which(name) is not None:
        return None
    package = PACKAGES.get(name)
    return f"{name} not installed" + (f" (apt-get install {package})" if package else "")


def skip_or_fail(reason: str) -> None:
    """Skip the running test for ``reason``, or fail it when tools are required."""
    if tools_required():
        pytest.fail(f"{reason}, and {REQUIRE_VARIABLE} is set")
    pytest.skip(reason)


def require_tool(*names: str) -> None:
    """Skip (or fail, see the module docstring) unless every program in ``names`` runs."""
    for name in names:
        reason = missing_tool(name)
        if reason is not None:
            skip_or_fail(reason)
