"""Tests of the network-namespace lab (tests.support.lab.netns) with real tools.

Tests marked ``lab`` need root and iproute2; they run real ``traceroute.db``,
``inetutils-traceroute``, ``tracepath`` and ``ping`` inside the lab and compare
their raw output (parsed with a small regex here) with :meth:`Lab.truth`.
"""

from __future__ import annotations

import ipaddress
import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.lab import netns
from tests.support.lab.netns import (
    NETNS_ETC,
    IsolationError,
    Lab,
    LabError,
    LabSpec,
    Link,
    Node,
    Route,
    Truth,
    assert_isolated,
    hosts_file,
    list_netns,
    routing_tables,
)
from tests.support.lab.topology import chain_spec, ecmp_spec
from tests.support.tools import require_tool

MakeLab = Callable[[LabSpec], Lab]
Requires = Callable[[str], None]

CHAIN_V4 = ["203.0.113.1", "100.65.0.2", "240.1.0.2", "100.66.0.2", "13.208.0.2", "13.209.0.10"]
TR_OPTS = ["-w", "1", "-q", "3", "-m", "12"]

_HOP_LINE = re.compile(r"^\s*(\d+)\s+(.*)$")
_ADDR = re.compile(
    r"(?<![\w.:])(\d{1,3}(?:\.\d{1,3}){3}|[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7})(?![\w.:])", re.I
)


def parse_hops(text: str) -> dict[int, list[str]]:
    """TTL → addresses seen on that line of traceroute-style output."""
    hops: dict[int, list[str]] = {}
    for line in text.splitlines():
        match = _HOP_LINE.match(line)
        if match:
            hops[int(match.group(1))] = _ADDR.findall(match.group(2))
    return hops


def check_against_truth(text: str, truth: Truth | dict[str, Any]) -> None:
    """Every TTL line holds only truth addresses; silent TTLs only stars."""
    want = truth.to_dict() if isinstance(truth, Truth) else truth
    hops = parse_hops(text)
    assert max(hops) == len(want["hops"]), text
    for hop in want["hops"]:
        seen = hops[hop["ttl"]]
        if hop["silent"] and not hop["addrs"]:
            assert seen == [], f"TTL {hop['ttl']} should be silent:\n{text}"
        else:
            assert seen, f"TTL {hop['ttl']} has no answer:\n{text}"
            assert set(seen) <= set(hop["addrs"]), f"TTL {hop['ttl']}: {seen}\n{text}"
    assert want["hops"][-1]["destination"]
    assert set(hops[len(want["hops"])]) == {want["dst"]}


# ----------------------------------------------------------------------------
# Pure tests (no root needed)
# ----------------------------------------------------------------------------


def test_chain_truth_from_spec() -> None:
    truth = netns.compute_truth(chain_spec(), "src", "13.209.0.10")
    assert [h.addrs for h in truth.hops] == [(a,) for a in CHAIN_V4]
    assert truth.hops[-1].destination and not any(h.silent for h in truth.hops)
    assert truth.hop(1).names == {"203.0.113.1": "r1.example.net"}
    assert truth.src == "203.0.113.2"


def test_ecmp_truth_has_alternatives_and_silent_hop() -> None:
    truth = netns.compute_truth(ecmp_spec(), "src", "13.209.0.10")
    assert truth.paths == 2
    assert truth.hop(4).addrs == ("13.208.1.2", "13.208.2.2")
    assert truth.hop(5).addrs == ("240.0.1.2", "240.0.2.2")
    assert truth.silent_ttls == (6,)
    assert truth.hop(6).addrs == ()
    assert truth.to_dict()["hops"][6]["destination"] is True


def test_ipv6_truth_answers_from_interface_back_to_source() -> None:
    truth = netns.compute_truth(ecmp_spec(), "src", "2001:db8:9::2")
    assert truth.src == "2001:db8:1::1"
    assert truth.hop(1).addrs == ("2001:db8:1::2",)
    # r5 routes back to src over both ECMP links, so either may answer.
    assert truth.hop(5).addrs == ("2001:db8:6::2", "2001:db8:7::2")


