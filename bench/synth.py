"""Synthetic trace data for the benchmarks: RIPE Atlas JSON Lines and ``traceroute -n`` text.

Reproducible (seeded): an address pool mixing public, CGNAT (100.64/10) and Class E
(240/4) addresses; each trace has 10-25 hops of 3 replies, 5 % stars and some ECMP hops, and
paths share cores drawn from the pool (so the graph converges as real data does).

    python bench/synth.py atlas OUT.jsonl --traces 20000 [--seed 1] [--pool 50000]
                                          [--distinct N]  (N paths, repeated)
    python bench/synth.py text OUTDIR --traces 5000 [--seed 1]
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import random
from collections.abc import Iterator
from pathlib import Path


def address_pool(rng: random.Random, size: int) -> list[str]:
    """``size`` addresses: 70 % public, 20 % CGNAT, 10 % Class E."""
    pool = []
    for _ in range(size):
        roll = rng.random()
        if roll < 0.7:
            first = rng.choice([13, 15, 52, 54, 99, 150, 203])
            pool.append(
                f"{first}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
            )
        elif roll < 0.9:
            pool.append(str(ipaddress.IPv4Address(0x64400000 + rng.randrange(2**22))))
        else:
            pool.append(str(ipaddress.IPv4Address(0xF0000000 + rng.randrange(2**27))))
    return pool


def paths(
    rng: random.Random, pool: list[str], count: int
) -> Iterator[tuple[str, list[list[str | None]]]]:
    """``(destination, hops)``; a hop is the address answering each of its 3 probes."""
    cores = [
        [rng.choice(pool) for _ in range(rng.randint(4, 10))] for _ in range(max(count // 50, 1))
    ]
    for _ in range(count):
        length = rng.randint(10, 25)
        core = rng.choice(cores)
        start = rng.randint(1, max(1, length - len(core)))
        hops: list[list[str | None]] = []
        for ttl in range(1, length + 1):
            index = ttl - start
            base = core[index] if 0 <= index < len(core) else rng.choice(pool)
            other = rng.choice(pool) if rng.random() < 0.05 else base
            probes: list[str | None] = []
            for probe in range(3):
                if rng.random() < 0.05:
                    probes.append(None)
                else:
                    probes.append(other if probe == 1 else base)
            hops.append(probes)
        dst = next((p for p in reversed(hops[-1]) if p), rng.choice(pool))
        yield dst, hops


def atlas_lines(
    count: int, seed: int, pool_size: int, distinct: int | None = None
) -> Iterator[str]:
    """RIPE Atlas traceroute results, one JSON document per line; with ``distinct``, the
    results go over that many paths again and again (new RTTs each time), as repeated
    measurements between the same probes and targets do: the graph stops growing."""
    rng = random.Random(seed)
    pool = address_pool(rng, pool_size)
    routes: Iterator[tuple[str, list[list[str | None]]]]
    if distinct:
        known = list(paths(rng, pool, distinct))
        routes = (known[number % distinct] for number in range(count))
    else:
        routes = paths(rng, pool, count)
    for number, (dst, hops) in enumerate(routes):
        result = []
        rtt = rng.uniform(0.3, 2.0)
        for ttl, probes in enumerate(hops, start=1):
            rtt += rng.uniform(0.1, 3.0)
            replies = [
                {"x": "*"} if addr is None else
                {"from": addr, "rtt": round(rtt + rng.uniform(0, 0.5), 3), "size": 28,
                 "ttl": 255 - ttl}
                for addr in probes
            ]  # fmt: skip
            result.append({"hop": ttl, "result": replies})
        yield json.dumps({
            "af": 4, "dst_addr": dst, "dst_name": dst, "src_addr": "192.168.1.10",
            "from": "198.51.100.10", "fw": 5080, "lts": 10, "msm_id": 5000 + number % 7,
            "msm_name": "Traceroute", "paris_id": number % 16, "prb_id": 1000 + number % 500,
            "proto": "ICMP", "result": result, "size": 48, "timestamp": 1700000000 + number,
            "endtime": 1700000010 + number, "type": "traceroute",
        })  # fmt: skip


def text_trace(dst: str, hops: list[list[str | None]], rng: random.Random) -> str:
    """One ``traceroute -n`` output (Butskoy layout)."""
    lines = [f"traceroute to {dst} ({dst}), 30 hops max, 60 byte packets"]
    rtt = rng.uniform(0.3, 2.0)
    for ttl, probes in enumerate(hops, start=1):
        rtt += rng.uniform(0.1, 3.0)
        parts = []
        last = None
        for addr in probes:
            if addr is None:
                parts.append("*")
                continue
            value = f"{rtt + rng.uniform(0, 0.5):.3f} ms"
            parts.append(value if addr == last else f"{addr}  {value}")
            last = addr
        lines.append(f"{ttl:2d}  " + "  ".join(parts))
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=["atlas", "text"])
    parser.add_argument("out", type=Path)
    parser.add_argument("--traces", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pool", type=int, default=50000)
    parser.add_argument("--distinct", type=int, help="atlas: this many paths, repeated")
    args = parser.parse_args()
    if args.kind == "atlas":
        with args.out.open("w", encoding="utf-8") as out:
            for line in atlas_lines(args.traces, args.seed, args.pool, args.distinct):
                out.write(line + "\n")
    else:
        args.out.mkdir(parents=True, exist_ok=True)
        rng = random.Random(args.seed)
        pool = address_pool(rng, args.pool)
        for number, (dst, hops) in enumerate(paths(rng, pool, args.traces)):
            (args.out / f"trace-{number:06d}.txt").write_text(text_trace(dst, hops, rng))


if __name__ == "__main__":
    main()
