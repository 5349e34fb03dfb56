"""The report people paste into their findings: the article's evidence for the user's own data.

A :class:`Report` gathers, for one trace set: the verdict and its reasons, the table of public
addresses with their OrgName (and owner, region, ASN), the table of special-purpose addresses
with Name and RFC (both sorted as text, like the article's ``sort`` output), the figures, the
interconnect segments with their RTT check, and a method section (how addresses were
classified, which data and dates were used, what could not be resolved). It renders to
Markdown or to one self-contained HTML file (figures embedded as data URIs), in English or
Japanese. Text from input files and registries is escaped in both.

>>> from topo.model import Hop, Reply, Trace
>>> from topo.topology.analyze import analyze
>>> trace = Trace(dst="52.95.31.166", hops=(Hop(1, (Reply("13.208.0.67", 0.4),)),
...               Hop(2, (Reply("100.65.1.9", 2.0),)), Hop(3, (Reply("52.95.31.166", 8.0),))))
>>> report = build_report(analyze([trace]), name="demo")
>>> [row[0] for row in report.special_rows], report.verdict
(['100.65.1.9'], 'on-provider')
>>> "| 100.65.1.9 | Shared Address Space | RFC6598 |" in render_markdown(report)
True
"""

from __future__ import annotations

import base64
import html
import tempfile
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from topo import __version__
from topo.atomic import write_atomically
from topo.errors import ParseError, UsageError
from topo.model import Trace
from topo.owners.origin import credits_for
from topo.render.i18n import KIND_JA, reason_text, text
from topo.render.layout_words import open_side
from topo.render.titles import page_title
from topo.topology.result import Topology

#: Trace metadata keys that identify the user's side, dropped by ``redact``.
IDENTIFYING_META = ("from", "src_host", "hostname", "warnings", "command", "src_addr")


def redact_traces(traces: Iterable[Trace | ParseError]) -> list[Trace | ParseError]:
    """Traces without what identifies the user's side: source address and host names
    (errors among them pass as they are).

    >>> from topo.model import Hop, Reply
    >>> [t] = redact_traces([Trace(src="198.51.100.7", hops=(Hop(1, (Reply("10.0.0.1", 1.0,
    ...                             name="gw.home.example"),)),), meta={"from": "198.51.100.7"})])
    >>> t.src, t.hops[0].replies[0].name, dict(t.meta)
    (None, None, {'redacted': True})
    """
    out: list[Trace | ParseError] = []
    for trace in traces:
        if isinstance(trace, ParseError):
            out.append(trace)
            continue
        hops = tuple(
            replace(hop, replies=tuple(replace(r, name=None) for r in hop.replies))
            for hop in trace.hops
        )
        meta = {k: v for k, v in trace.meta.items() if k not in IDENTIFYING_META}
        meta["redacted"] = True
        out.append(replace(trace, src=None, hops=hops, meta=meta))
    return out


@dataclass(frozen=True)
class Report:
    """Everything a report shows, already sorted and worded."""

    name: str
    lang: str
    verdict: str
    summary: tuple[str, ...]
    reasons: tuple[str, ...]
    public_rows: tuple[tuple[str, str, str, str, str], ...]
    special_rows: tuple[tuple[str, str, str], ...]
    segment_rows: tuple[tuple[str, ...], ...]
    method: tuple[str, ...]
    figures: dict[str, str] = field(default_factory=dict)
    generated: str = ""


