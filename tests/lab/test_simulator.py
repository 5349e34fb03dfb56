"""Tests for tests.support.lab.simulator / tests.support.lab.pathspec.

Unit tests build probes with scapy and check the engine's replies offline.
Integration tests (root + iproute2) run real tracers inside private network
namespaces ``topo-sim-<pid>-...`` that contain only ``lo`` and the TUN device;
the namespaces are deleted in fixture finalizers even when a test fails.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import scapy.all as scapy_all
import scapy.contrib.mpls as scapy_mpls

from tests.support.lab.pathspec import Destination, Hop, MplsLabel, PathSpec, SimulationSpec
from tests.support.lab.simulator import (
    Engine,
    IsolationError,
    SimulatedPath,
    assert_isolated,
    inet_checksum,
    isolation_problems,
    load_spec,
    parse_probe,
)
from tests.support.tools import require_tool, skip_or_fail

IP, IPv6, UDP, TCP, ICMP = (
    scapy_all.IP,
    scapy_all.IPv6,
    scapy_all.UDP,
    scapy_all.TCP,
    scapy_all.ICMP,
)
ICMPv6EchoRequest = scapy_all.ICMPv6EchoRequest

DST = "203.0.113.9"
DST_ECMP = "203.0.113.20"
DST_RATE = "203.0.113.30"
DST_SYNACK = "203.0.113.40"
DST6 = "2001:db8::99"
LOCAL = "192.0.2.1"

# TTL -> (address or None for silent, configured RTT in ms)
MAIN_HOPS = {
    1: ("13.208.0.1", 5.0),
    2: ("100.65.0.1", 10.0),
    3: (None, 0.0),
    4: ("240.1.52.1", 20.0),
    5: ("13.208.0.5", 10.0),
    6: (DST, 40.0),
}
MPLS_TEXT = "<MPLS:L=16005,E=1,S=0,T=1/L=24001,E=0,S=1,T=1>"
ECMP_BRANCHES = {"100.65.7.1", "100.65.8.1"}

SPEC = {
    "paths": [
        {
            "destination": {"address": DST, "rtt_ms": 40},
            "hops": [
                {"address": "13.208.0.1", "rtt_ms": 5},
                {
                    "address": "100.65.0.1",
                    "rtt_ms": 10,
                    "mpls": [{"label": 16005, "exp": 1}, {"label": 24001}],
                },
                None,
                {"address": "240.1.52.1", "rtt_ms": 20},
                {"address": "13.208.0.5", "rtt_ms": 10},
            ],
        },
        {
            "destination": {"address": DST_ECMP, "rtt_ms": 2},
            "hops": ["13.208.0.1", {"addresses": sorted(ECMP_BRANCHES), "rtt_ms": 3}],
        },
        {
            "destination": DST_RATE,
            "hops": [{"address": "13.208.9.1", "rate_limit_pps": 1}],
        },
        {
            "destination": {"address": DST_SYNACK, "tcp": "syn-ack"},
            "hops": [{"address": "13.208.10.1", "mpls": [{"label": 300}]}],
        },
        {
            "destination": {"address": DST6, "rtt_ms": 15},
            "hops": [
                {"address": "2001:db8::1", "rtt_ms": 5},
                {"address": "2001:db8::2", "rtt_ms": 10, "mpls": [{"label": 77}]},
                None,
            ],
        },
    ]
}


# --------------------------------------------------------------------------
# Unit tests: spec and engine (no privileges needed)
# --------------------------------------------------------------------------


def test_spec_roundtrip_and_forms() -> None:
    spec = SimulationSpec.from_dict(SPEC)
    assert SimulationSpec.from_dict(json.loads(json.dumps(spec.to_dict()))) == spec
    main = spec.paths[0]
    assert main.ttl_of_destination == 6
    assert main.hops[2].silent
    assert main.hops[1].routers[0].mpls == (MplsLabel(16005, exp=1), MplsLabel(24001))
    assert spec.paths[1].hops[1].addresses == tuple(sorted(ECMP_BRANCHES))
    assert spec.paths[1].hops[1].routers[0].rtt_ms == 3
    assert spec.paths[4].family == 6


def test_load_spec_toml(tmp_path: Path) -> None:
    spec_file = tmp_path / "spec.toml"
    spec_file.write_text(
        'device = "sim1"\n'
        "[[paths]]\n"
        'destination = { address = "203.0.113.5", tcp = "syn-ack" }\n'
        'hops = ["13.208.0.1", "*", { addresses = ["10.0.0.1", "10.0.1.1"], rtt_ms = 7 }]\n'
    )
    spec = load_spec(spec_file)
    assert spec.device == "sim1"
    path = spec.paths[0]
    assert path.destination.tcp == "syn-ack"
    assert [h.addresses for h in path.hops] == [("13.208.0.1",), (), ("10.0.0.1", "10.0.1.1")]
    assert path.hops[2].routers[1].rtt_ms == 7


def test_spec_validation() -> None:
    with pytest.raises(ValueError, match="IPv6"):
        PathSpec(Destination("203.0.113.1"), (Hop.of("2001:db8::1"),))
    with pytest.raises(ValueError):
        MplsLabel(2**20)
    with pytest.raises(ValueError):
        Destination("203.0.113.1", tcp="fin")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="duplicate"):
        SimulationSpec((PathSpec(Destination("203.0.113.1")), PathSpec(Destination("203.0.113.1"))))


@pytest.fixture
def engine() -> Engine:
    return Engine(SimulationSpec.from_dict(SPEC), rng=random.Random(7))


def _probe_v4(ttl: int, dst: str = DST, sport: int = 40000, dport: int = 33434) -> bytes:
    return bytes(
        IP(src=LOCAL, dst=dst, ttl=ttl, id=4242) / UDP(sport=sport, dport=dport) / (b"@" * 32)
    )


def _reply(engine: Engine, packet: bytes, now: float = 0.0) -> tuple[float, bytes]:
    result = engine.respond(packet, now)
    assert result is not None
    return result


def _mpls_stack(pkt: object) -> list[tuple[int, int, int, int]]:
    """(label, exp, s, ttl) entries decoded by scapy (its entries nest as payloads)."""
    entries = []
    for first in pkt[scapy_all.ICMPExtension_Header].payload.stack:  # type: ignore[index]
        layer = first
        while isinstance(layer, scapy_mpls.MPLS):
            entries.append((layer.label, layer.cos, layer.s, layer.ttl))
            layer = layer.payload
    return entries


def _checksums_ok(reply: bytes) -> bool:
    cls = IP if reply[0] >> 4 == 4 else IPv6
    rebuilt = cls(reply)
    for layer in rebuilt.layers():
        for field_name in ("chksum", "cksum"):
            if field_name in rebuilt[layer].fields:
                setattr(rebuilt[layer], field_name, None)
    return bytes(cls(bytes(rebuilt)))[: len(reply)] == reply


def test_time_exceeded_per_ttl_and_delay(engine: Engine) -> None:
    for ttl, (addr, rtt) in MAIN_HOPS.items():
        result = engine.respond(_probe_v4(ttl), 100.0)
        if addr is None:
            assert result is None
            continue
        assert result is not None
        due, reply = result
        pkt = IP(reply)
        assert pkt.src == addr and pkt.dst == LOCAL
        assert due == pytest.approx(100.0 + rtt / 1000)
        assert _checksums_ok(reply)
        if ttl < 6:
            assert (pkt[ICMP].type, pkt[ICMP].code) == (11, 0)
            assert pkt.ttl == 255 - (ttl - 1)
            assert pkt[scapy_all.IPerror].ttl == 1  # quoted as the router saw it
        else:
            assert (pkt[ICMP].type, pkt[ICMP].code) == (3, 3)
            assert pkt.ttl == 64 - 5
        assert pkt[scapy_all.UDPerror].dport == 33434
        assert pkt[scapy_all.IPerror].id == 4242


def test_mpls_extension_rfc4950(engine: Engine) -> None:
    _, reply = _reply(engine, _probe_v4(2))
    assert len(reply) == 20 + 8 + 128 + 4 + 4 + 8
    assert reply[20 + 5] == 32  # RFC 4884 length, 32-bit words
    ext = reply[20 + 8 + 128 :]
    assert ext[0] >> 4 == 2 and inet_checksum(ext) == 0
    pkt = IP(reply)
    assert _mpls_stack(pkt) == [(16005, 1, 0, 1), (24001, 0, 1, 1)]
    assert _checksums_ok(reply)


def test_quote_size_without_extensions(engine: Engine) -> None:
    big = bytes(IP(src=LOCAL, dst=DST, ttl=1) / UDP(sport=1, dport=2) / (b"x" * 1000))
    _, reply = _reply(engine, big)
    assert len(reply) == 576
    big6 = bytes(
        IPv6(src="2001:db8:ffff::1", dst=DST6, hlim=1) / UDP(sport=1, dport=2) / (b"x" * 2000)
    )
    _, reply6 = _reply(engine, big6)
    assert len(reply6) == 1280


def test_ecmp_is_stable_per_flow(engine: Engine) -> None:
    def branch(sport: int, dport: int) -> str:
        return str(IP(_reply(engine, _probe_v4(2, DST_ECMP, sport, dport))[1]).src)

    assert {branch(5000, 33434) for _ in range(10)} == {branch(5000, 33434)}
    assert {branch(5000, port) for port in range(33434, 33474)} == ECMP_BRANCHES


def test_rate_limit(engine: Engine) -> None:
    answers = [engine.respond(_probe_v4(1, DST_RATE), 10.0 + i * 0.01) for i in range(5)]
    assert sum(a is not None for a in answers) == 1
    assert engine.respond(_probe_v4(1, DST_RATE), 11.5) is not None
    assert engine.stats["rate_limited"] == 4


def test_destination_answers(engine: Engine) -> None:
    echo = bytes(IP(src=LOCAL, dst=DST, ttl=9) / ICMP(id=77, seq=3) / b"payload")
    pkt = IP(_reply(engine, echo)[1])
    assert (pkt[ICMP].type, pkt[ICMP].id, pkt[ICMP].seq, bytes(pkt[ICMP].payload)) == (
        0,
        77,
        3,
        b"payload",
    )
    syn = bytes(IP(src=LOCAL, dst=DST, ttl=9) / TCP(sport=1234, dport=80, flags="S", seq=1000))
    rst = IP(_reply(engine, syn)[1])
    assert (rst[TCP].flags, rst[TCP].ack, rst[TCP].sport) == ("RA", 1001, 80)
    syn2 = bytes(
        IP(src=LOCAL, dst=DST_SYNACK, ttl=9) / TCP(sport=1234, dport=443, flags="S", seq=5)
    )
    synack = IP(_reply(engine, syn2)[1])
    assert (synack[TCP].flags, synack[TCP].ack) == ("SA", 6)
    assert _checksums_ok(bytes(synack))
    ack = bytes(IP(src=LOCAL, dst=DST, ttl=9) / TCP(sport=1234, dport=80, flags="A"))
    assert engine.respond(ack, 0.0) is None
    assert engine.respond(_probe_v4(3, "198.51.100.1"), 0.0) is None  # not simulated


def test_silent_destination() -> None:
    eng = Engine(SimulationSpec.from_dict({"destination": {"address": DST, "silent": True}}))
    assert eng.respond(_probe_v4(5), 0.0) is None
    assert eng.respond(bytes(IP(src=LOCAL, dst=DST) / ICMP()), 0.0) is None


def test_ipv6_replies(engine: Engine) -> None:
    def probe(hlim: int) -> bytes:
        return bytes(
            IPv6(src="2001:db8:ffff::1", dst=DST6, hlim=hlim) / UDP(sport=7, dport=33434) / b"abc"
        )

    te = IPv6(_reply(engine, probe(2))[1])
    assert te.src == "2001:db8::2" and te[scapy_all.ICMPv6TimeExceeded].type == 3
    assert bytes(te)[40 + 4] == 16  # RFC 4884 length, 64-bit words
    assert _mpls_stack(te) == [(77, 0, 1, 1)]
    assert engine.respond(probe(3), 0.0) is None
    unreach = IPv6(_reply(engine, probe(4))[1])
    assert unreach.src == DST6 and unreach[scapy_all.ICMPv6DestUnreach].code == 4
    echo = bytes(
        IPv6(src="2001:db8:ffff::1", dst=DST6, hlim=64) / ICMPv6EchoRequest(id=9, seq=1, data=b"z")
    )
    reply = IPv6(_reply(engine, echo)[1])
    assert reply[scapy_all.ICMPv6EchoReply].id == 9
    for raw in (bytes(te), bytes(unreach), bytes(reply)):
        assert _checksums_ok(raw)


def test_parse_probe_rejects_garbage() -> None:
    assert parse_probe(b"") is None
    assert parse_probe(b"\x45\x00") is None
    assert parse_probe(bytes(60)) is None


# --------------------------------------------------------------------------
# Integration tests: real tracers in an isolated namespace
# --------------------------------------------------------------------------

_ns_ids = itertools.count()


def _require_lab() -> None:
    if os.geteuid() != 0:
        skip_or_fail("requires root (network namespaces and /dev/net/tun)")
    require_tool("ip")
    if not Path("/dev/net/tun").exists():
        skip_or_fail("/dev/net/tun not available")


def _require_tool(name: str) -> str:
    require_tool(name)
    path = shutil.which(name)
    assert path is not None
    return path


@pytest.fixture(scope="module")
def netns() -> Iterator[str]:
    """A fresh, empty namespace; deleted afterwards whatever happens."""
    _require_lab()
    name = f"topo-sim-{os.getpid()}-t{next(_ns_ids)}"
    subprocess.run(["ip", "netns", "add", name], check=True, timeout=10)
    try:
        yield name
    finally:
        subprocess.run(["ip", "netns", "delete", name], check=False, timeout=10)


@pytest.fixture(scope="module")
def sim(netns: str) -> Iterator[SimulatedPath]:
    with SimulatedPath(SPEC, ns=netns) as running:
        assert_isolated(netns)  # only lo + TUN, routes only through them
        yield running


_LINE = re.compile(r"^\s*(\d+)\s+(.*)$")
_PROBE = re.compile(r"(\*)|([0-9a-f.:]+)(?:\s+<[^>]*>)?\s+([\d.]+) ms|([\d.]+) ms")


def parse_traceroute(text: str) -> dict[int, list[tuple[str | None, float | None]]]:
    """{ttl: [(address or None for '*', rtt)]} from ``traceroute -n`` output."""
    hops: dict[int, list[tuple[str | None, float | None]]] = {}
    for line in text.splitlines()[1:]:
        match = _LINE.match(line)
        if not match:
            continue
        probes: list[tuple[str | None, float | None]] = []
        last: str | None = None
        for star, addr, rtt, rtt_only in _PROBE.findall(match.group(2)):
            if star:
                probes.append((None, None))
            elif addr:
                last = addr
                probes.append((addr, float(rtt)))
            else:
                probes.append((last, float(rtt_only)))
        hops[int(match.group(1))] = probes
    return hops


def _trace(sim: SimulatedPath, *args: str) -> str:
    _require_tool("traceroute.db")
    result = sim.run(["traceroute.db", *args], timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.lab
def test_isolation_check_rejects_links(netns: str) -> None:
    other = f"topo-sim-{os.getpid()}-v{next(_ns_ids)}"
    subprocess.run(["ip", "netns", "add", other], check=True, timeout=10)
    try:
        assert isolation_problems(other) == []
        # both veth ends live inside the private namespace: nothing touches the host
        subprocess.run(
            ["ip", "-n", other, "link", "add", "tv0", "type", "veth", "peer", "name", "tv1"],
            check=True,
            timeout=10,
        )
        with pytest.raises(IsolationError, match="tv0"):
            assert_isolated(other)
        with pytest.raises(RuntimeError):
            SimulatedPath(SPEC, ns=other).start()
    finally:
        subprocess.run(["ip", "netns", "delete", other], check=False, timeout=10)


@pytest.mark.lab
def test_host_namespace_is_refused() -> None:
    _require_lab()
    with pytest.raises(IsolationError):
        assert_isolated()  # this test process runs in the host namespace


@pytest.mark.lab
def test_traceroute_udp_addresses_rtts_silent(sim: SimulatedPath) -> None:
    hops = parse_traceroute(_trace(sim, "-n", "-q", "1", "-w", "1", DST))
    assert sorted(hops) == sorted(MAIN_HOPS)
    for ttl, (addr, rtt) in MAIN_HOPS.items():
        ((seen, measured),) = hops[ttl]
        assert seen == addr, (ttl, hops)
        if addr is not None:
            assert measured is not None and rtt <= measured < rtt + 15, (ttl, measured)


@pytest.mark.lab
@pytest.mark.parametrize("method", ["-I", "-T"])
def test_traceroute_icmp_and_tcp_reach_destination(sim: SimulatedPath, method: str) -> None:
    hops = parse_traceroute(_trace(sim, "-n", method, "-q", "1", "-w", "1", DST))
    assert max(hops) == 6 and hops[6][0][0] == DST
    assert hops[4][0][0] == "240.1.52.1"


@pytest.mark.lab
def test_traceroute_mpls_extension(sim: SimulatedPath) -> None:
    out = _trace(sim, "-e", "-n", "-q", "1", "-w", "1", DST)
    line = next(line for line in out.splitlines() if re.match(r"^\s*2\s", line))
    assert "100.65.0.1" in line and MPLS_TEXT in line, out
    other = [line for line in out.splitlines()[1:] if not line.lstrip().startswith("2 ")]
    assert not any("MPLS" in line for line in other)


@pytest.mark.lab
def test_traceroute_tcp_syn_ack_destination_with_mpls(sim: SimulatedPath) -> None:
    out = _trace(sim, "-T", "-e", "-n", "-q", "1", DST_SYNACK)
    hops = parse_traceroute(out)
    assert hops[1][0][0] == "13.208.10.1" and "<MPLS:L=300,E=0,S=1,T=1>" in out
    assert hops[2][0][0] == DST_SYNACK


@pytest.mark.lab
def test_ecmp_varying_ports_show_both_branches(sim: SimulatedPath) -> None:
    # --sport pins the source port so the (varying) destination ports are reproducible
    hops = parse_traceroute(
        _trace(sim, "-n", "-q", "6", "--sport=4000", "-f", "2", "-m", "2", DST_ECMP)
    )
    assert {addr for addr, _ in hops[2]} == ECMP_BRANCHES


@pytest.mark.lab
@pytest.mark.parametrize("method", [["-U", "--sport=4000"], ["-I"]])
def test_ecmp_fixed_flow_shows_one_branch(sim: SimulatedPath, method: list[str]) -> None:
    hops = parse_traceroute(_trace(sim, "-n", "-q", "6", *method, "-f", "2", "-m", "2", DST_ECMP))
    seen = {addr for addr, _ in hops[2]}
    assert len(seen) == 1 and seen <= ECMP_BRANCHES, hops


@pytest.mark.lab
def test_rate_limited_hop(sim: SimulatedPath) -> None:
    hops = parse_traceroute(_trace(sim, "-n", "-q", "3", "-w", "1", "-m", "1", DST_RATE))
    assert sorted(addr or "*" for addr, _ in hops[1]) == ["*", "*", "13.208.9.1"]


@pytest.mark.lab
def test_traceroute_ipv6(sim: SimulatedPath) -> None:
    out = _trace(sim, "-6", "-e", "-n", "-q", "1", "-w", "1", DST6)
    hops = parse_traceroute(out)
    assert [hops[t][0][0] for t in (1, 2, 3, 4)] == ["2001:db8::1", "2001:db8::2", None, DST6]
    measured = hops[4][0][1]
    assert measured is not None and 15 <= measured < 30
    assert "<MPLS:L=77,E=0,S=1,T=1>" in out


@pytest.mark.lab
def test_mtr_report(sim: SimulatedPath) -> None:
    _require_tool("mtr")
    result = sim.run(["mtr", "-n", "-c", "2", "--report", DST], timeout=120)
    assert result.returncode == 0, result.stderr
    rows = dict(re.findall(r"^\s*(\d+)\.\|--\s+(\S+)", result.stdout, re.M))
    expected = {str(t): (a or "???") for t, (a, _) in MAIN_HOPS.items()}
    assert rows == expected, result.stdout


@pytest.mark.lab
def test_scamper_json(sim: SimulatedPath) -> None:
    _require_tool("scamper")
    result = sim.run(["scamper", "-O", "json", "-c", "trace -w 1 -q 1", "-i", DST], timeout=120)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    trace = next(json.loads(line) for line in lines if '"type":"trace"' in line)
    seen = {hop["probe_ttl"]: hop["addr"] for hop in trace["hops"]}
    assert seen == {t: a for t, (a, _) in MAIN_HOPS.items() if a is not None}
    mpls = next(hop for hop in trace["hops"] if hop["probe_ttl"] == 2)["icmpext"][0]["mpls_labels"]
    assert [m["mpls_label"] for m in mpls] == [16005, 24001]


@pytest.mark.lab
def test_tracepath(sim: SimulatedPath) -> None:
    _require_tool("tracepath")
    result = sim.run(["tracepath", "-n", DST], timeout=120)
    assert result.returncode == 0, result.stderr
    rows = dict(re.findall(r"^\s*(\d+):\s+(\S+)", result.stdout, re.M))
    assert rows["1"] == "13.208.0.1" and rows["4"] == "240.1.52.1"
    assert rows["3"] == "no" and "reached" in result.stdout


@pytest.mark.lab
def test_scapy_probe_in_namespace(sim: SimulatedPath) -> None:
    code = (
        "from scapy.all import IP, UDP, sr1, conf\n"
        "import scapy.contrib.mpls\n"
        "from scapy.layers.inet import ICMPExtension_Header\n"
        "conf.verb = 0\n"
        f"r = sr1(IP(dst='{DST}', ttl=2)/UDP(sport=33000, dport=33434), timeout=2)\n"
        "m = r[ICMPExtension_Header].payload.stack[0]\n"
        "print(r.src, m.label, m.payload.label)\n"
    )
    result = sim.run([sim.python, "-c", code], timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["100.65.0.1", "16005", "24001"]
