"""Fuzzing every parser with mutations of every golden file: a parse or a ParseError, nothing else.

Mutations: truncation, byte flips, duplicated and shuffled lines, huge numbers, negative, 0 and
256 TTLs, emptied hops, IPv4-mapped IPv6, scoped IPv6, invalid addresses. Each mutated text is
parsed with detection and with every parser forced; the outcome must be traces and
``ParseError`` items (with the source set), never another exception.

The default profile tries a few hundred inputs per run (CI); ``TOPO_FUZZ_EXAMPLES=5000`` runs long.
"""

from __future__ import annotations

import os
import random
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from topo.errors import ParseError
from topo.inputs import decode_bytes
from topo.parsers import PARSERS, iter_parse_text

from .test_golden import golden_inputs

EXAMPLES = int(os.environ.get("TOPO_FUZZ_EXAMPLES", "40"))
TEXT_INPUTS = [p for p in golden_inputs() if p.suffix != ".warts"]
NUMBER = re.compile(r"\b\d+(?:\.\d+)?\b")
ADDRESS = re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b")
REPLACEMENTS = [
    "99999999999999999999", "-1", "0", "256", "1e309", "NaN", "::ffff:10.0.0.1",
    "fe80::1%eth0", "999.1.1.1", "1.2.3", "", "*", "<script>", "\u202e", "\x00",
]  # fmt: skip


def _mutate(text: str, rng: random.Random, kind: int) -> str:
    lines = text.splitlines(keepends=True)
    if kind == 0 and text:
        return text[: rng.randrange(len(text))]
    if kind == 1 and text:
        data = bytearray(text.encode("utf-8", "surrogatepass"))
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        return decode_bytes(bytes(data)).text
    if kind == 2 and lines:
        index = rng.randrange(len(lines))
        return "".join(lines[: index + 1] + lines[index:])
    if kind == 3 and lines:
        rng.shuffle(lines)
        return "".join(lines)
    if kind == 4:
        return NUMBER.sub(lambda m: rng.choice(REPLACEMENTS) if rng.random() < 0.2 else m[0], text)
    if kind == 5:
        return ADDRESS.sub(lambda m: rng.choice(REPLACEMENTS) if rng.random() < 0.3 else m[0], text)
    if kind == 6 and lines:
        index = rng.randrange(len(lines))
        emptied = re.sub(r"\S+\s*$", "", lines[index])
        return "".join([*lines[:index], emptied, *lines[index + 1 :]])
    return text + rng.choice(REPLACEMENTS)


def _check(text: str, source: str) -> None:
    for forced in (None, *(p.NAME for p in PARSERS)):
        for item in iter_parse_text(text, source=source, format=forced):
            if isinstance(item, ParseError):
                assert item.path == source, item
            else:
                assert item.format is not None


@pytest.mark.parametrize("path", TEXT_INPUTS, ids=lambda p: f"{p.parent.name}/{p.name}")
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(seed=st.integers(0, 2**32 - 1), kind=st.integers(0, 7), rounds=st.integers(1, 3))
def test_mutated_golden_files(path: Path, seed: int, kind: int, rounds: int) -> None:
    rng = random.Random(seed)
    text = decode_bytes(path.read_bytes()).text
    for _ in range(rounds):
        text = _mutate(text, rng, kind)
        kind = rng.randrange(8)
    _check(text, f"{path.parent.name}/{path.name}")
