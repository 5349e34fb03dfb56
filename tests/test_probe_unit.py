"""topo.probe without a network: probe headers, reply decoding, exact matching, MDA, CLI.

Packets are built with scapy (and with the path simulator's own packet code) and fed to the
decoder; whole traces run against the simulator's answering engine through a stand-in for
the raw sockets, so nothing is sent anywhere.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import json
import random
import socket
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from scapy.all import (
    ICMP,
    IP,
    TCP,
    UDP,
    ICMPv6EchoReply,
    ICMPv6EchoRequest,
    ICMPv6TimeExceeded,
    IPerror,
    IPv6,
    UDPerror,
)
from scapy.contrib.mpls import MPLS, ICMPExtension_MPLS
from scapy.layers.inet import ICMPExtension_Header

from tests.support.lab.pathspec import MplsLabel as SimLabel
from tests.support.lab.simulator import Engine, SimulationSpec, icmp_error, parse_probe
from topo.cli.app import CliState, TopoGroup
from topo.cli.trace import trace as trace_command
from topo.errors import PrivilegeError, UsageError
from topo.inputs.schema import trace_from_dict
from topo.model import MplsLabel
from topo.probe import TraceOptions, decode_reply, probes_needed, resolve_target, trace
from topo.probe.checksum import compensation, internet_checksum, ones_sum
from topo.probe.mda import discover, miss_probability
from topo.probe.packets import ProbeHeader, build_probe, icmp_checksum_of_flow, probe_key
from topo.probe.replies import parse_extensions
from topo.probe.sockets import NoRouteError


@click.group(cls=TopoGroup)
@click.pass_context
def cli(ctx: click.Context) -> None:
    """The ``topo`` group with ``trace`` in it (exit codes, one-line errors), for these tests."""
    ctx.obj = CliState(debug=False)


cli.add_command(trace_command)

SRC4, DST4 = "192.0.2.1", "198.51.100.7"
SRC6, DST6 = "2001:db8:ffff::1", "2001:db8:77::1"


def header(family: int, proto: str, **kw: Any) -> ProbeHeader:
    src, dst = (SRC4, DST4) if family == 4 else (SRC6, DST6)
    return ProbeHeader(family, proto, src, dst, **kw)


# -- checksums and probe headers -------------------------------------------------------


@given(st.binary(min_size=0, max_size=64), st.integers(0, 0xFFFE))
def test_compensation_makes_any_checksum(data: bytes, target: int) -> None:
    data = data + b"\x00" * (len(data) % 2)  # the two bytes sit at an even offset
    fix = compensation(ones_sum(data + bytes(2)), target)
    assert internet_checksum(data + fix) == target


def test_compensation_refuses_the_impossible_checksum() -> None:
    with pytest.raises(ValueError):
        compensation(0x1234, 0xFFFF)


@pytest.mark.parametrize("family", [4, 6])
def test_udp_probe_number_is_its_checksum_and_flow_fields_are_constant(family: int) -> None:
    head = header(family, "udp", base=40000)
    layer = IP if family == 4 else IPv6
    seen = set()
    for ttl, seq in [(1, 1), (2, 2), (7, 999), (30, 0xFFFE)]:
        pkt = layer(build_probe(head, ttl=ttl, flow=3, seq=seq))
        assert pkt[UDP].chksum == seq
        recomputed = pkt.copy()
        del recomputed[UDP].chksum
        assert layer(bytes(recomputed))[UDP].chksum == seq  # the checksum is valid
        seen.add((pkt.src, pkt.dst, pkt[UDP].sport, pkt[UDP].dport, pkt[UDP].len))
        assert (pkt.ttl if family == 4 else pkt.hlim) == ttl
    assert seen == {(head.src, head.dst, 40003, 33434, 10)}
    other = layer(build_probe(head, ttl=1, flow=4, seq=5))
    assert other[UDP].sport == 40004


@pytest.mark.parametrize("family", [4, 6])
def test_icmp_probes_keep_id_and_checksum_per_flow(family: int) -> None:
    head = header(family, "icmp", base=0x4000)
    layer, echo = (IP, ICMP) if family == 4 else (IPv6, ICMPv6EchoRequest)
    fields = set()
    for seq in (1, 2, 3, 1000, 0xFFFE):
        pkt = layer(build_probe(head, ttl=seq % 30 + 1, flow=2, seq=seq))
        icmp = pkt[echo]
        checksum = icmp.chksum if family == 4 else icmp.cksum
        copy = pkt.copy()
        if family == 4:
            del copy[echo].chksum
            assert layer(bytes(copy))[echo].chksum == checksum
        else:
            del copy[echo].cksum
            assert layer(bytes(copy))[echo].cksum == checksum
        assert icmp.seq == seq
        fields.add((icmp.id, checksum))
    assert fields == {(0x4002, icmp_checksum_of_flow(0x4002))}


def test_tcp_probe_number_is_its_sequence_number() -> None:
    pkt = IP(build_probe(header(4, "tcp", port=443, base=50000), ttl=4, flow=1, seq=321))
    assert (pkt[TCP].sport, pkt[TCP].dport, pkt[TCP].seq, str(pkt[TCP].flags)) == (
        50001, 443, 321, "S")  # fmt: skip


def test_probe_arguments_are_checked() -> None:
    with pytest.raises(ValueError):
        build_probe(header(4, "udp"), ttl=0, flow=0, seq=1)
    with pytest.raises(ValueError):
        build_probe(header(4, "udp"), ttl=1, flow=0, seq=0)
    with pytest.raises(ValueError):
        ProbeHeader(4, "udp", SRC6, DST4)
    with pytest.raises(ValueError):
        ProbeHeader(4, "sctp", SRC4, DST4)


# -- decoding replies ------------------------------------------------------------------


def _v4_error(probe: bytes, icmp_type: int = 11, code: int = 0, ext: Any = None) -> bytes:
    icmp = ICMP(type=icmp_type, code=code) if ext is None else ICMP(type=icmp_type, code=code,
                                                                      ext=ext)  # fmt: skip
    return bytes(IP(src="10.0.0.1", dst=SRC4, ttl=250) / icmp / IP(probe))


@pytest.mark.parametrize("proto", ["udp", "icmp", "tcp"])
def test_time_exceeded_names_the_probe_v4(proto: str) -> None:
    head = header(4, proto, port=33434 if proto != "tcp" else 80, base=41000)
    probe = build_probe(head, ttl=5, flow=7, seq=4242)
    answer = decode_reply(_v4_error(probe))
    assert answer is not None
    assert answer.key == probe_key(head, 7, 4242)
    assert (answer.addr, answer.kind, answer.reply_ttl, answer.icmp_type, answer.icmp_code) == (
        "10.0.0.1", "time-exceeded", 250, 11, 0)  # fmt: skip
    assert answer.probe_dst == DST4 and answer.quoted_ttl == 5
    assert answer.port == (None if proto == "icmp" else head.port)


@pytest.mark.parametrize("proto", ["udp", "icmp", "tcp"])
def test_time_exceeded_names_the_probe_v6(proto: str) -> None:
    head = header(6, proto, base=41000)
    probe = build_probe(head, ttl=1, flow=0, seq=77)
    packet = IPv6(src="2001:db8:1::1", dst=SRC6, hlim=63) / ICMPv6TimeExceeded() / IPv6(probe)
    answer = decode_reply(bytes(packet))
    assert answer is not None
    assert answer.key == probe_key(head, 0, 77)
    assert (answer.addr, answer.icmp_type, answer.reply_ttl, answer.quoted_ttl) == (
        "2001:db8:1::1", 3, 63, 1)  # fmt: skip


def test_destination_answers() -> None:
    udp = header(4, "udp", base=41000)
    unreachable = decode_reply(_v4_error(build_probe(udp, ttl=9, flow=1, seq=9), 3, 3))
    assert unreachable is not None and unreachable.kind == "unreachable"
    assert unreachable.key == probe_key(udp, 1, 9)
    echo6 = IPv6(src=DST6, dst=SRC6, hlim=60) / ICMPv6EchoReply(id=0x4001, seq=12)
    answer = decode_reply(bytes(echo6))
    assert answer is not None and answer.kind == "echo-reply" and answer.probe_dst == DST6
    assert answer.key == probe_key(header(6, "icmp", base=0x4000), 1, 12)
    rst = IP(src=DST4, dst=SRC4, ttl=60) / TCP(sport=80, dport=50001, flags="RA", ack=322)
    answer = decode_reply(bytes(rst))
    assert answer is not None and (answer.kind, answer.port) == ("tcp-rst", 80)
    assert answer.key == probe_key(header(4, "tcp", port=80, base=50000), 1, 321)
    synack = IP(src=DST4, dst=SRC4) / TCP(sport=80, dport=50001, flags="SA", ack=322)
    assert decode_reply(bytes(synack)).kind == "tcp-syn-ack"  # type: ignore[union-attr]


def test_what_answers_no_probe_is_ignored() -> None:
    assert decode_reply(b"") is None
    assert decode_reply(bytes(IP(src=DST4, dst=SRC4) / UDP(sport=53, dport=5353))) is None
    assert decode_reply(bytes(IP(src=DST4, dst=SRC4) / ICMP(type=8))) is None  # a request
    quote_too_short = IP(src="10.0.0.1", dst=SRC4) / ICMP(type=11) / bytes(IP(dst=DST4))[:12]
    assert decode_reply(bytes(quote_too_short)) is None
    syn = IP(src=DST4, dst=SRC4) / TCP(sport=80, dport=50001, flags="S")
    assert decode_reply(bytes(syn)) is None


def test_mpls_stack_from_a_scapy_built_rfc4884_extension() -> None:
    probe = build_probe(header(4, "udp", base=41000), ttl=3, flow=0, seq=3)
    stack = [MPLS(label=299808, cos=0, s=0, ttl=1), MPLS(label=24005, cos=5, s=1, ttl=1)]
    packet = _v4_error(probe, ext=ICMPExtension_Header() / ICMPExtension_MPLS(stack=stack))
    answer = decode_reply(packet)
    assert answer is not None
    assert answer.mpls == (MplsLabel(299808, 0, False, 1), MplsLabel(24005, 5, True, 1))


@pytest.mark.parametrize("family", [4, 6])
def test_mpls_stack_from_the_simulator(family: int) -> None:
    head = header(family, "udp", base=41000)
    probe = parse_probe(build_probe(head, ttl=2, flow=0, seq=8))
    assert probe is not None
    router = bytes(4) if family == 4 else bytes(16)
    labels = [SimLabel(16005, exp=1), SimLabel(24001)]
    packet = icmp_error(probe, router, 11 if family == 4 else 3, 0, ttl_seen=1, reply_ttl=254,
                        ident=1, labels=labels)  # fmt: skip
    answer = decode_reply(packet)
    assert answer is not None and answer.key == probe_key(head, 0, 8)
    assert answer.mpls == (MplsLabel(16005, 1, False, 1), MplsLabel(24001, 0, True, 1))


def test_extension_without_rfc4884_length_is_found_at_128() -> None:
    ext = bytes.fromhex("20008a0d0008010103e85101")
    message = bytes([11, 0, 0, 0, 0, 0, 0, 0]) + bytes(128) + ext
    assert parse_extensions(message, 4) == (MplsLabel(16005, 0, True, 1),)
    corrupt = ext[:2] + b"\x12\x34" + ext[4:]
    assert parse_extensions(message[:-12] + corrupt, 4) == ()
    assert parse_extensions(bytes([11, 0, 0, 0, 0, 0, 0, 0]) + bytes(40), 4) == ()


# -- MDA ---------------------------------------------------------------------------------


def test_mda_stopping_rule_matches_the_paper_and_scamper() -> None:
    paper = [6, 11, 16, 21, 27, 33]  # Veitch et al. 2009, 95%
    scamper = [6, 11, 16, 21, 27, 33, 38, 44, 51, 57, 63, 70, 76, 83, 90, 96]
    assert [probes_needed(k) for k in range(1, 7)] == paper
    assert [probes_needed(k) for k in range(1, 17)] == scamper
    for k in range(1, 40):
        n = probes_needed(k)
        assert miss_probability(k + 1, n) <= 0.05 < miss_probability(k + 1, n - 1)
    assert probes_needed(1, 0.99) > probes_needed(1)


def _fake_network(widths: list[int]) -> Any:
    """Per TTL, ``width`` routers chosen by an independent hash of (flow, ttl)."""

    def answer(ttl: int, flow: int) -> tuple[str | None, bool]:
        if ttl > len(widths):
            return "10.9.9.9", True
        pick = hash((flow, ttl, "salt")) % widths[ttl - 1]
        return f"10.{ttl}.{pick}.1", False

    return lambda batch: [answer(t, f) for t, f in batch]


@pytest.mark.parametrize("widths", [[1, 2, 1, 4, 1], [1, 4, 2, 1], [3, 1, 6, 6, 1]])
def test_mda_finds_every_branch(widths: list[int]) -> None:
    result = discover(_fake_network(widths))
    for ttl, width in enumerate(widths, start=1):
        assert len(result.addresses(ttl)) == width, ttl
    assert result.addresses(len(widths) + 1) == {"10.9.9.9"}
    assert max(result.answers) == len(widths) + 1


def test_mda_stops_after_silent_ttls_and_at_max_ttl() -> None:
    silent = discover(lambda batch: [(None, False) for _ in batch], gap_limit=3)
    assert sorted(silent.answers) == [1, 2, 3]
    assert all(len(flows) == 6 for flows in silent.answers.values())
    capped = discover(lambda batch: [("10.0.0.1", False) for _ in batch], max_ttl=4)
    assert max(capped.answers) == 4


# -- whole traces against the simulator's engine (no sockets) ----------------------------


class EngineChannel:
    """Stands in for the raw sockets: the simulator's engine answers, after its RTTs."""

    def __init__(self, spec: Mapping[str, Any], *, shuffle: bool = False) -> None:
        self.engine = Engine(SimulationSpec.from_dict(spec), rng=random.Random(7))
        self.heap: list[tuple[float, int, bytes]] = []
        self.order = itertools.count()
        self.shuffle = shuffle
        self.sent: list[bytes] = []
        self.extra: list[bytes] = []

    def __call__(self, family: int, proto: str) -> EngineChannel:
        return self

    def send(self, packet: bytes, dst: str) -> float:
        self.sent.append(packet)
        result = self.engine.respond(packet, time.monotonic())
        if result is not None:
            heapq.heappush(self.heap, (result[0], next(self.order), result[1]))
        return time.time()

    def receive(self, timeout: float) -> list[tuple[bytes, float]]:
        end = time.monotonic() + timeout
        if self.shuffle:  # hold every answer back, then deliver them all in random order
            last = max((due for due, _, _ in self.heap), default=None)
            if last is not None and last <= end:
                time.sleep(max(0.0, last - time.monotonic()))
                out = [(p, time.time()) for _, _, p in self.heap]
                out += [(p, time.time()) for p in self.extra]
                self.heap.clear()
                self.extra.clear()
                random.Random(3).shuffle(out)
                return out
            time.sleep(timeout)
            return []
        if not self.heap or self.heap[0][0] > end:
            time.sleep(max(0.0, timeout))
            return []
        time.sleep(max(0.0, self.heap[0][0] - time.monotonic()))
        out = []
        while self.heap and self.heap[0][0] <= time.monotonic():
            out.append((heapq.heappop(self.heap)[2], time.time()))
        return out

    def close(self) -> None:
        pass