def svg_data_uri(svg: str) -> str:
    """An SVG as a data URI for ``<img>`` (scripts in it never run there)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def build_report(
    topology: Topology,
    *,
    name: str | None = None,
    lang: str = "en",
    redacted: bool = False,
    figures: Mapping[str, str] | None = None,
) -> Report:
    """Gather the :class:`Report` of one analysed set (``name``: the topology's by default;
    ``redacted``: its traces went through :func:`redact_traces`); ``figures`` maps a
    heading key to SVG text."""
    words = text(lang)
    result = topology.inference
    G = topology.graph
    # sorted as text, as the article's plain `sort` did
    hop_addrs = sorted({d["addr"] for _, d in G.nodes(data=True) if d.get("kind") == "hop"})
    public_rows = []
    special_rows = []
    unresolved = []
    sources: Counter[str] = Counter()
    for addr in hop_addrs:
        answer = topology.answers.get(addr)
        if answer is None:
            continue
        cls = answer.classification
        if cls.special:
            special_rows.append((addr, cls.name or "-", cls.rfc or "-"))
            continue
        owner = answer.owner
        if owner is None or owner.family is None:
            unresolved.append(addr)
        if owner is not None and owner.answered_by:
            sources.update(owner.answered_by.split("+"))
        public_rows.append(
            (
                addr,
                (owner.org if owner else None) or "-",
                (owner.family if owner else None) or "-",
                (owner.region if owner else None) or "-",
                f"AS{owner.asn}" if owner and owner.asn is not None else "-",
            )
        )
    provider = next((t.provider for t in result.traces if t.provider), None) or "?"
    verdict_key = f"summary.{result.verdict}"
    exit_text = ""
    for trace in result.traces:
        if trace.exit:
            exit_text = (
                f"{trace.exit['from_addr']} → {trace.exit['to_addr']} ({trace.exit['to_owner']})"
            )
            break
    summary = [words[verdict_key].format(provider=provider, exit=exit_text)]
    segment_rows = []
    for segment in result.segments:
        kind = KIND_JA.get(segment.kind, segment.kind) if lang == "ja" else segment.kind
        unpublished = words["unpublished"].format(provider=provider)
        ends = (segment.from_region or unpublished, segment.to_region or unpublished)
        side = open_side(segment.to_dict()) if segment.kind == "open" else None
        if side == "after":
            ends = (ends[0], words["open.after"].format(provider=provider))
        elif side == "before":
            ends = (words["open.before"].format(provider=provider), ends[1])
        cats = ", ".join(f"{count} {cat}" for cat, count in segment.categories.items())
        rtt = "-" if segment.rtt_delta_ms is None else f"{segment.rtt_delta_ms:.2f}"
        bound = "-" if segment.rtt_bound_ms is None else f"{segment.rtt_bound_ms:.2f}"
        summary.append(
            words["summary.segment"].format(
                count=len(segment.addrs),
                categories=cats,
                kind=kind,
                from_region=ends[0],
                to_region=ends[1],
                rtt=rtt,
                bound=bound,
            )
        )
        plausible = {True: words["yes"], False: words["no"], None: words["unknown"]}
        segment_rows.append(
            (
                kind,
                f"{ends[0]} → {ends[1]}",
                f"{len(segment.addrs)} ({cats})",
                f"{rtt} ms",
                f"{bound} ms",
                "-" if segment.directness is None else f"{segment.directness:.2f}",
                plausible[segment.rtt_plausible],
                "-" if segment.confidence is None else f"{segment.confidence:.0%}",
            )
        )
    reasons = tuple(
        reason_text(reason, lang) for trace in result.traces for reason in trace.reasons
    )
    formats = Counter(t.format or "?" for t in result.traces)
    online = topology.online
    method = [
        words["method.traces"].format(
            count=len(result.traces), formats=", ".join(f"{n} {f}" for f, n in formats.items())
        ),
        words["method.classify"],
        words["method.owners"].format(sources=", ".join(sorted(sources)) or words["none"]),
        words["method.online"].format(state=words["on"] if online else words["off"]),
        words["method.bound"],
    ]
    if topology.data_dates:
        dates = ", ".join(
            f"{provider} ranges {date:%Y-%m-%d}"
            for provider, date in topology.data_dates.items()
            if date is not None
        )
        method.append(words["method.data"].format(dates=dates))
    method.append(words["method.unresolved"].format(addrs=", ".join(unresolved) or words["none"]))
    method.extend(f"{credit}." for credit in credits_for(sources))
    if redacted:
        method.append(words["method.redacted"])
    return Report(
        name=report_name(topology, name),
        lang=lang,
        verdict=result.verdict,
        summary=tuple(summary),
        reasons=reasons,
        public_rows=tuple(public_rows),
        special_rows=tuple(special_rows),
        segment_rows=tuple(segment_rows),
        method=tuple(method),
        figures=dict(figures or {}),
        generated=words["generated"].format(
            date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), version=__version__
        ),
    )


def _md(value: str) -> str:
    """A Markdown table cell or line: HTML-escaped, pipes escaped, one line."""
    return html.escape(" ".join(value.split()), quote=False).replace("|", "\\|")


def _md_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(_md(h) for h in headers) + " |"]
    lines.append("|" + "|".join("---" for _ in headers) + "|")
    lines.extend("| " + " | ".join(_md(cell) for cell in row) + " |" for row in rows)
    return lines


_COLUMNS = {
    "public": ("col.addr", "col.org", "col.family", "col.region", "col.asn"),
    "special": ("col.addr", "col.name", "col.rfc"),
    "segments": ("col.kind", "col.regions", "col.hops", "col.rtt", "col.bound",
                 "col.directness", "col.plausible", "col.confidence"),
}  # fmt: skip


def _headers(words: dict[str, str]) -> dict[str, list[str]]:
    return {table: [words[k] for k in keys] for table, keys in _COLUMNS.items()}


def render_markdown(report: Report) -> str:
    """The report as Markdown (figures as SVG data URIs, so the file stands alone)."""
    words = text(report.lang)
    heads = _headers(words)
    verdict = words[f"verdict.{report.verdict}"]
    out = [f"# {_md(words['title'].format(name=report.name))}", "", _md(report.generated), ""]
    out += [f"## {words['h.verdict']}: {verdict}", ""]
    out += [*(_md(line) for line in report.summary), ""]
    out += [f"### {words['h.evidence']}", "", *(f"- {_md(r)}" for r in report.reasons), ""]
    out += [f"## {words['h.public']}", "", *_md_table(heads["public"], report.public_rows), ""]
    out += [f"## {words['h.special']}", ""]
    out += [*_md_table(heads["special"], report.special_rows), ""]
    for key, svg in report.figures.items():
        out += [
            f"## {words.get(key, key)}",
            "",
            f"![{words.get(key, key)}]({svg_data_uri(svg)})",
            "",
        ]
    if report.segment_rows:
        out += [f"## {words['h.segments']}", ""]
        out += [*_md_table(heads["segments"], report.segment_rows), ""]
    out += [f"## {words['h.method']}", "", *(f"- {_md(line)}" for line in report.method)]
    return "\n".join(out) + "\n"


STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI","Noto Sans CJK JP",sans-serif;
margin:2rem auto;max-width:70rem;padding:0 1rem;color:#1d2330}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}
th,td{border:1px solid #ccd;padding:.25rem .6rem;text-align:left;overflow-wrap:anywhere;
font-variant-numeric:tabular-nums}th{background:#eef1f7}
.verdict{font-size:1.2rem;padding:.6rem 1rem;border-radius:.4rem;background:#eef7ee}
.verdict.left-provider{background:#fbeaea}.verdict.undetermined,.verdict.incomplete{background:#fdf5e6}
img{max-width:100%;height:auto}small{color:#667}
@media (max-width:700px){body{margin:1rem auto;padding:0 .6rem}th,td{padding:.2rem .35rem;
font-size:.85rem}h1{font-size:1.4rem}}
@media print{*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
body{margin:0;max-width:none;padding:0;font-size:10pt}
button,input,select,nav,.controls{display:none!important}summary{list-style:none}
summary::-webkit-details-marker{display:none}.scroll{overflow:visible}
table,img,.card,li{break-inside:avoid}h1,h2,h3{break-after:avoid}}
"""
#: The head of every HTML file topo writes besides the topology page: a viewport for phones,
#: a Content-Security-Policy that lets no request leave it, and ``style`` (``lang``,
#: ``title`` escaped by the caller).
HEAD = (
    '<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
    "img-src data:; style-src 'unsafe-inline'\">"
    "<title>{title}</title><style>{style}</style></head><body>"
)