def test_auto_routes_make_ecmp_multipath() -> None:
    tables = routing_tables(ecmp_spec(ipv6=False))
    to_dst = [e for e in tables["r3"] if str(e.prefix) == "13.209.0.8/29"]
    assert [str(h.via) for h in to_dst[0].nexthops] == ["13.208.1.2", "13.208.2.2"]
    assert [str(e.prefix) for e in tables["src"] if not e.connected] == ["0.0.0.0/0"]


def test_explicit_route_overrides_auto_route() -> None:
    spec = chain_spec(ipv6=False)
    spec = LabSpec(spec.nodes, spec.links, (Route("r1", "13.209.0.8/29", ("100.65.0.2",)),))
    entry = netns.lookup(routing_tables(spec)["r1"], ipaddress.ip_address("13.209.0.10"))
    assert entry is not None and [str(h.via) for h in entry.nexthops] == ["100.65.0.2"]


def test_spec_from_toml() -> None:
    spec = LabSpec.from_toml(
        """
        [nodes.src]
        [nodes.r1]
        router = true
        silent = true
        [nodes.dst]
        hostname = "dst.example.net"
        [[links]]
        a = "src"
        b = "r1"
        a_addrs = ["240.1.0.2/30"]
        b_addrs = ["240.1.0.1/30"]
        [[links]]
        a = "r1"
        b = "dst"
        a_addrs = ["100.64.0.1/30"]
        b_addrs = ["100.64.0.2/30"]
        """
    )
    assert spec.node("r1").silent
    truth = netns.compute_truth(spec, "src", "100.64.0.2")
    assert truth.silent_ttls == (1,) and truth.hop(2).addrs == ("100.64.0.2",)
    assert "100.64.0.2\tdst.example.net" in hosts_file(spec)


@pytest.mark.parametrize(
    "build",
    [
        lambda: Node("bad name"),
        lambda: Node("h", silent=True),
        lambda: Link("a", "a", "10.0.0.1/30", "10.0.0.2/30"),
        lambda: Link("a", "b", "10.0.0.1", "10.0.0.2/30"),
        lambda: LabSpec((Node("a"),), (Link("a", "b", "10.0.0.1/30", "10.0.0.2/30"),)),
        lambda: LabSpec(
            (Node("a"), Node("b"), Node("c")),
            (
                Link("a", "b", "10.0.0.1/30", "10.0.0.2/30"),
                Link("b", "c", "10.0.0.1/30", "10.0.1.2/30"),
            ),
        ),
    ],
)
def test_bad_specs_are_rejected(build: Callable[[], object]) -> None:
    with pytest.raises((ValueError, KeyError)):
        build()


# ----------------------------------------------------------------------------
# Real labs
# ----------------------------------------------------------------------------


@pytest.mark.lab
def test_chain_traceroute_matches_truth(make_lab: MakeLab, requires_tool: Requires) -> None:
    requires_tool("traceroute.db")
    lab = make_lab(chain_spec())
    assert len(lab.namespaces) == 7
    dst = lab.addr("dst")
    out = lab.exec("src", ["traceroute.db", "-n", *TR_OPTS, dst], timeout=60)
    assert out.returncode == 0, out.stderr
    check_against_truth(out.stdout, lab.truth("src", dst))
    assert [h[0] for h in parse_hops(out.stdout).values()] == CHAIN_V4


@pytest.mark.lab
def test_chain_ping_every_hop(make_lab: MakeLab, requires_tool: Requires) -> None:
    requires_tool("ping")
    lab = make_lab(chain_spec())
    for addr in CHAIN_V4:
        out = lab.exec("src", ["ping", "-n", "-c", "1", "-W", "2", addr], timeout=10)
        assert out.returncode == 0, out.stdout + out.stderr
        assert f"from {addr}" in out.stdout
    out = lab.exec("src", ["ping", "-n", "-c", "1", "-W", "2", "-t", "3", lab.addr("dst")])
    assert out.returncode != 0
    assert "From 240.1.0.2" in out.stdout and "Time to live exceeded" in out.stdout


@pytest.mark.lab
def test_class_e_and_cgnat_live_on_interfaces(make_lab: MakeLab) -> None:
    lab = make_lab(chain_spec(ipv6=False))
    out = lab.exec("r3", ["ip", "-4", "-o", "addr", "show"], check=True).stdout
    assert "240.1.0.2/30" in out and "100.66.0.1/30" in out
    routes = lab.exec("r3", ["ip", "route", "get", "13.209.0.10"], check=True).stdout
    assert "via 100.66.0.2" in routes


