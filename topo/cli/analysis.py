"""Commands that compare sets and write reports: ``topo compare`` and ``topo report``."""

from __future__ import annotations

import csv
import json
import tempfile
from pathlib import Path
from typing import Any

import click

from topo.atomic import replacing, write_atomically
from topo.cli.app import encoding_option, finish, format_option
from topo.cli.owners import _warn, owner_options, resolver_from_options
from topo.cli.topology import load_set
from topo.errors import UsageError
from topo.inputs.manifest import find_manifest
from topo.model import Trace
from topo.render.compare_page import render_comparison_html
from topo.render.i18n import LANGUAGES, text
from topo.render.report import build_report, redact_traces, render_html, render_markdown
from topo.render.text import format_table
from topo.topology.compare import COLUMNS, Comparison, TraceSet, compare_sets
from topo.topology.graph import build_graph
from topo.topology.infer import infer_interconnects
from topo.topology.views import answers_for


def _set_name(path: str) -> str:
    manifest = find_manifest(path) if path != "-" else None
    if manifest is not None and manifest.name:
        return manifest.name
    return Path(path).name or path


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"
    return str(value)


def _print_comparison(comparison: Comparison) -> None:
    headers = ["SET", "PAIR", "TRACES", "HOPS", "RESERVED", "CGNAT", "CLASS-E", "OTHER",
               "SEGMENTS", "RTT GAINED", "BOUND", "DIRECT.", "E2E RTT", "FAMILIES", "ECMP",
               "VERDICT"]  # fmt: skip
    rows = []
    for pair in comparison.pairs:
        row = pair.row()
        share = row["reserved_share"]
        row["reserved_share"] = None if share is None else f"{share:.0%}"
        rows.append([_cell(row[c]) for c in COLUMNS if c != "segment_hops"])
    click.echo(format_table(rows, headers=headers))
    if comparison.directions:
        click.echo("\nTraced both ways:")
        for direction in comparison.directions:
            diffs = ", ".join(
                f"{k} {v:+g}" for k, v in direction.asymmetry.items() if v is not None
            )
            click.echo(f"  {direction.forward}  vs  {direction.backward}: {diffs or 'no data'}")
            click.echo(f"    {len(direction.shared_nodes)} nodes on both directions")
    click.echo(f"\n{len(comparison.shared)} nodes shared between sets")
    for label, nodes in comparison.unique.items():
        click.echo(f"{len(nodes)} nodes only in {label}")


@click.command()
@click.argument("sets", nargs=-1, required=True, metavar="SET...")
@owner_options
@format_option
@encoding_option
@click.option("--json", "as_json", is_flag=True, help="Write the comparison as one JSON document.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the table as CSV.")  # fmt: skip
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the side-by-side page (HTML).")  # fmt: skip
@click.option("--by", "split", type=click.Choice(["set", "region-pair"]), default="set",
              show_default=True, help="A row per set, or per region pair in each set.")  # fmt: skip
@click.pass_context
def compare(
    ctx: click.Context,
    /,
    sets: tuple[str, ...],
    as_json: bool,
    csv_path: Path | None,
    output: Path | None,
    split: str,
    format_name: str | None,
    encoding: str | None,
    **owner: Any,
) -> None:
    """Compare region pairs side by side: each SET is a trace folder (or file)."""
    trace_sets = []
    every: list[Trace] = []
    tables: list[Path] = []
    for path in sets:
        traces, manifests = load_set(ctx, (path,), format_name, encoding)
        tables.extend(t for m in manifests.values() if m for t in m.owner_tables)
        trace_sets.append(TraceSet(_set_name(path), traces, manifests))
        every.extend(traces)
    owner = {**owner, "owner_tables": (*owner["owner_tables"], *tables)}
    resolver = resolver_from_options(**owner, warn=_warn)
    try:
        answers = answers_for(every, resolver)
        for error in resolver.table_errors:
            ctx.obj.report(error)
    finally:
        resolver.close()
    comparison = compare_sets(trace_sets, answers, by_region_pair=split == "region-pair")
    if as_json:
        click.echo(json.dumps(comparison.to_dict(), ensure_ascii=False, indent=1))
    else:
        _print_comparison(comparison)
    if csv_path is not None:
        with (
            replacing(csv_path) as temporary,
            temporary.open("w", newline="", encoding="utf-8") as handle,
        ):
            writer = csv.DictWriter(handle, fieldnames=list(COLUMNS))
            writer.writeheader()
            for pair in comparison.pairs:
                writer.writerow(pair.row())
    if output is not None:
        write_atomically(output, render_comparison_html(comparison))
        click.echo(f"{output}: {len(comparison.pairs)} pairs", err=as_json)
    finish(ctx)