SIM_PATH = {
    "destination": {"address": DST4, "rtt_ms": 3.0},
    "hops": [
        {"address": "13.208.0.67", "rtt_ms": 0.5},
        {"address": "100.65.1.9", "rtt_ms": 1.0, "mpls": [{"label": 299808}, {"label": 24005}]},
        None,
        {"addresses": ["240.1.52.17", "240.1.52.29"], "rtt_ms": 2.0},
        {"address": "15.230.154.163", "rtt_ms": 2.5},
    ],
}
FAST = {"rate": 5000.0, "timeout": 0.3, "base": 40000}


def run(spec: Mapping[str, Any], dst: str = DST4, *, shuffle: bool = False, **options: Any) -> Any:
    src = SRC4 if ":" not in dst else SRC6
    channel = EngineChannel(spec, shuffle=shuffle)
    result = trace(dst, TraceOptions(**{**FAST, **options}), src=src, channel=channel)
    return result, channel


@pytest.mark.parametrize("proto", ["udp", "icmp", "tcp"])
def test_trace_records_what_each_reply_carries(proto: str) -> None:
    result, channel = run(SIM_PATH, proto=proto, flows=2)
    assert [h.addresses for h in result.hops] == [
        ("13.208.0.67",), ("100.65.1.9",), (), result.hops[3].addresses, ("15.230.154.163",),
        (DST4,)]  # fmt: skip
    assert set(result.hops[3].addresses) <= {"240.1.52.17", "240.1.52.29"}
    assert result.reached and result.protocol == proto and result.format == "topo-trace"
    assert result.meta["probes"] == len(channel.sent)
    first = result.hops[0].replies[0]
    assert (first.reply_ttl, first.icmp_type, first.icmp_code, first.quoted_ttl) == (255, 11, 0, 1)
    assert first.flow_id == 0 and first.rtt_ms is not None and first.rtt_ms >= 0.5
    assert {tuple(m.label for m in r.mpls) for r in result.hops[1].replies} == {(299808, 24005)}
    last = result.hops[-1].replies[0]
    expected = {"udp": (3, 3), "icmp": (0, 0), "tcp": (None, None)}[proto]
    assert (last.icmp_type, last.icmp_code) == expected
    assert [r.flow_id for r in result.hops[0].replies] == [0, 1]
    assert trace_from_dict(json.loads(json.dumps(_to_dict(result)))) == result


