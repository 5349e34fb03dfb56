"""Which road topo's hot loops take: compiled (:mod:`topo._speedups`) or Python.

``topo._speedups`` is built at install time when a C compiler and Python's headers are
there (``setup.py``; optional). Each of its functions is a faster road to exactly what a
Python function of topo gives, and hands anything unusual back to that function, which
stays the reference: the tests run both roads on the same inputs. ``TOPO_PURE_PYTHON=1``
turns the compiled road off (to compare, or to rule it out when something looks wrong).

>>> road() in ("compiled", "python")
True
"""

from __future__ import annotations

import os
from types import ModuleType


def _load() -> ModuleType | None:
    if os.environ.get("TOPO_PURE_PYTHON", "").strip() not in ("", "0"):
        return None
    try:
        from topo import _speedups  # type: ignore[attr-defined]
    except ImportError:
        return None
    module: ModuleType = _speedups
    return module


#: The compiled module, or ``None`` (not built here, or turned off).
native: ModuleType | None = _load()


def road() -> str:
    """``"compiled"`` when the hot loops run compiled, else ``"python"``."""
    return "compiled" if native is not None else "python"