@pytest.mark.lab
def test_traceroute_names_from_lab_hosts_file(make_lab: MakeLab, requires_tool: Requires) -> None:
    requires_tool("traceroute.db")
    lab = make_lab(chain_spec(ipv6=False))
    dst = lab.addr("dst")
    out = lab.exec("src", ["traceroute.db", *TR_OPTS, dst], timeout=60)
    assert out.returncode == 0, out.stderr
    lines = dict(_numbered_lines(out.stdout))
    assert "r1.example.net (203.0.113.1)" in lines[1]
    assert "dst.example.net (13.209.0.10)" in lines[6]
    assert "240.1.0.2 (240.1.0.2)" in lines[3]  # no name: printed numerically
    check_against_truth(out.stdout, lab.truth("src", dst))


def _numbered_lines(text: str) -> list[tuple[int, str]]:
    return [(int(m.group(1)), m.group(2)) for m in map(_HOP_LINE.match, text.splitlines()) if m]


@pytest.mark.lab
def test_ecmp_pair_and_silent_router(make_lab: MakeLab, requires_tool: Requires) -> None:
    requires_tool("traceroute.db")
    lab = make_lab(ecmp_spec(ipv6=False))
    assert len(lab.namespaces) == 9
    routes = lab.exec("r3", ["ip", "route", "show", "13.209.0.8/29"], check=True).stdout
    assert "nexthop via 13.208.1.2" in routes and "nexthop via 13.208.2.2" in routes
    rules = lab.exec("r6", ["nft", "list", "ruleset"], check=True).stdout
    assert "icmp type time-exceeded drop" in rules
    dst = lab.addr("dst")
    truth = lab.truth("src", dst)
    seen_ttl4: set[str] = set()
    for _ in range(6):  # 6 flows per TTL; both branches show up almost always at once
        out = lab.exec("src", ["traceroute.db", "-n", "-w", "1", "-q", "6", "-m", "12", dst])
        assert out.returncode == 0, out.stderr
        check_against_truth(out.stdout, truth)
        seen_ttl4.update(parse_hops(out.stdout)[4])
        if len(seen_ttl4) == 2:
            break
    assert seen_ttl4 == {"13.208.1.2", "13.208.2.2"}
    assert re.search(r"^\s*6\s+\* \* \* \* \* \*\s*$", out.stdout, re.M), out.stdout


@pytest.mark.lab
def test_ipv6_path(make_lab: MakeLab, requires_tool: Requires) -> None:
    requires_tool("traceroute.db")
    lab = make_lab(chain_spec())
    dst6 = lab.addr("dst", 6)
    out = lab.exec("src", ["traceroute.db", "-6", "-n", *TR_OPTS, dst6], timeout=60)
    assert out.returncode == 0, out.stderr
    truth = lab.truth("src", dst6)
    check_against_truth(out.stdout, truth)
    assert parse_hops(out.stdout)[3] == ["2001:db8:3::2"]
    ping = lab.exec("src", ["ping", "-6", "-n", "-c", "1", "-W", "2", dst6], timeout=10)
    assert ping.returncode == 0, ping.stdout + ping.stderr


@pytest.mark.lab
def test_ipv6_silent_router(make_lab: MakeLab, requires_tool: Requires) -> None:
    requires_tool("traceroute.db")
    lab = make_lab(ecmp_spec())
    dst6 = lab.addr("dst", 6)
    out = lab.exec("src", ["traceroute.db", "-6", "-n", *TR_OPTS, dst6], timeout=60)
    assert out.returncode == 0, out.stderr
    check_against_truth(out.stdout, lab.truth("src", dst6))
    assert parse_hops(out.stdout)[6] == []


@pytest.mark.lab
def test_inetutils_traceroute(make_lab: MakeLab, requires_tool: Requires) -> None:
    requires_tool("inetutils-traceroute")
    lab = make_lab(ecmp_spec(ipv6=False))
    dst = lab.addr("dst")
    out = lab.exec("src", ["inetutils-traceroute", *TR_OPTS, dst], timeout=60)
    assert out.returncode == 0, out.stderr
    check_against_truth(out.stdout, lab.truth("src", dst))