def _to_dict(result: Any) -> Any:
    from topo.inputs.schema import trace_to_dict

    return trace_to_dict(result)


def test_replies_are_matched_exactly_whatever_order_they_arrive_in() -> None:
    # scapy's traceroute(l4=ICMP()) sends one ICMP id/seq for every TTL and took the
    # destination's echo replies for answers to lower TTLs; here answers come all at once,
    # shuffled, with strays for other probes, and each still lands on its own probe.
    for proto in ("icmp", "udp"):
        channel = EngineChannel(SIM_PATH, shuffle=True)
        channel.extra = [
            bytes(IP(src=DST4, dst=SRC4) / ICMP(type=0, id=40000, seq=60000)),  # no such probe
            bytes(IP(src="10.6.6.6", dst=SRC4) / ICMP(type=11)
                  / IPerror(src=SRC4, dst="203.0.113.1")
                  / UDPerror(sport=40000, dport=33434, chksum=1)),  # another destination
        ]  # fmt: skip
        options = TraceOptions(proto=proto, flows=1, rate=5000, timeout=0.3, base=40000)
        result = trace(DST4, options, src=SRC4, channel=channel)
        assert [h.addresses for h in result.hops] == [
            ("13.208.0.67",), ("100.65.1.9",), (), result.hops[3].addresses,
            ("15.230.154.163",), (DST4,)]  # fmt: skip
        assert all(r.quoted_ttl in (None, 1) for h in result.hops for r in h.replies)