def html_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_html(report: Report) -> str:
    """The report as one self-contained HTML file (no request leaves it)."""
    words = text(report.lang)
    heads = _headers(words)
    esc = html.escape
    parts = [
        HEAD.format(
            lang=report.lang, title=esc(words["title"].format(name=report.name)), style=STYLE
        ),
        f"<h1>{esc(words['title'].format(name=report.name))}</h1><small>{esc(report.generated)}</small>",
        f"<h2>{esc(words['h.verdict'])}</h2>",
        f'<p class="verdict {esc(report.verdict)}">{esc(words[f"verdict.{report.verdict}"])}</p>',
        "".join(f"<p>{esc(line)}</p>" for line in report.summary),
        f"<h3>{esc(words['h.evidence'])}</h3><ul>",
        "".join(f"<li>{esc(reason)}</li>" for reason in report.reasons),
        "</ul>",
        f"<h2>{esc(words['h.public'])}</h2>",
        html_table(heads["public"], report.public_rows),
        f"<h2>{esc(words['h.special'])}</h2>",
        html_table(heads["special"], report.special_rows),
    ]
    for key, svg in report.figures.items():
        title = esc(words.get(key, key))
        parts.append(f'<h2>{title}</h2><img alt="{title}" src="{svg_data_uri(svg)}">')
    if report.segment_rows:
        parts += [f"<h2>{esc(words['h.segments'])}</h2>"]
        parts += [html_table(heads["segments"], report.segment_rows)]
    parts += [f"<h2>{esc(words['h.method'])}</h2><ul>"]
    parts += [f"<li>{esc(line)}</li>" for line in report.method] + ["</ul></body></html>"]
    return "\n".join(parts)