@pytest.mark.lab
def test_tracepath(make_lab: MakeLab, requires_tool: Requires) -> None:
    requires_tool("tracepath")
    lab = make_lab(ecmp_spec(ipv6=False))
    dst = lab.addr("dst")
    out = lab.exec("src", ["tracepath", "-n", "-m", "12", dst], timeout=60)
    assert out.returncode == 0, out.stderr
    lines = dict(re.findall(r"^\s*(\d+):\s+(\S+)", out.stdout, re.M))
    truth = lab.truth("src", dst)
    assert lines["1"] == "192.168.1.1" and lines["6"] == "no" and lines["7"] == dst
    assert lines["4"] in truth.hop(4).addrs


# ----------------------------------------------------------------------------
# Teardown
# ----------------------------------------------------------------------------


def _leftovers(lab: Lab) -> list[str]:
    found = [ns for ns in list_netns() if ns.startswith(lab.prefix)]
    if NETNS_ETC.is_dir():
        found += [str(p) for p in NETNS_ETC.iterdir() if p.name.startswith(lab.prefix)]
    return found


@pytest.mark.lab
def test_teardown_also_when_body_raises() -> None:
    lab = Lab(chain_spec())
    with pytest.raises(RuntimeError, match="boom"), lab:
        assert set(lab.namespaces) <= set(list_netns())
        assert all((NETNS_ETC / ns / "hosts").is_file() for ns in lab.namespaces)
        raise RuntimeError("boom")
    assert _leftovers(lab) == []
    lab.close()  # idempotent
    with pytest.raises(LabError):
        lab.exec("src", ["true"])


@pytest.mark.lab
def test_failed_build_cleans_up(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: Lab) -> None:
        raise LabError("injected")

    monkeypatch.setattr(Lab, "_add_routes", broken)
    lab = Lab(chain_spec())
    with pytest.raises(LabError, match="injected"):
        lab.build()
    assert _leftovers(lab) == []


@pytest.mark.lab
def test_clash_never_deletes_foreign_namespaces(make_lab: MakeLab) -> None:
    require_tool("ping")
    first = make_lab(chain_spec(ipv6=False))
    clash = Lab(chain_spec(ipv6=False), prefix=first.prefix)
    with pytest.raises(LabError, match="already exists"):
        clash.build()
    assert set(first.namespaces) <= set(list_netns())
    assert first.exec("src", ["ping", "-c1", "-W2", first.addr("dst")]).returncode == 0


@pytest.mark.lab
def test_parallel_labs_do_not_collide(make_lab: MakeLab) -> None:
    require_tool("ping")
    one = make_lab(chain_spec(ipv6=False))
    two = make_lab(chain_spec(ipv6=False))
    assert one.prefix != two.prefix
    assert not set(one.namespaces) & set(two.namespaces)
    two.close()
    assert _leftovers(two) == []
    assert one.exec("src", ["ping", "-c1", "-W2", one.addr("dst")]).returncode == 0


@pytest.mark.lab
def test_atexit_guard_closes_open_labs() -> None:
    lab = Lab(chain_spec(ipv6=False)).build()
    assert _leftovers(lab)
    netns._close_all()
    assert _leftovers(lab) == []


@pytest.mark.lab
def test_cleanup_stale_removes_only_dead_owners(make_lab: MakeLab) -> None:
    alive = make_lab(LabSpec((Node("solo"),), ()))
    child = subprocess.Popen(["true"])  # its pid is dead once waited for
    child.wait()
    stale = f"topo-{child.pid}-0-stale"
    subprocess.run(["ip", "netns", "add", stale], check=True)
    (NETNS_ETC / stale).mkdir(parents=True, exist_ok=True)
    try:
        assert stale in netns.cleanup_stale()
        assert stale not in list_netns() and not (NETNS_ETC / stale).exists()
        assert set(alive.namespaces) <= set(list_netns())
    finally:
        subprocess.run(["ip", "netns", "del", stale], check=False, capture_output=True)


# ----------------------------------------------------------------------------
# Isolation
# ----------------------------------------------------------------------------


@pytest.mark.lab
def test_built_lab_is_isolated(make_lab: MakeLab) -> None:
    lab = make_lab(ecmp_spec())
    lab.assert_isolated()


