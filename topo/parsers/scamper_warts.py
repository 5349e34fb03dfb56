"""scamper's binary warts files, read through ``sc_warts2json`` (Debian package ``scamper``).

warts is the native output of scamper (``scamper -O warts``) and the format of CAIDA's
Archipelago traceroute data. Every record starts with an 8-byte header: the magic
``0x1205``, a 16-bit record type (1 list, 2 cycle start, 3 cycle definition, 4 cycle
stop, 6 trace, 7 ping, 8 tracelb, ...) and a 32-bit length.

Rather than decode warts itself, topo runs scamper's own converter ``sc_warts2json``
(the data goes in on standard input) and reads its JSON with the
:mod:`~topo.parsers.scamper_json` parser, so ``trace`` and ``tracelb`` records come out
exactly as they would from ``scamper -O json`` (with ``format`` ``"scamper-warts"``): see
that module for how hops are built.
The line number of a trace's origin is the record's position in the converted JSON
(1 is the first record, usually ``cycle-start``). A truncated or corrupt file gives the
records read before the damage and an error naming the offset ``sc_warts2json``
reported. Compressed warts (``.warts.gz``, ``.bz2``, ``.xz``) must be decompressed
first.

Example
-------
>>> sniff_bytes(bytes.fromhex("1205 0006 0000 011b"))
True
>>> sniff_bytes(b"traceroute to 192.0.2.9"), sniff("anything: warts is not text")
(False, False)
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import replace

from topo.errors import ParseError
from topo.parsers import scamper_json
from topo.parsers.base import ParseItem

NAME = "scamper-warts"
DESCRIPTION = "scamper warts (binary; trace and tracelb), converted with sc_warts2json"
DETECTION = "binary records starting with the warts magic 0x1205 and a known record type"

MAGIC = b"\x12\x05"
#: The converter topo runs, and how to get it.
CONVERTER = "sc_warts2json"
MISSING = "reading warts needs scamper's sc_warts2json (Debian package scamper)"
#: Highest record type scamper defines (2024: 0x0013); a little room for new ones.
_MAX_TYPE = 0x40
#: Seconds allowed for the conversion: a base plus this many per MiB of input.
_TIMEOUT_BASE = 30.0
_TIMEOUT_PER_MIB = 2.0


def sniff_bytes(head: bytes) -> bool:
    """A warts record header: magic ``0x1205``, a record type 1..64, a length."""
    if len(head) < 8 or not head.startswith(MAGIC):
        return False
    record_type = int.from_bytes(head[2:4], "big")
    return 1 <= record_type <= _MAX_TYPE


def sniff(head: str) -> bool:
    """Never: warts is binary and is detected on bytes (:func:`sniff_bytes`)."""
    return False


def parse(text: str, *, source: str) -> Iterator[ParseItem]:
    """A decoded text cannot be warts; read warts files as bytes (:func:`parse_bytes`)."""
    yield ParseError("warts is a binary format: read the file as bytes", path=source, line=1)


def _convert(data: bytes, *, source: str) -> tuple[str, list[ParseError]]:
    """The JSON ``sc_warts2json`` makes of ``data``, and what it complained about."""
    program = shutil.which(CONVERTER)
    if program is None:
        return "", [ParseError(MISSING, path=source)]
    timeout = _TIMEOUT_BASE + _TIMEOUT_PER_MIB * len(data) / 2**20
    try:
        proc = subprocess.run(
            [program], input=data, capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        message = f"{CONVERTER} did not finish within {timeout:.0f} s"
        return "", [ParseError(message, path=source)]
    except OSError as err:
        return "", [ParseError(f"cannot run {CONVERTER}: {err.strerror or err}", path=source)]
    text = proc.stdout.decode("utf-8", errors="replace")
    complaint = proc.stderr.decode("utf-8", errors="replace").strip()
    errors: list[ParseError] = []
    if proc.returncode != 0 or complaint:
        detail = complaint.splitlines()[0] if complaint else f"exit status {proc.returncode}"
        records = len(text.splitlines())
        message = (
            f"{CONVERTER} could not read all of the file ({detail}); "
            f"truncated or corrupt warts? {records} record(s) read before"
        )
        errors.append(ParseError(message, path=source))
    return text, errors


def parse_bytes(data: bytes, *, source: str) -> Iterator[ParseItem]:
    """Every trace and tracelb in a warts file, via ``sc_warts2json`` and the JSON parser."""
    if not sniff_bytes(data[:8]):
        yield ParseError("not a warts file (no 0x1205 record header)", path=source, line=1)
        return
    text, errors = _convert(data, source=source)
    if text.strip():
        for item in scamper_json.parse(text, source=source):
            yield item if isinstance(item, ParseError) else replace(item, format=NAME)
    elif not errors:
        errors.append(ParseError(f"{CONVERTER} found no records", path=source))
    yield from errors
