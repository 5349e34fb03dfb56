"""Commands that compare sets and write reports: ``topo compare`` and ``topo report``."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import click

from topo.atomic import replacing, write_atomically
from topo.cli.app import encoding_option, finish, format_option, quiet_option, set_quiet
from topo.cli.outputs import force_option, refuse_existing, require_traces, title_option
from topo.cli.owners import _warn, owner_options, progress_bar
from topo.errors import ParseError, UsageError
from topo.inputs import Manifest, covering_manifest, find_manifest, manifests_for, read_traces
from topo.owners import OwnerResolver, ResolverConfig
from topo.render.compare_page import render_comparison_html
from topo.render.i18n import LANGUAGES
from topo.render.report import redact_traces, write_report
from topo.render.text import format_table, terminal_safe
from topo.render.titles import comparison_title
from topo.topology import analyze
from topo.topology.compare import COLUMNS, Comparison
from topo.topology.compare import compare as compare_topologies


def _set_name(path: str) -> str:
    """A set's name: its manifest's ``name``, else its file or folder name."""
    try:
        manifest = find_manifest(path) if path != "-" else None
    except ParseError:
        manifest = None  # reported where the manifests are read
    if manifest is not None and manifest.name:
        return manifest.name
    return Path(path).name or path


def _manifests(ctx: click.Context, paths: tuple[str, ...]) -> dict[str, Manifest | None]:
    """The manifests of ``paths`` (a broken one reported, and left out)."""
    try:
        return manifests_for(p for p in paths if p != "-")
    except ParseError as err:
        ctx.obj.report(err)
        return {}


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
            click.echo(terminal_safe(f"  {direction.forward}  vs  {direction.backward}:"))
            for difference in direction.differences or ("no differences measured",):
                click.echo(terminal_safe(f"    {difference}"))
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
@click.option("--title", help="The page's title (default: from the contents: '6 sets "
              "compared: 5 region pairs, 16 traces').")  # fmt: skip
@force_option
@quiet_option
@click.pass_context
def compare(
    ctx: click.Context,
    /,
    sets: tuple[str, ...],
    quiet: bool,
    as_json: bool,
    csv_path: Path | None,
    output: Path | None,
    split: str,
    title: str | None,
    force: bool,
    format_name: str | None,
    encoding: str | None,
    **owner: Any,
) -> None:
    """Compare region pairs side by side: each SET is a trace folder (or file). A set
    without a trace is reported and left out; when none has one, nothing is written."""
    set_quiet(ctx, quiet)
    refuse_existing([csv_path, output], force=force, inputs=sets)
    per_set = {path: _manifests(ctx, (path,)) for path in sets}
    tables = [t for found in per_set.values() for m in found.values() if m for t in m.owner_tables]
    config = ResolverConfig.from_options(**owner).with_tables(tables)
    # one resolver for every set: each set's owner tables answer for all of them
    with OwnerResolver(config, warn=_warn, progress=progress_bar()) as resolver:
        for problem in resolver.stale_data_warnings():
            _warn(problem)
        for error in resolver.table_errors:
            ctx.obj.report(error)
        topologies = [
            analyze(
                [path],
                owners=resolver,
                manifests=per_set[path],
                name=_set_name(path),
                format=format_name,
                encoding=encoding,
                on_error=ctx.obj.report,
            )
            for path in sets
        ]
    require_traces(sum(t.trace_count for t in topologies), sets)
    for path, topology in zip(sets, topologies, strict=True):
        if not topology.trace_count:
            ctx.obj.report(f"{path}: no traces; left out of the comparison")
    topologies = [t for t in topologies if t.trace_count]
    comparison = compare_topologies(topologies, by_region_pair=split == "region-pair")
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
        shown = title or comparison_title([t.graph for t in topologies])
        write_atomically(output, render_comparison_html(comparison, title=shown))
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
@title_option("report")
@force_option
@quiet_option
@click.pass_context
def report(
    ctx: click.Context,
    /,
    sets: tuple[str, ...],
    quiet: bool,
    output: Path,
    lang: str,
    redact: bool,
    title: str | None,
    force: bool,
    format_name: str | None,
    encoding: str | None,
    **owner: Any,
) -> None:
    """Write a self-contained report: the article's tables and evidence for your traces.
    Inputs without a trace write nothing (exit 1)."""
    if output.suffix.lower() not in (".md", ".html", ".htm"):
        raise UsageError(f"{output}: the report is .md or .html")
    set_quiet(ctx, quiet)
    refuse_existing([output], force=force, inputs=sets)
    traces = read_traces(sets, format=format_name, encoding=encoding)
    manifests = _manifests(ctx, sets)
    covering = covering_manifest(sets, manifests)
    topology = analyze(
        redact_traces(traces) if redact else traces,
        owners=ResolverConfig.from_options(**owner),
        manifests=manifests,
        name=covering.name if covering is not None else None,
        on_error=ctx.obj.report,
        on_warning=_warn,
        on_lookup=progress_bar(),
    )
    require_traces(topology.trace_count, sets)
    document = write_report(topology, output, lang=lang, name=title, redacted=redact)
    click.echo(f"{output}: {document.verdict}")
    finish(ctx)
