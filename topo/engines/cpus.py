"""How many CPUs this process may use: the default of ``--jobs``.

The cores it may run on (its affinity), fewer when its control group caps its CPU time (a
container with ``--cpus 2``, a Kubernetes CPU limit): a 64-core host whose container may use
two CPUs gets two processes, not 64 that share two CPUs' time and each hold a part of the
graph. Both cgroup v2 (``cpu.max``) and v1 (``cpu.cfs_quota_us`` / ``cpu.cfs_period_us``)
are read, for the process's group and every group above it (the least limit holds).

>>> usable_cpus() >= 1
True
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
SELF_CGROUP = Path("/proc/self/cgroup")


def usable_cpus(root: Path = CGROUP_ROOT, membership: Path = SELF_CGROUP) -> int:
    """The cores this process may run on, capped by its control group's CPU quota
    (rounded up: a quota of 1.5 CPUs gives 2)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    quota = cgroup_cpu_limit(root, membership)
    if quota is not None:
        cores = min(cores, math.ceil(quota))
    return max(cores, 1)


def cgroup_cpu_limit(root: Path = CGROUP_ROOT, membership: Path = SELF_CGROUP) -> float | None:
    """CPUs' worth of time the process's control groups allow (quota / period, the least
    over the group and those above it), or ``None``: no limit, or none readable.

    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> (root / "app").mkdir()
    >>> _ = (root / "app" / "cpu.max").write_text("150000 100000\\n")
    >>> _ = (root / "cpu.max").write_text("max 100000\\n")
    >>> member = root / "self"
    >>> _ = member.write_text("0::/app\\n")
    >>> cgroup_cpu_limit(root, member)
    1.5
    """
    try:
        lines = membership.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    limits: list[float] = []
    for line in lines:
        hierarchy, _, rest = line.partition(":")
        controllers, _, group = rest.partition(":")
        if hierarchy == "0" and not controllers:  # cgroup v2: one hierarchy
            limits += _limits(root, group, _v2_limit)
        elif "cpu" in controllers.split(","):  # cgroup v1: the cpu controller's hierarchy
            mount = next(
                (root / name for name in (controllers, "cpu", "cpu,cpuacct", "cpuacct,cpu")
                 if (root / name).is_dir()),
                None,
            )  # fmt: skip
            if mount is not None:
                limits += _limits(mount, group, _v1_limit)
    return min(limits) if limits else None


def _limits(mount: Path, group: str, limit_of: Callable[[Path], float | None]) -> list[float]:
    """The limits found in ``group``'s folder under ``mount`` and in every folder above
    it up to ``mount`` (inside a container, its own group is often the mount's root)."""
    found = []
    folder = mount / group.strip("/")
    while True:
        value = limit_of(folder)
        if value is not None:
            found.append(value)
        if folder in (mount, folder.parent):
            return found
        folder = folder.parent


def _v2_limit(folder: Path) -> float | None:
    """``cpu.max``: ``"max 100000"`` (none) or ``"QUOTA PERIOD"``."""
    try:
        quota, period = (folder / "cpu.max").read_text(encoding="utf-8").split()[:2]
        return None if quota == "max" else _ratio(quota, period)
    except (OSError, ValueError):
        return None


def _v1_limit(folder: Path) -> float | None:
    """``cpu.cfs_quota_us`` (-1: none) over ``cpu.cfs_period_us``."""
    try:
        quota = (folder / "cpu.cfs_quota_us").read_text(encoding="utf-8").strip()
        period = (folder / "cpu.cfs_period_us").read_text(encoding="utf-8").strip()
        return None if quota.startswith("-") else _ratio(quota, period)
    except (OSError, ValueError):
        return None


def _ratio(quota: str, period: str) -> float | None:
    share = int(quota) / int(period)
    return share if share > 0 else None
