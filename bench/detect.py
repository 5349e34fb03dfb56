"""Format detection per input file: the detectors' cheap whole-head scans against their
line-by-line references, in this process, on the same heads.

Every input file of a folder goes through :func:`topo.parsers.detect_format`, which asks
the detectors in registry order. Seven text detectors first scan the whole head cheaply
(substrings of an ASCII head, one pattern over the joined lines) and read it line by line
only when the scan finds what they look for; each keeps that line-by-line reading as
``_sniff_lines``, the reference. The baseline here is detection with every detector reading
line by line; both must choose the same parser for every head (the script stops if not).

Usage::

    python bench/detect.py [--files 3000] [--seed 1] [--rounds 3]

Two sets of heads: synthetic ``traceroute -n`` files (``bench/synth.py``: the common case,
which passes every text detector before Linux traceroute's, the last), and every golden
input of ``tests/data`` (all formats).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

from topo.errors import FormatDetectionError
from topo.parsers import PARSERS, detect_format
from topo.parsers.base import SNIFF_BYTES, non_blank_lines

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import synth  # noqa: E402


def reference_detect(head: str) -> str:
    """The parser :func:`detect_format` would choose, every detector reading line by line."""
    sample = head[:SNIFF_BYTES]
    for parser in PARSERS:
        by_lines = getattr(parser, "_sniff_lines", None)
        found = by_lines(non_blank_lines(sample)) if by_lines else parser.sniff(sample)
        if found:
            return parser.NAME
    return "none"


def fast_detect(head: str) -> str:
    try:
        return detect_format(head).NAME
    except FormatDetectionError:
        return "none"


def synthetic_heads(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    pool = synth.address_pool(rng, 5000)
    return [synth.text_trace(dst, hops, rng) for dst, hops in synth.paths(rng, pool, count)]


def golden_heads() -> list[str]:
    """The head of every golden input (``tests/test_golden.py`` lists them)."""
    sys.path.insert(0, str(ROOT))
    from tests.test_golden import golden_inputs

    return [p.read_bytes()[:SNIFF_BYTES].decode("utf-8", "replace") for p in golden_inputs()]


def best_time(detect: Callable[[str], str], heads: list[str], rounds: int) -> float:
    """Least seconds per head over ``rounds`` passes."""
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for head in heads:
            detect(head)
        best = min(best, (time.perf_counter() - start) / len(heads))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    for name, heads in (
        (f"{args.files} synthetic traceroute -n files", synthetic_heads(args.files, args.seed)),
        ("golden inputs, every format (x20)", golden_heads() * 20),
    ):
        chosen = [fast_detect(h) for h in heads]
        if chosen != [reference_detect(h) for h in heads]:
            raise SystemExit(f"{name}: the scans and the line-by-line detectors disagree")
        fast = best_time(fast_detect, heads, args.rounds)
        slow = best_time(reference_detect, heads, args.rounds)
        print(f"{name}: {len(heads)} heads, {len(set(chosen))} formats")
        print(f"  line by line   {slow * 1e6:8.1f} us per head")
        print(f"  cheap scans    {fast * 1e6:8.1f} us per head   {slow / fast:5.2f}x faster")


if __name__ == "__main__":
    main()
