"""The side-by-side comparison page of ``topo compare -o``: one self-contained HTML file.

First a table of every pair that fits a 1400 px window (the verdict first and coloured,
related numbers in one column, long names wrapped), then the pairs side by side: each card has
the pair's metrics, its interconnect segments, and its RTT profile (hop against least RTT,
reserved runs shaded, the propagation bound drawn); below come the pairs traced both ways
(their differences in words with units) and the nodes sets share or hold alone. No request
leaves the page (a Content-Security-Policy forbids it), figures are data URIs, and every
text is escaped. It has a viewport for phones and prints with its colours.

>>> from topo.topology.compare import Comparison
>>> page = render_comparison_html(Comparison((), {}, {}, ()))
>>> page.startswith("<!doctype html>") and "Content-Security-Policy" in page
True
"""

from __future__ import annotations

import html

from topo import __version__
from topo.render.plots import rtt_profile_svg
from topo.render.report import HEAD, STYLE, svg_data_uri
from topo.render.text import terminal_safe
from topo.topology.compare import Comparison, PairMetrics

_CARDS = """
.scroll{overflow-x:auto}.pairs{display:flex;flex-wrap:wrap;gap:1rem}
table.pairs-table{width:100%;font-size:.92rem}table.pairs-table :is(th,td){padding:.3rem .45rem}
table.pairs-table th{overflow-wrap:normal;vertical-align:bottom}
table.pairs-table td.set{min-width:11rem}
table.pairs-table td{overflow-wrap:break-word;vertical-align:top}
table.pairs-table td.n{white-space:nowrap}table.pairs-table td small{display:block;color:#667}
.pill{display:inline-block;padding:.1rem .45rem;border-radius:.8rem;font-weight:600;
white-space:nowrap;background:#eef1f7}
.pill.on-provider{background:#e3f4e6}.pill.left-provider{background:#fbe3e3}
.pill.undetermined,.pill.incomplete{background:#fdf1dc}
ul.words{margin:.2rem 0 1rem}
.card{flex:1 1 30rem;border:1px solid #ccd;
border-radius:.5rem;padding:.5rem 1rem;background:#fbfcfe}.card h3{margin:.3rem 0}
dl{display:grid;grid-template-columns:max-content auto;gap:.1rem 1rem}dt{color:#556}dd{margin:0}
.on-provider{color:#1e7b34}.left-provider{color:#b03030}
.undetermined,.incomplete{color:#9a6400}
"""
_LABELS = {
    "traces": "Traces", "median_hops": "Median hops", "reserved_share": "Reserved hops",
    "cgnat": "CGNAT", "class_e": "Class E", "other_special": "Other special",
    "segments": "Segments", "rtt_gained_ms": "RTT gained (ms)", "rtt_bound_ms": "Bound (ms)",
    "directness": "Directness", "end_to_end_rtt_ms": "End-to-end RTT (ms)",
    "families": "Owner families", "ecmp_width": "ECMP width", "verdict": "Verdict",
    "set": "Set", "pair": "Region pair", "segment_hops": "Longest segment (hops)",
}  # fmt: skip


def _value(key: str, value: object) -> str:
    if value is None:
        return "-"
    if key == "reserved_share" and isinstance(value, float):
        return f"{value:.0%}"
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def _card(pair: PairMetrics) -> str:
    esc = html.escape
    row = pair.row()
    items = "".join(
        f'<dt>{esc(label)}</dt><dd class="{esc(str(row[key]) if key == "verdict" else "")}">'
        f"{esc(_value(key, row[key]))}</dd>"
        for key, label in _LABELS.items()
        if key not in ("set", "pair", "segment_hops")
    )
    svg = rtt_profile_svg(pair.rtt_profiles, bound_ms=pair.rtt_bound_ms, title=pair.pair)
    return (
        f'<section class="card" data-pair="{esc(pair.label)}"><h3>{esc(pair.set)}</h3>'
        f"<p>{esc(pair.pair)}</p><dl>{items}</dl>"
        f'<img alt="RTT profile of {esc(pair.label)}" src="{svg_data_uri(svg)}"></section>'
    )