def test_ipv6_trace() -> None:
    spec = {
        "destination": {"address": DST6, "rtt_ms": 1.0},
        "hops": [{"address": "2001:db8:1::1"}, None, ["2001:db8:3::1", "2001:db8:3::2"]],
    }
    result, _ = run(spec, DST6, flows=8)
    assert [set(h.addresses) for h in result.hops] == [
        {"2001:db8:1::1"}, set(), {"2001:db8:3::1", "2001:db8:3::2"}, {DST6}]  # fmt: skip
    assert result.hops[0].replies[0].icmp_type == 3 and result.hops[-1].replies[0].icmp_type == 1


def test_flows_and_rounds() -> None:
    one, _ = run(SIM_PATH, flows=1)
    assert len(one.hops[3].addresses) == 1
    eight, _ = run(SIM_PATH, flows=8, rounds=2)
    assert set(eight.hops[3].addresses) == {"240.1.52.17", "240.1.52.29"}
    assert len(eight.hops[0].replies) == 16
    assert sorted({r.flow_id for r in eight.hops[0].replies}) == list(range(8))
    assert eight.meta["probes"] == 16 * 6  # one TTL at a time, none past the destination


def test_the_destination_ends_the_trace_and_silence_stops_it() -> None:
    result, _ = run(SIM_PATH, flows=1)
    assert result.hops[-1].addresses == (DST4,) and len(result.hops) == 6
    silent_end = {**SIM_PATH, "destination": {"address": DST4, "silent": True}}
    result, _ = run(silent_end, flows=1, gap_limit=3, timeout=0.05)
    assert not result.reached
    assert [h.ttl for h in result.hops if h.is_silent][-3:] == [6, 7, 8]
    assert max(h.ttl for h in result.hops) == 8  # the first window of 8 TTLs held the gap
    capped, _ = run(silent_end, flows=1, max_ttl=4, timeout=0.05)
    assert max(h.ttl for h in capped.hops) == 4


