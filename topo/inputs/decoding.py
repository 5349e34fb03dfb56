"""Bytes to text, whatever the encoding: a BOM, UTF-16 without one, UTF-8, then CP932.

>>> decode_bytes("要求がタイムアウトしました。".encode("cp932")).encoding
'cp932'
>>> decode_bytes(b"\\xff\\xfet\\x00r\\x00").text
'tr'
"""

from __future__ import annotations

import codecs
import sys
from dataclasses import dataclass, field
from pathlib import Path

from topo.errors import ParseError
from topo.inputs.paths import STDIN

BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


@dataclass(frozen=True)
class DecodedText:
    """A decoded input and how it was decoded."""

    text: str
    encoding: str
    problems: tuple[str, ...] = field(default=())


def utf16_without_bom(data: bytes) -> str | None:
    """``utf-16-le``/``-be`` when every other byte of the start is NUL (text without a BOM)."""
    sample = data[:4096]
    if len(sample) < 4 or len(sample) % 2:
        sample = sample[: len(sample) - len(sample) % 2]
    if len(sample) < 4:
        return None
    odd_nuls = sample[1::2].count(0) / (len(sample) // 2)
    even_nuls = sample[0::2].count(0) / (len(sample) // 2)
    if odd_nuls > 0.9 and even_nuls < 0.1:
        return "utf-16-le"
    if even_nuls > 0.9 and odd_nuls < 0.1:
        return "utf-16-be"
    return None


def utf32_without_bom(data: bytes) -> str | None:
    """``utf-32-le``/``-be`` when three bytes of every four are NUL (text without a BOM).

    >>> utf32_without_bom("traceroute".encode("utf-32-le")), utf32_without_bom(b"trace")
    ('utf-32-le', None)
    """
    sample = data[: 4096 - 4096 % 4]
    sample = sample[: len(sample) - len(sample) % 4]
    if len(sample) < 8:
        return None
    count = len(sample) // 4
    high = sum(sample[i::4].count(0) for i in (2, 3)) / (2 * count)
    if high > 0.95 and sample[1::4].count(0) / count > 0.9 and sample[0::4].count(0) / count < 0.1:
        return "utf-32-le"
    low = sum(sample[i::4].count(0) for i in (0, 1)) / (2 * count)
    if low > 0.95 and sample[2::4].count(0) / count > 0.9 and sample[3::4].count(0) / count < 0.1:
        return "utf-32-be"
    return None


_UNMARKED = {"utf-16": utf16_without_bom, "utf-32": utf32_without_bom}


def byte_order(encoding: str, data: bytes) -> str:
    """The codec to decode ``data`` with when the user named ``encoding``: itself, except
    for ``utf-16``/``utf-32`` without a byte order mark, which become the ``-le`` or
    ``-be`` codec the NUL bytes of ``data`` show. Raises :class:`ParseError` when they show
    none (the input is not in that encoding).

    >>> byte_order("UTF16", "tr".encode("utf-16-be")), byte_order("utf-16", b"\\xff\\xfet\\x00")
    ('utf-16-be', 'utf-16')
    """
    name = codecs.lookup(encoding).name
    guess = _UNMARKED.get(name)
    if guess is None or data.startswith(tuple(bom for bom, codec in BOMS if codec == name)):
        return encoding
    found = guess(data)
    if found is None:
        upper = name.upper()
        raise ParseError(
            f"not {upper} text: no byte order mark and no {upper} pattern of NUL bytes; "
            "leave --encoding out to detect the encoding",
            line=1,
        )
    return found


def decode_bytes(data: bytes, encoding: str | None = None) -> DecodedText:
    """Decode an input: a BOM, UTF-16 without BOM, UTF-8, then CP932 (Japanese Windows).

    With ``encoding`` given, only that one is used. Bytes no encoding accepts are replaced
    and reported in ``problems``, so nothing stops the rest of the input from being read.
    """
    if encoding:
        encoding = byte_order(encoding, data)
        try:
            return DecodedText(data.decode(encoding), encoding)
        except UnicodeDecodeError as err:
            text = data.decode(encoding, errors="replace")
            return DecodedText(text, encoding, (f"not valid {encoding}: {err.reason}",))
        except LookupError:
            raise ParseError(f"unknown encoding {encoding!r}") from None
    for bom, name in BOMS:
        if data.startswith(bom):
            return decode_bytes(data, name)
    guessed = utf16_without_bom(data)
    candidates = ([guessed] if guessed else []) + ["utf-8", "cp932"]
    for name in candidates:
        try:
            return DecodedText(data.decode(name), name)
        except UnicodeDecodeError:
            continue
    text = data.decode("utf-8", errors="replace")
    return DecodedText(text, "utf-8", ("not valid UTF-8, UTF-16 or CP932; bad bytes replaced",))


def looks_binary(text: str) -> bool:
    """Whether decoded text holds NUL characters near its start (binary data)."""
    return "\x00" in text[:8192]


def read_bytes(name: str) -> bytes:
    """The raw content of one input (``-`` reads standard input). Raises ParseError."""
    try:
        if name == STDIN:
            return sys.stdin.buffer.read()
        with Path(name).open("rb") as handle:
            return handle.read()
    except IsADirectoryError:
        raise ParseError("is a directory", path=name) from None
    except OSError as err:
        raise ParseError(f"cannot read: {err.strerror or err}", path=name) from None


def decode_text(data: bytes, *, name: str, encoding: str | None = None) -> DecodedText:
    """Decode an input as text; :class:`ParseError` when it is binary data."""
    decoded = decode_bytes(data, encoding)
    if looks_binary(decoded.text):
        raise ParseError("binary data, not a traceroute text or JSON", path=name, line=1)
    return decoded


def read_input(name: str, *, encoding: str | None = None) -> DecodedText:
    """The decoded text of one input (``-`` reads standard input). Raises ParseError."""
    return decode_text(read_bytes(name), name=name, encoding=encoding)