@click.command()
@click.argument("sets", nargs=-1, required=True, metavar="SET...")
@owner_options
@format_option
@encoding_option
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="output/NAME.md (Markdown) or output/NAME.html.")  # fmt: skip
@click.option("--lang", type=click.Choice(LANGUAGES), default="en", show_default=True)
@click.option("--redact", is_flag=True, help="Hide the vantage's address and host names.")
@click.pass_context
def report(
    ctx: click.Context,
    /,
    sets: tuple[str, ...],
    output: Path,
    lang: str,
    redact: bool,
    format_name: str | None,
    encoding: str | None,
    **owner: Any,
) -> None:
    """Write a self-contained report: the article's tables and evidence for your traces."""
    if output.suffix.lower() not in (".md", ".html", ".htm"):
        raise UsageError(f"{output}: the report is .md or .html")
    traces, manifests = load_set(ctx, sets, format_name, encoding)
    if redact:
        traces = redact_traces(traces)
    tables = [t for m in manifests.values() if m for t in m.owner_tables]
    owner = {**owner, "owner_tables": (*owner["owner_tables"], *tables)}
    resolver = resolver_from_options(**owner, warn=_warn)
    try:
        answers = answers_for(traces, resolver)
        for error in resolver.table_errors:
            ctx.obj.report(error)
        online = resolver.config.online
        dates = {f"{p} ranges": d for p, d in resolver.cloud.dates.items()}
    finally:
        resolver.close()
    name = _set_name(sets[0])
    figures = _report_figures(traces, answers, manifests, lang, name)
    document = build_report(traces, answers, name=name, lang=lang, manifests=manifests,
                            figures=figures, online=online, data_dates=dates)  # fmt: skip
    rendered = render_markdown(document) if output.suffix == ".md" else render_html(document)
    write_atomically(output, rendered)
    click.echo(f"{output}: {document.verdict}")
    finish(ctx)


def _topology_figure_svg(graph: Any) -> str:
    """The static topology figure of ``graph`` as SVG text (drawn by topo.render)."""
    from topo.render import figure

    with tempfile.TemporaryDirectory(prefix="topo-report-") as folder:
        path = figure(graph, Path(folder) / "topology.svg")
        return path.read_text(encoding="utf-8")


def _report_figures(
    traces: list[Trace], answers: Any, manifests: Any, lang: str, name: str
) -> dict[str, str]:
    """The topology figure (when the renderer offers one) and the RTT profile."""
    from topo.render.plots import rtt_profile_svg

    words = text(lang)
    figures: dict[str, str] = {}
    comparison = compare_sets([TraceSet(name, traces, manifests)], answers)
    graph = build_graph(traces, answers, manifests=manifests)
    infer_interconnects(traces, answers, manifests=manifests, graph=graph)
    figures["h.figure"] = _topology_figure_svg(graph)
    labels = {"x": "TTL", "y": "RTT (ms)"}
    if lang == "ja":
        labels |= {"reserved": "予約済みアドレス区間", "bound": "伝搬遅延の下限"}
    for pair in comparison.pairs:
        figures["h.rtt"] = rtt_profile_svg(pair.rtt_profiles, bound_ms=pair.rtt_bound_ms,
                                           title=pair.pair, labels=labels)  # fmt: skip
    del words
    return figures
