"""``--jobs``'s default: the cores this process may use, capped by its cgroup's CPU quota
(:mod:`topo.engines.cpus`), read from cgroup v1 and v2 trees laid out as the kernel does."""

from __future__ import annotations

import os
from pathlib import Path

from topo.engines.cpus import cgroup_cpu_limit, usable_cpus


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_cgroup_v2_the_least_limit_of_the_group_and_those_above_holds(tmp_path: Path) -> None:
    root = _tree(tmp_path, {
        "cpu.max": "max 100000\n",
        "kubepods/cpu.max": "300000 100000\n",
        "kubepods/pod1/cpu.max": "max 100000\n",
        "kubepods/pod1/app/cpu.max": "450000 100000\n",
        "self": "0::/kubepods/pod1/app\n",
    })  # fmt: skip
    assert cgroup_cpu_limit(root, root / "self") == 3.0
    (root / "kubepods" / "cpu.max").write_text("max 100000\n")
    assert cgroup_cpu_limit(root, root / "self") == 4.5
    assert usable_cpus(root, root / "self") == min(len(os.sched_getaffinity(0)), 5)


def test_cgroup_v2_without_a_limit_or_inside_a_container_s_own_root(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"cpu.max": "max 100000\n", "self": "0::/\n"})
    assert cgroup_cpu_limit(root, root / "self") is None
    assert usable_cpus(root, root / "self") == len(os.sched_getaffinity(0))
    (root / "cpu.max").write_text("50000 100000\n")  # half a CPU: still one process
    assert cgroup_cpu_limit(root, root / "self") == 0.5
    assert usable_cpus(root, root / "self") == 1


def test_cgroup_v1_quota_and_period_of_the_cpu_controller(tmp_path: Path) -> None:
    root = _tree(tmp_path, {
        "cpu,cpuacct/cpu.cfs_quota_us": "-1\n",
        "cpu,cpuacct/cpu.cfs_period_us": "100000\n",
        "cpu,cpuacct/docker/abc/cpu.cfs_quota_us": "200000\n",
        "cpu,cpuacct/docker/abc/cpu.cfs_period_us": "100000\n",
        "memory/docker/abc/memory.limit_in_bytes": "1073741824\n",
        "self": "4:memory:/docker/abc\n3:cpu,cpuacct:/docker/abc\n0::/\n",
    })  # fmt: skip
    assert cgroup_cpu_limit(root, root / "self") == 2.0
    (root / "cpu,cpuacct" / "docker" / "abc" / "cpu.cfs_quota_us").write_text("-1\n")
    assert cgroup_cpu_limit(root, root / "self") is None


def test_unreadable_or_malformed_cgroup_files_mean_no_limit(tmp_path: Path) -> None:
    assert cgroup_cpu_limit(tmp_path, tmp_path / "missing") is None
    root = _tree(tmp_path, {"cpu.max": "lots of cpus\n", "self": "0::/\n"})
    assert cgroup_cpu_limit(root, root / "self") is None
    (root / "cpu.max").write_text("0 100000\n")
    assert cgroup_cpu_limit(root, root / "self") is None
    assert usable_cpus(root, root / "self") == len(os.sched_getaffinity(0))