@pytest.mark.lab
def test_dummy_interface_with_foreign_route_is_not_isolated(make_lab: MakeLab) -> None:
    lab = make_lab(LabSpec((Node("solo"),), ()))
    lab.assert_isolated("solo")
    # A "dummy" device; kernels without the dummy driver get an ifb (a
    # do-nothing device too).  Either way it lives only in the lab namespace.
    for kind in ("dummy", "ifb"):
        add = ["ip", "link", "add", "name", "dummy0", "type", kind]
        if lab.exec("solo", add, isolated=False).returncode == 0:
            break
    else:
        pytest.fail("cannot create a dummy or ifb device")
    for argv in (
        ["ip", "addr", "add", "198.51.100.1/24", "dev", "dummy0"],
        ["ip", "link", "set", "dummy0", "up"],
        ["ip", "route", "add", "192.0.2.0/24", "dev", "dummy0"],
    ):
        lab.exec("solo", argv, isolated=False, check=True)
    with pytest.raises(IsolationError, match="dummy0"):
        lab.assert_isolated("solo")
    with pytest.raises(IsolationError):
        lab.exec("solo", ["ping", "-c1", "192.0.2.1"])
    lab.exec("solo", ["ip", "link", "del", "dummy0"], isolated=False, check=True)
    lab.assert_isolated("solo")


@pytest.mark.lab
def test_veth_to_a_namespace_outside_the_lab_is_not_isolated(make_lab: MakeLab) -> None:
    lab = make_lab(LabSpec((Node("solo"),), ()))
    other = make_lab(LabSpec((Node("solo"),), ()))
    argv = ["ip", "link", "add", "name", "x0", "type", "veth", "peer", "name", "x1"]
    lab.exec("solo", [*argv, "netns", other.ns("solo")], isolated=False, check=True)
    with pytest.raises(IsolationError, match="outside the lab"):
        assert_isolated(lab.ns("solo"), lab.namespaces)
    with pytest.raises(IsolationError, match="not a lab link"):
        lab.assert_isolated("solo")


# ----------------------------------------------------------------------------
# The captured real outputs agree with their truth files (no root needed)
# ----------------------------------------------------------------------------

CAPTURED = Path(__file__).resolve().parents[1] / "data" / "_captured"


def _captured(*globs: str) -> list[Path]:
    return sorted(p for g in globs for p in CAPTURED.glob(g))


def _truth_of(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.with_name(f"{path.stem}.truth.json").read_text())
    return data


@pytest.mark.parametrize(
    "path",
    _captured("traceroute.db/*.txt", "inetutils-traceroute/*.txt"),
    ids=lambda p: f"{p.parent.name}/{p.name}",
)
def test_captured_traceroute_matches_truth(path: Path) -> None:
    check_against_truth(path.read_text(), _truth_of(path))


@pytest.mark.parametrize("path", _captured("mtr/json_n.json"), ids=lambda p: p.name)
def test_captured_mtr_json_matches_truth(path: Path) -> None:
    truth = _truth_of(path)
    hubs = json.loads(path.read_text())["report"]["hubs"]
    assert len(hubs) == len(truth["hops"])
    for hub, hop in zip(hubs, truth["hops"], strict=True):
        assert hub["host"] in ([*hop["addrs"], "???"] if hop["silent"] else hop["addrs"])


@pytest.mark.parametrize(
    "path",
    [
        p
        for p in _captured("scamper/*.json")
        if not p.name.endswith(".truth.json") and "ipv6_udp_paris" not in p.name
    ],
    ids=lambda p: p.name,
)
def test_captured_scamper_json_matches_truth(path: Path) -> None:
    truth = _truth_of(path)
    lines = [json.loads(x) for x in path.read_text().splitlines() if x.strip()]
    trace = next(x for x in lines if x["type"] == "trace")
    assert trace["dst"] == truth["dst"] and trace["stop_reason"] == "COMPLETED"
    for reply in trace["hops"]:
        assert reply["addr"] in truth["hops"][reply["probe_ttl"] - 1]["addrs"]
    assert {r["probe_ttl"] for r in trace["hops"]}.isdisjoint(truth["silent_ttls"])
