"""Bulk address classification against a loop of stdlib ``ip in network`` checks.

Both run in this process over the same addresses and must agree; the script prints the
time of each and their ratio (the aim is at least 20x). Usage::

    python bench/classify.py [--count 1000000] [--seed 7]

The addresses are random IPv4 (90 %, a third of them drawn from special blocks such as
100.64.0.0/10 and 240.0.0.0/4) and IPv6 (10 %), with repeats as real trace sets have.
"""

from __future__ import annotations

import argparse
import ipaddress
import random
import time

from topo.classify import PUBLIC, AddressClass, Classifier


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


def stdlib_loop(classifier: Classifier, addrs: list[str]) -> list[AddressClass]:
    """The obvious implementation: parse each address, test it against every block."""
    rows = sorted(classifier.entries, key=lambda e: e.network.prefixlen, reverse=True)
    by_version = {v: [(e.network, e) for e in rows if e.network.version == v] for v in (4, 6)}
    out = []
    for text in addrs:
        ip = ipaddress.ip_address(text)
        for network, entry in by_version[ip.version]:
            if ip in network:
                out.append(
                    AddressClass(
                        entry.category, entry.name, entry.rfc, entry.special, str(entry.network)
                    )
                )
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

    start = time.perf_counter()
    bulk = classifier.classify_many(addrs)
    bulk_s = time.perf_counter() - start

    start = time.perf_counter()
    loop = stdlib_loop(classifier, addrs)
    loop_s = time.perf_counter() - start

    if bulk != loop:
        raise SystemExit("bulk and stdlib loop disagree")
    print(f"addresses          {len(addrs):>12,}")
    print(f"stdlib loop        {loop_s:>10.3f} s")
    print(f"classify_many      {bulk_s:>10.3f} s")
    print(f"ratio              {loop_s / bulk_s:>10.1f}x  (aim: >= 20x)")


if __name__ == "__main__":
    main()
