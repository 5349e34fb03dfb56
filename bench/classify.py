"""Bulk address classification against a loop of stdlib ``ip in network`` checks.

All run in this process over the same addresses and must agree; the script prints the time
of each and the ratios (the aim is at least 20x against the plain loop). Two baselines:

- *plain loop*: for each address, ``ip in network`` against every registry block, keeping the
  longest match (what a longest-prefix match written with the stdlib looks like);
- *sorted loop*: the same with the blocks sorted most specific first and a break at the first
  hit (the best one can do with ``ip in network`` checks).

Usage::

    python bench/classify.py [--count 1000000] [--seed 7]

The addresses are random IPv4 (90 %, a third of them drawn from special blocks such as
100.64.0.0/10 and 240.0.0.0/4) and IPv6 (10 %), with repeats as real trace sets have.
"""

from __future__ import annotations

import argparse
import ipaddress
import random
import time

from topo.classify import PUBLIC, AddressClass, Classifier, RegistryEntry


def make_addresses(count: int, seed: int) -> list[str]:
    """A reproducible mix of addresses, about half of them distinct."""
    rng = random.Random(seed)
    special_v4 = [ipaddress.ip_network(n) for n in ("100.64.0.0/10", "240.0.0.0/4", "10.0.0.0/8")]
    distinct: list[str] = []
    for _ in range(count // 2):
        roll = rng.random()
        if roll < 0.6:
            distinct.append(str(ipaddress.IPv4Address(rng.getrandbits(32))))
        elif roll < 0.9:
            net = rng.choice(special_v4)
            offset = rng.getrandbits(32 - net.prefixlen)
            distinct.append(str(net.network_address + offset))
        else:
            distinct.append(str(ipaddress.IPv6Address(rng.getrandbits(128))))
    return [rng.choice(distinct) for _ in range(count)]


def _as_class(entry: RegistryEntry) -> AddressClass:
    return AddressClass(entry.category, entry.name, entry.rfc, entry.special, str(entry.network))


def plain_loop(classifier: Classifier, addrs: list[str]) -> list[AddressClass]:
    """Parse each address and test it against every block; the longest match wins."""
    by_version = {v: [e for e in classifier.entries if e.network.version == v] for v in (4, 6)}
    out = []
    for text in addrs:
        ip = ipaddress.ip_address(text)
        best: RegistryEntry | None = None
        for entry in by_version[ip.version]:
            if ip in entry.network and (
                best is None or entry.network.prefixlen > best.network.prefixlen
            ):
                best = entry
        out.append(PUBLIC if best is None else _as_class(best))
    return out


def sorted_loop(classifier: Classifier, addrs: list[str]) -> list[AddressClass]:
    """Blocks sorted most specific first; the first block holding the address wins."""
    rows = sorted(classifier.entries, key=lambda e: e.network.prefixlen, reverse=True)
    by_version = {v: [(e.network, e) for e in rows if e.network.version == v] for v in (4, 6)}
    out = []
    for text in addrs:
        ip = ipaddress.ip_address(text)
        for network, entry in by_version[ip.version]:
            if ip in network:
                out.append(_as_class(entry))
                break
        else:
            out.append(PUBLIC)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    addrs = make_addresses(args.count, args.seed)
    classifier = Classifier()

    timings: dict[str, float] = {}
    results = {}
    for name, run in (
        ("classify_many", classifier.classify_many),
        ("sorted loop", lambda a: sorted_loop(classifier, a)),
        ("plain loop", lambda a: plain_loop(classifier, a)),
    ):
        start = time.perf_counter()
        results[name] = run(addrs)
        timings[name] = time.perf_counter() - start
    if not results["classify_many"] == results["sorted loop"] == results["plain loop"]:
        raise SystemExit("the implementations disagree")
    bulk = timings["classify_many"]
    print(f"addresses            {len(addrs):>12,}  ({len(set(addrs)):,} distinct)")
    for name, seconds in timings.items():
        ratio = f"   classify_many is {seconds / bulk:5.1f}x faster" if seconds != bulk else ""
        print(f"{name:<20} {seconds:>10.3f} s{ratio}")
    print("aim: >= 20x against the plain loop")


if __name__ == "__main__":
    main()