def test_mda_finds_2_and_4_way_branches_with_fewer_probes_than_16_flows() -> None:
    spec = {
        "destination": {"address": DST4, "rtt_ms": 0.2},
        "hops": [
            "10.0.1.1",
            "10.0.2.1",
            ["10.0.3.1", "10.0.3.2"],
            "10.0.4.1",
            ["10.0.5.1", "10.0.5.2", "10.0.5.3", "10.0.5.4"],
            "10.0.6.1",
            "10.0.7.1",
        ],
    }
    mda, _ = run(spec, flows=None)
    assert set(mda.hops[2].addresses) == {"10.0.3.1", "10.0.3.2"}
    assert set(mda.hops[4].addresses) == {f"10.0.5.{i}" for i in range(1, 5)}
    assert mda.reached and mda.meta["method"] == "mda"
    sixteen, _ = run(spec, flows=16)
    assert mda.meta["probes"] < sixteen.meta["probes"]


def test_options_and_targets_are_checked() -> None:
    for bad in ({"proto": "sctp"}, {"flows": 0}, {"first_ttl": 9, "max_ttl": 3}, {"rate": 0}):
        with pytest.raises(UsageError):
            TraceOptions(**bad)
    assert TraceOptions(proto="tcp").dport == 80 and TraceOptions().dport == 33434
    assert resolve_target("localhost")[1] == "localhost"
    with pytest.raises(UsageError):
        resolve_target("192.0.2.1", ipv6=True)