def _cells(pair: PairMetrics) -> list[tuple[str, str]]:
    """A pair's cells under :data:`HEADINGS`: each a text and a smaller second line."""
    row = pair.row()
    special = f"{pair.cgnat} CGNAT, {pair.class_e} Class E"
    if pair.other_special:
        special += f", {pair.other_special} other"
    gained, bound = row["rtt_gained_ms"], row["rtt_bound_ms"]
    rtt = "-" if gained is None else f"+{gained:.1f} ms"
    return [
        (pair.verdict, ""),
        (pair.set, pair.pair),
        (str(pair.traces), ""),
        (_value("median_hops", pair.median_hops), ""),
        (_value("reserved_share", pair.reserved_share), special),
        (row["segments"], ""),
        (rtt, "" if bound is None else f"bound {bound:.1f}"),
        (_value("directness", pair.directness), ""),
        ("-" if pair.end_to_end_rtt_ms is None else f"{pair.end_to_end_rtt_ms:.1f} ms", ""),
        (row["families"], ""),
        (str(pair.ecmp_width), ""),
    ]


#: The table's headings; the cells of the ``NUMERIC`` ones never wrap.
HEADINGS = ("Verdict", "Set and region pair", "Traces", "Hops (median)", "Reserved hops",
            "Segments", "RTT gained (bound)", "Direct\u00adness", "End-to-end RTT",
            "Owner families", "ECMP")  # fmt: skip
NUMERIC = frozenset({2, 3, 6, 7, 8, 10})


def pairs_table(pairs: tuple[PairMetrics, ...]) -> str:
    """The table of every pair, verdict first (a coloured label), two-line cells."""
    esc = html.escape
    head = "".join(f"<th>{esc(h)}</th>" for h in HEADINGS)
    rows = []
    for pair in pairs:
        cells = []
        for number, (text, small) in enumerate(_cells(pair)):
            if number == 0:
                cells.append(f'<td><span class="pill {esc(text)}">{esc(text)}</span></td>')
            else:
                extra = f"<small>{esc(small)}</small>" if small else ""
                kind = {1: ' class="set"'}.get(number, ' class="n"' if number in NUMERIC else "")
                cells.append(f"<td{kind}>{esc(text)}{extra}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<table class="pairs-table"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>")  # fmt: skip


def render_comparison_html(comparison: Comparison, *, title: str | None = None) -> str:
    """The whole comparison page, titled ``title`` (default: ``Region pairs compared``)."""
    esc = html.escape
    heading = esc(terminal_safe(title or "Region pairs compared"))
    parts = [
        HEAD.format(lang="en", title=heading, style=STYLE + _CARDS),
        f"<h1>{heading}</h1><small>topo {esc(__version__)}</small>",
        '<div class="scroll">',
        pairs_table(comparison.pairs),
        "</div>",
        '<div class="pairs">',
        *(_card(pair) for pair in comparison.pairs),
        "</div>",
    ]
    parts.append("<h2>Traced both ways</h2>")
    if comparison.directions:
        for direction in comparison.directions:
            parts.append(
                f"<h3>{esc(direction.forward)} and {esc(direction.backward)}</h3>"
                '<ul class="words">'
                + "".join(f"<li>{esc(line)}</li>" for line in direction.differences)
                + "</ul>"
            )
    else:
        parts.append(
            "<p>No two sets here are the same region pair traced both ways (their manifests, "
            "<code>topo.toml</code>, would say so: the same provider, the regions swapped).</p>"
        )
    parts.append(f"<h2>Shared nodes ({len(comparison.shared)})</h2>")
    parts.append("<details><summary>Each node and the pairs that hold it</summary><ul>")
    parts += [
        f"<li>{esc(node)}: {esc(', '.join(labels))}</li>"
        for node, labels in comparison.shared.items()
    ]
    parts.append("</ul></details><h2>Unique nodes</h2>")
    for label, nodes in comparison.unique.items():
        parts.append(f"<details><summary>{esc(label)} ({len(nodes)})</summary><ul>")
        parts += [f"<li>{esc(node)}</li>" for node in nodes]
        parts.append("</ul></details>")
    parts.append("</body></html>")
    return "\n".join(parts)
