"""Robustness report: mutated inputs for every parser, and a chaos RDAP server on loopback.

Prints, per parser: inputs tried, parses, clean ParseErrors, any other exception (must be 0)
and the slowest case; then the chaos-server run: addresses answered, failed with a reason, and
the wall time against the timeout budget. Everything stays on 127.0.0.1.

    python bench/robustness.py [--per-file 50] [--seed 1] [--addresses 400] [--timeout 2]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import traceback
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.servers import run_chaos  # noqa: E402
from tests.test_fuzz import TEXT_INPUTS, _mutate  # noqa: E402
from topo.errors import ParseError  # noqa: E402
from topo.inputs import decode_bytes  # noqa: E402
from topo.owners.online import LookupFailure  # noqa: E402
from topo.parsers import PARSERS, iter_parse_text  # noqa: E402


def fuzz(per_file: int, seed: int) -> bool:
    """Mutate every golden text file ``per_file`` times; parse with each parser."""
    rng = random.Random(seed)
    tried: Counter[str] = Counter()
    parsed: Counter[str] = Counter()
    clean: Counter[str] = Counter()
    crashes: dict[str, list[str]] = {}
    slowest = (0.0, "")
    for path in TEXT_INPUTS:
        original = decode_bytes(path.read_bytes()).text
        for number in range(per_file):
            text = original
            for _ in range(rng.randint(1, 3)):
                text = _mutate(text, rng, rng.randrange(8))
            for parser in PARSERS:
                tried[parser.NAME] += 1
                started = time.perf_counter()
                try:
                    items = list(iter_parse_text(text, source="fuzz", format=parser.NAME))
                except Exception:
                    crashes.setdefault(parser.NAME, []).append(traceback.format_exc(limit=2))
                    continue
                elapsed = time.perf_counter() - started
                if elapsed > slowest[0]:
                    slowest = (elapsed, f"{parser.NAME} on {path.name} mutation {number}")
                if any(isinstance(i, ParseError) for i in items):
                    clean[parser.NAME] += 1
                else:
                    parsed[parser.NAME] += 1
    print(f"{'parser':<22}{'tried':>8}{'parsed':>8}{'errors':>8}{'crashes':>9}")
    for parser in PARSERS:
        name = parser.NAME
        print(f"{name:<22}{tried[name]:>8}{parsed[name]:>8}{clean[name]:>8}"
              f"{len(crashes.get(name, [])):>9}")  # fmt: skip
    print(f"slowest case: {slowest[0] * 1000:.1f} ms ({slowest[1]})")
    broken = {name: stacks for name, stacks in crashes.items() if stacks}
    for name, stacks in broken.items():
        print(f"\n{name}: {len(stacks)} crashes, first:\n{stacks[0]}")
    return not broken


def chaos(addresses: int, timeout: float, seed: int) -> bool:
    """Resolve addresses against an RDAP server whose networks misbehave at random
    (:func:`tests.servers.run_chaos`, which the test suite runs too)."""
    run = run_chaos(addresses, timeout=timeout, seed=seed)
    failures = [r for r in run.results.values() if isinstance(r, LookupFailure)]
    failed = Counter(r.reason.split(":")[0] for r in failures)
    kinds = Counter(mode.partition(":")[0] for mode in run.modes.values())
    lost = [a for a, r in run.results.items()
            if isinstance(r, LookupFailure) and run.served[run.network(a).prefix]]  # fmt: skip
    wrong = [a for a, r in run.results.items()
             if not isinstance(r, LookupFailure) and r.org != run.network(a).org]  # fmt: skip
    print(f"\nchaos RDAP server: {len(run.results)} addresses in {len(run.networks)} networks")
    print(f"network modes: {dict(kinds)}")
    print(f"answered {len(run.results) - len(failures)}, failed {len(failures)}: {dict(failed)}")
    print(f"good answers lost: {len(lost)}, wrong owners: {len(wrong)}")
    print(f"wall time {run.elapsed:.2f} s, budget {run.budget():.1f} s (timeout {timeout} s); "
          f"{len(run.warnings)} warning(s)")  # fmt: skip
    return not lost and not wrong and run.elapsed < run.budget()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-file", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--addresses", type=int, default=400)
    parser.add_argument("--timeout", type=float, default=2.0)
    args = parser.parse_args()
    ok = fuzz(args.per_file, args.seed)
    ok = chaos(args.addresses, args.timeout, args.seed) and ok
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
