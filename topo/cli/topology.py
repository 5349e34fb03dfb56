"""Commands over the merged topology: ``topo infer`` and ``topo build``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from topo import render
from topo.cli.app import encoding_option, finish, format_option, set_quiet
from topo.cli.outputs import (
    covering_name,
    force_option,
    refuse_existing,
    require_traces,
    title_option,
)
from topo.cli.owners import _warn, owner_options, progress_bar
from topo.cli.progress import IngestProgress
from topo.engines import pick_engine
from topo.errors import EXIT_CONDITION, TopoError
from topo.owners import ResolverConfig
from topo.render.aggregate import DEFAULT_MAX_NODES
from topo.render.text import format_table, region_span, terminal_safe
from topo.topology import Topology, analyze
from topo.topology.infer import VERDICTS, Inference


def analyze_paths(
    ctx: click.Context,
    paths: tuple[str, ...],
    format_name: str | None,
    encoding: str | None,
    owner: dict[str, Any],
    *,
    jobs: int | None = None,
    engine: str = "local",
    scheduler: str | None = None,
    quiet: bool = True,
    profiles: bool = False,
) -> Topology:
    """:func:`topo.analyze` of every input with the command's options; errors and warnings
    reported on the way, and a warning when public addresses stayed unresolved offline. No
    step profiles (``build`` and ``infer`` read none) unless ``profiles``."""
    set_quiet(ctx, quiet)
    progress = IngestProgress(enabled=False if quiet else None)
    config = ResolverConfig.from_options(**owner)
    topology = analyze(
        paths,
        owners=config,
        engine=pick_engine(engine, jobs=jobs, scheduler=scheduler),
        format=format_name,
        encoding=encoding,
        on_error=ctx.obj.report,
        on_warning=_warn,
        on_lookup=progress_bar(),
        progress=progress,
        profiles=profiles,
    )
    progress.close()
    public = [a for a in topology.answers.values() if not a.classification.special]
    unresolved = [a for a in public if a.owner is None or a.owner.family is None]
    if unresolved and not config.online:
        _warn(
            f"{len(unresolved)} of {len(public)} public addresses "
            "unresolved; --online would look them up"
        )
    return topology


def _print_inference(inference: Inference) -> None:
    for trace in inference.traces:
        click.echo(terminal_safe(f"{trace.origin}  {trace.verdict}"))
        click.echo(terminal_safe(f"  {trace.strip}"))
        for reason in trace.reasons:
            click.echo(terminal_safe(f"  - {reason}"))
    if inference.segments:
        click.echo("\nInterconnect segments (merged):")
        rows = []
        for s in inference.segments:
            cats = ", ".join(f"{n} {c}" for c, n in s.categories.items())
            rtt = "-" if s.rtt_delta_ms is None else f"{s.rtt_delta_ms:.2f} ms"
            bound = "-" if s.rtt_bound_ms is None else f"{s.rtt_bound_ms:.2f} ms"
            plausible = {True: "yes", False: "NO", None: "?"}[s.rtt_plausible]
            fibre = "-" if s.fibre_km is None else f"{s.fibre_km:,.0f} km"  # light's reach
            held = f"{len(s.addrs)} address{'es' if len(s.addrs) != 1 else ''} ({cats})"
            rows.append([s.segment_id, s.kind, region_span(s),
                         held, rtt, fibre, bound, plausible,
                         f"{s.confidence:.0%}" if s.confidence is not None else "-"])  # fmt: skip
        headers = ["ID", "KIND", "REGIONS", "RESERVED", "RTT GAINED", "FIBRE (UP TO)", "BOUND",
                   "PLAUSIBLE", "CONFIDENCE"]  # fmt: skip
        click.echo(format_table(rows, headers=headers))
    counts = ", ".join(f"{n} {c}" for c, n in inference.verdict_counts.items() if n)
    click.echo(f"\nVerdict: {inference.verdict} ({counts or 'no traces'})")


#: How the inputs of a whole input set are read (``build``, ``infer``).
INGEST_OPTIONS = [
    click.option(
        "-q",
        "--quiet",
        is_flag=True,
        help="No progress line (it shows only on a terminal anyway), no warning about the "
        "age of the shipped data (shown at most once a day anyway).",
    ),
    click.option(
        "-j",
        "--jobs",
        type=click.IntRange(min=1),
        help="Worker processes reading the inputs (default: the CPUs this process may use, its "
        "cores capped by a container's CPU quota; 1: no workers). The result is the same "
        "whatever the number.",
    ),
    click.option(
        "--engine",
        type=click.Choice(["local", "dask"]),
        default="local",
        show_default=True,
        help="Where the workers run: local processes, or a Dask cluster (needs topo[dask]).",
    ),
    click.option(
        "--scheduler",
        metavar="ADDRESS",
        help="Dask scheduler address (tcp://host:8786); default: a local cluster of --jobs "
        "workers.",
    ),
]


def ingest_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--quiet``, ``--jobs``, ``--engine`` and ``--scheduler``: how the inputs are read
    (the commands that merge a whole input set: build, infer)."""
    for option in reversed(INGEST_OPTIONS):
        command = option(command)
    return command


