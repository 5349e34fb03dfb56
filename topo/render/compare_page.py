"""The side-by-side comparison page of ``topo compare -o``: one self-contained HTML file.

Pairs are laid out side by side: each card has the pair's metrics, its interconnect segments,
and its RTT profile (hop against least RTT, reserved runs shaded, the propagation bound
drawn); below come the pairs traced both ways and the nodes sets share or hold alone. No
request leaves the page (a Content-Security-Policy forbids it), figures are data URIs, and
every text is escaped.

>>> from topo.topology.compare import Comparison
>>> page = render_comparison_html(Comparison((), {}, {}, ()))
>>> page.startswith("<!doctype html>") and "Content-Security-Policy" in page
True
"""

from __future__ import annotations

import html

from topo import __version__
from topo.render.plots import rtt_profile_svg
from topo.render.report import STYLE, html_table, svg_data_uri
from topo.render.text import terminal_safe
from topo.topology.compare import COLUMNS, Comparison, PairMetrics

_CARDS = """
.scroll{overflow-x:auto}.pairs{display:flex;flex-wrap:wrap;gap:1rem}
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


def render_comparison_html(comparison: Comparison, *, title: str | None = None) -> str:
    """The whole comparison page, titled ``title`` (default: ``Region pairs compared``)."""
    esc = html.escape
    heading = esc(terminal_safe(title or "Region pairs compared"))
    rows = [[_value(c, p.row()[c]) for c in COLUMNS] for p in comparison.pairs]
    parts = [
        '<!doctype html><html lang="en"><head><meta charset="utf-8">',
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "img-src data:; style-src 'unsafe-inline'\">",
        f"<title>{heading}</title><style>{STYLE}{_CARDS}</style></head><body>",
        f"<h1>{heading}</h1><small>topo {esc(__version__)}</small>",
        '<div class="scroll">',
        html_table([_LABELS.get(c, c.replace("_", " ").capitalize()) for c in COLUMNS], rows),
        "</div>",
        '<div class="pairs">',
        *(_card(pair) for pair in comparison.pairs),
        "</div>",
    ]
    if comparison.directions:
        parts.append("<h2>Traced both ways</h2><ul>")
        for direction in comparison.directions:
            diffs = ", ".join(
                f"{k}: {v:+g}" for k, v in direction.asymmetry.items() if v is not None
            )
            parts.append(
                f"<li>{esc(direction.forward)} vs {esc(direction.backward)}: {esc(diffs)}; "
                f"{len(direction.shared_nodes)} nodes on both directions</li>"
            )
        parts.append("</ul>")
    parts.append(f"<h2>Shared nodes ({len(comparison.shared)})</h2><details><ul>")
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