#: The report's topology figure: 10 x 5.625 in (16:9), its smallest text 9 pt at that
#: width, so 12 px where a browser shows it at its own size and 11 px in a 880 px column.
REPORT_FIGURE_SIZE = (10.0, 5.625)


def report_name(topology: Topology, name: str | None = None) -> str:
    """What a report calls the set: ``name``, the topology's (its manifest's), else its
    contents (:func:`topo.render.titles.page_title`, as its page is titled)."""
    return page_title(topology, name)


def report_figures(topology: Topology, lang: str = "en", name: str | None = None) -> dict[str, str]:
    """The report's figures as SVG text: the topology figure (the region map, titled with
    the set's name, :data:`REPORT_FIGURE_SIZE`) and the RTT profile (of the set's last
    region pair), keyed by their heading."""
    from topo.render.figure import figure
    from topo.render.plots import rtt_profile_svg
    from topo.topology.compare import compare

    figures: dict[str, str] = {}
    size = REPORT_FIGURE_SIZE
    with tempfile.TemporaryDirectory(prefix="topo-report-") as folder:
        title = report_name(topology, name)
        target = Path(folder) / "topology.svg"
        path = figure(topology.graph, target, title=title, size=size, slide_width=size[0])
        figures["h.figure"] = path.read_text(encoding="utf-8")
    labels = {"x": "TTL", "y": "RTT (ms)"}
    if lang == "ja":
        labels |= {"reserved": "予約済みアドレス区間", "bound": "伝搬遅延の下限"}
    for pair in compare([topology]).pairs:
        figures["h.rtt"] = rtt_profile_svg(pair.rtt_profiles, bound_ms=pair.rtt_bound_ms,
                                           title=pair.pair, labels=labels)  # fmt: skip
    return figures


def write_report(
    topology: Topology,
    path: str | Path,
    *,
    lang: str = "en",
    name: str | None = None,
    redacted: bool = False,
) -> Report:
    """Write the report of ``topology`` to ``path``: Markdown for ``.md``, one
    self-contained HTML file for ``.html``/``.htm`` (figures embedded); returns it.

    >>> import tempfile
    >>> from topo.topology.analyze import analyze
    >>> target = Path(tempfile.mkdtemp()) / "osaka-tokyo.md"
    >>> write_report(analyze(["samples/aws-osaka-tokyo"]), target).verdict
    'on-provider'
    """
    target = Path(path)
    if target.suffix.lower() not in (".md", ".html", ".htm"):
        raise UsageError(f"{target}: the report is .md or .html")
    name = report_name(topology, name)
    figures = report_figures(topology, lang, name)
    report = build_report(topology, name=name, lang=lang, redacted=redacted, figures=figures)
    rendered = render_markdown(report) if target.suffix.lower() == ".md" else render_html(report)
    write_atomically(target, rendered)
    return report