# -- the command ---------------------------------------------------------------------------


@pytest.fixture
def offline_cli(monkeypatch: pytest.MonkeyPatch) -> EngineChannel:
    channel = EngineChannel(SIM_PATH)
    monkeypatch.setattr("topo.cli.trace.check_privilege", lambda: None)
    monkeypatch.setattr(
        "topo.cli.trace.run_trace", functools.partial(trace, src=SRC4, channel=channel)
    )
    return channel


def test_cli_writes_json_lines(offline_cli: EngineChannel, tmp_path: Path) -> None:
    out = tmp_path / "t.jsonl"
    args = ["trace", DST4, "-o", str(out), "--rate", "5000", "--timeout", "0.3", "--flows", "2"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    [line] = out.read_text().splitlines()
    record = json.loads(line)
    assert record["schema"] == "topo.trace/1" and record["origin"] == f"{out}:1"
    assert record["hops"][-1]["replies"][0]["addr"] == DST4
    assert f"{DST4}: reached, 6 hops" in result.stderr


def test_cli_build_writes_the_page(offline_cli: EngineChannel, tmp_path: Path) -> None:
    page = tmp_path / "out" / "lab.html"
    args = ["trace", DST4, "--build", str(page), "--rate", "5000", "--timeout", "0.3", "-q"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "lab.jsonl").exists()
    assert page.exists() or page.with_suffix(".json").exists()
    assert "verdict:" in result.stderr


def test_cli_usage_and_flows_auto(offline_cli: EngineChannel) -> None:
    assert CliRunner().invoke(cli, ["trace", DST4, "--flows", "many"]).exit_code == 2
    result = CliRunner().invoke(cli, ["trace", DST4, "--flows", "auto", "--rate", "5000",
                                      "--timeout", "0.3", "-q"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["meta"]["method"] == "mda"


def test_cli_says_in_one_line_that_the_destination_never_answered(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Even with -q; the trace is written and the exit code is 0."""
    silent = {**SIM_PATH, "destination": {"address": DST4, "silent": True}}
    channel = EngineChannel(silent)
    monkeypatch.setattr("topo.cli.trace.check_privilege", lambda: None)
    monkeypatch.setattr(
        "topo.cli.trace.run_trace", functools.partial(trace, src=SRC4, channel=channel)
    )
    out = tmp_path / "t.jsonl"
    args = ["trace", DST4, "-o", str(out), "--rate", "5000", "--timeout", "0.2", "-q"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    [line] = result.stderr.splitlines()
    assert line.startswith(
        f"{DST4}: the destination never answered: the last reply came from 15.230.154.163 at "
        "TTL 5, then "
    ), line
    record = json.loads(out.read_text())
    assert record["reached"] is False and record["hops"][4]["replies"][0]["addr"]


def test_cli_no_route_or_no_name_is_one_line_exit_1_and_the_next_target_is_traced(
    monkeypatch: pytest.MonkeyPatch, offline_cli: EngineChannel
) -> None:
    blocked = "192.0.2.66"

    def source(dst: str) -> str:
        if dst == blocked:
            raise NoRouteError(dst, "No route to host")
        return SRC4

    def resolve(host: str, *args: Any, **kwargs: Any) -> Any:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr("topo.probe.tracer.source_address", source)
    monkeypatch.setattr("socket.getaddrinfo", resolve)  # no name is looked up for real
    monkeypatch.setattr("topo.cli.trace.run_trace", functools.partial(trace, channel=offline_cli))
    args = ["trace", blocked, "nowhere.invalid", DST4, "--rate", "5000", "--timeout", "0.3"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines()[:2] == [
        f"{blocked}: no route from this host (No route to host); nothing sent",
        "nowhere.invalid: cannot resolve this name",
    ]
    assert json.loads(result.stdout)["dst"] == DST4


def test_cli_without_privilege_says_so_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse() -> None:
        raise PrivilegeError("tracing needs raw sockets: run as root")

    monkeypatch.setattr("topo.cli.trace.check_privilege", refuse)
    result = CliRunner().invoke(cli, ["trace", DST4])
    assert result.exit_code == 77
    assert result.stderr.strip() == "topo: tracing needs raw sockets: run as root"


def test_mda_rounds_probe_each_address_again() -> None:
    once, _ = run(SIM_PATH, flows=None)
    twice, _ = run(SIM_PATH, flows=None, rounds=3)
    for hop in twice.hops:
        for addr in hop.addresses:
            again = [r for r in hop.replies if r.addr == addr]
            assert len(again) >= 3, (hop.ttl, addr)
    assert twice.meta["probes"] > once.meta["probes"]