@click.command()
@click.argument("paths", nargs=-1, required=True)
@owner_options
@format_option
@encoding_option
@click.option("--json", "as_json", is_flag=True, help="Write the inference as one JSON document.")
@ingest_options
@click.option(
    "--fail-on",
    type=click.Choice(VERDICTS),
    help="Exit 3 when the set's verdict is this one or worse (for pipelines).",
)
@click.pass_context
def infer(
    ctx: click.Context,
    /,
    paths: tuple[str, ...],
    as_json: bool,
    fail_on: str | None,
    format_name: str | None,
    encoding: str | None,
    quiet: bool,
    jobs: int | None,
    engine: str,
    scheduler: str | None,
    **owner: Any,
) -> None:
    """Find the provider's interconnect segments and say whether the path stayed on it."""
    topology = analyze_paths(
        ctx, paths, format_name, encoding, owner,
        jobs=jobs, engine=engine, scheduler=scheduler, quiet=quiet,
    )  # fmt: skip
    inference = topology.inference
    if as_json:
        click.echo(json.dumps(inference.to_dict(), ensure_ascii=False, indent=1))
    else:
        _print_inference(inference)
    if fail_on and topology.traces and VERDICTS.index(inference.verdict) <= VERDICTS.index(fail_on):
        ctx.exit(EXIT_CONDITION)
    finish(ctx)


@click.command()
@click.argument("paths", nargs=-1, required=True)
@owner_options
@format_option
@encoding_option
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the HTML page here (default: output/<slug>.html, the slug from the "
    "manifest's name or the inputs' names, with a hash of them for several inputs; not "
    "written when only graph files are asked for).",
)
@click.option(
    "--figure",
    "figure_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write a static figure (.svg, .png or .pdf; needs matplotlib): the region map, "
    "its text kept as text.",
)
@click.option(
    "--figure-size",
    default="16:9",
    show_default=True,
    metavar="WxH|W:H",
    help="The figure's size: WxH in inches (10x5.625) or a ratio W:H at a 13.33 in slide's "
    "width (4:3); its text is at least 9 pt when it is shown full-width on a 16:9 slide.",
)
@click.option(
    "--max-nodes",
    type=click.IntRange(min=0),
    default=DEFAULT_MAX_NODES,
    show_default=True,
    help="Node budget of the drawings: above it, reserved runs collapse into segment nodes "
    "and addresses into prefixes (0: no budget).",
)
@click.option("--physics", is_flag=True, hidden=True)  # had effect before the region map
@title_option("page and figure")
@click.option("--graphml", type=click.Path(dir_okay=False, path_type=Path), help="Write GraphML.")
@click.option("--gexf", type=click.Path(dir_okay=False, path_type=Path), help="Write GEXF.")
@click.option(
    "--graph-json", type=click.Path(dir_okay=False, path_type=Path), help="Write node-link JSON."
)
@force_option
@ingest_options
@click.pass_context
def build(
    ctx: click.Context,
    /,
    paths: tuple[str, ...],
    quiet: bool,
    force: bool,
    output: Path | None,
    figure_path: Path | None,
    figure_size: str,
    max_nodes: int,
    physics: bool,
    title: str | None,
    graphml: Path | None,
    gexf: Path | None,
    graph_json: Path | None,
    format_name: str | None,
    encoding: str | None,
    jobs: int | None,
    engine: str,
    scheduler: str | None,
    **owner: Any,
) -> None:
    """Merge traces into one topology and draw it as an interactive HTML page.

    The page is self-contained (works offline, from an e-mail attachment); the graph
    writers (GraphML, GEXF, node-link JSON) and a static figure are options. Given only
    graph writers, only the graph files are written (add ``-o`` for the page too). A file
    that exists before the run is not overwritten without ``--force``; inputs without a
    trace write nothing (exit 1).
    """
    page = output
    if page is None and not (graphml or gexf or graph_json):
        page = render.default_output(covering_name(paths), list(paths))
    size = render.parse_figure_size(figure_size)  # a bad size fails before the reading
    refuse_existing([page, figure_path, graphml, gexf, graph_json], force=force, inputs=paths)
    topology = analyze_paths(
        ctx, paths, format_name, encoding, owner,
        jobs=jobs, engine=engine, scheduler=scheduler, quiet=quiet,
    )  # fmt: skip
    require_traces(topology.trace_count, paths)
    G = topology.graph
    for path, writer in (
        (graphml, render.graph_files.write_graphml),
        (gexf, render.graph_files.write_gexf),
        (graph_json, render.graph_files.write_graph_json),
    ):
        if path is not None:
            writer(G, path)  # its folders made as it is written (topo.atomic)
            click.echo(f"{path}: {G.number_of_nodes()} nodes, {G.number_of_edges()} edges")
    shown = render.page_title(topology, title)
    budget = max_nodes or None
    if physics:
        _warn("--physics has no effect any more: the page keeps its computed layout")
    if page is not None:
        render.write_html(topology, page, title=shown, max_nodes=budget)
        click.echo(terminal_safe(f"{page}: {_drawn(G, budget)}"))
    if figure_path is not None:
        try:
            render.write_figure(topology, figure_path, title=shown, size=size)
        except ImportError as err:
            raise TopoError(str(err)) from err
        click.echo(terminal_safe(f"{figure_path}: figure"))
    finish(ctx)


def _drawn(G: Any, budget: int | None) -> str:
    text = f"{G.number_of_nodes()} nodes, {G.number_of_edges()} edges"
    if budget and G.number_of_nodes() > budget:
        text += f" (over --max-nodes {budget}: aggregated on the page)"
    return text
