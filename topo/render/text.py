"""Plain-text rendering helpers for the terminal: safe text and aligned tables.

Text from input files (host names, org names) may carry control characters or Unicode
direction overrides; :func:`terminal_safe` shows them as escapes instead of letting them
act on the terminal.

>>> terminal_safe("evil\\x1b[31mred\\u202e")
'evil\\\\x1b[31mred\\\\u202e'
>>> print(format_table([["a", "bb"], ["ccc", "d"]], headers=["X", "Y"]))
X    Y
a    bb
ccc  d
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Any


def terminal_safe(text: str) -> str:
    """``text`` with control and format characters (C0, C1, bidi overrides) escaped."""
    out = []
    for char in text:
        category = unicodedata.category(char)
        if (category in ("Cc", "Cf") and char != "\t") or category in ("Zl", "Zp"):
            code = ord(char)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(char)
    return "".join(out)


def format_table(rows: Sequence[Sequence[str]], headers: Sequence[str] | None = None) -> str:
    """Columns aligned with two spaces between them; trailing spaces removed."""
    table = [list(headers)] if headers else []
    table.extend([terminal_safe(str(cell)) for cell in row] for row in rows)
    if not table:
        return ""
    widths = [max(len(row[i]) for row in table if i < len(row)) for i in range(len(table[0]))]
    lines = [
        "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in table
    ]
    return "\n".join(lines)


def region_span(segment: Any) -> str:
    """A segment's two ends for a terminal table: region codes, ``(not published)`` for a
    provider hop without a published region, the provider's last or first answer for an
    open end.

    >>> from types import SimpleNamespace as S
    >>> region_span(S(kind="inter-region", from_region="ap-south-1", to_region="ap-east-1"))
    'ap-south-1 -> ap-east-1'
    >>> region_span(S(kind="open", from_region="eu-west-1", to_region=None, rule=""))
    'eu-west-1 -> (past the last answer)'
    >>> region_span(S(kind="unknown-region", from_region=None, to_region="ap-northeast-1"))
    '(not published) -> ap-northeast-1'
    """
    left = segment.from_region or "(not published)"
    right = segment.to_region or "(not published)"
    if segment.kind == "open":
        rule = str(getattr(segment, "rule", "") or "")
        if "run before" in rule or (segment.to_region and not segment.from_region):
            left = "(before the first answer)"
        else:
            right = "(past the last answer)"
    return f"{left} -> {right}"
