"""Commands about owners and reference data: ``topo whois`` and ``topo data``."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from topo.classify.addresses import is_address
from topo.cli.app import (
    encoding_option,
    finish,
    format_option,
    quiet_option,
    set_quiet,
    target_addresses,
    warn,
)
from topo.inputs.manifest import manifests_for
from topo.owners import OwnerAnswer, OwnerResolver, ResolverConfig
from topo.owners.model import AddressHints
from topo.render.text import format_table

F = TypeVar("F", bound=Callable[..., Any])


def owner_options(command: F) -> F:
    """The options every command that resolves owners shares."""
    options = [
        click.option(
            "--online/--offline",
            default=None,
            help="Look unknown public addresses up with RDAP/whois (default: offline; "
            "TOPO_ONLINE=1 turns it on).",
        ),
        click.option(
            "--cache",
            "cache_path",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Owner cache file (default: owners.sqlite in the user cache folder).",
        ),
        click.option("--no-cache", is_flag=True, help="Neither read nor write the owner cache."),
        click.option(
            "--owner-table",
            "owner_tables",
            multiple=True,
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            help="CSV prefix,org[,asn][,region] that wins over every other source (repeatable).",
        ),
        click.option("--rdap-url", help="RDAP mirror base URL (implies --online)."),
        click.option("--whois-server", help="whois mirror HOST[:PORT] (implies --online)."),
        click.option(
            "--cymru-server",
            help="Team Cymru-style bulk whois HOST[:PORT] for origin ASNs, or 'none' "
            "(default: whois.cymru.com:43 when online).",
        ),
        click.option(
            "--timeout",
            type=click.FloatRange(min=0.1),
            default=5.0,
            show_default=True,
            help="Seconds a dead server may cost the whole run.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def progress_bar(label: str = "looking up owners") -> Callable[[int, int], None] | None:
    """A progress callback drawing a bar on stderr (only on a terminal)."""
    if not sys.stderr.isatty():
        return None
    bars: list[Any] = []

    def update(done: int, total: int) -> None:
        if not bars:
            bars.append(click.progressbar(length=total, label=label, file=sys.stderr))
            bars[0].__enter__()
        bar = bars[0]
        bar.update(done - bar.pos)
        if done >= total:
            bar.__exit__(None, None, None)

    return update


_warn = warn


def _public_rows(answers: Sequence[OwnerAnswer]) -> list[list[str]]:
    rows = []
    for answer in answers:
        owner = answer.owner
        if owner is None:
            rows.append([answer.addr, "-", "-", "-", "-", "-", "-", answer.error or "-"])
            continue
        rows.append(
            [
                answer.addr,
                owner.org or "-",
                owner.family or "-",
                f"AS{owner.asn}" if owner.asn is not None else "-",
                owner.prefix or "-",
                owner.provider or "-",
                owner.region or "-",
                owner.answered_by or "-",
            ]
        )
    return rows


@click.command()
@click.argument("targets", nargs=-1, required=True, metavar="ADDR|PATH...")
@owner_options
@format_option
@encoding_option
@click.option("--json", "as_json", is_flag=True, help="Write JSON Lines, one record per address.")
@quiet_option
@click.pass_context
def whois(
    ctx: click.Context,
    /,
    targets: tuple[str, ...],
    as_json: bool,
    format_name: str | None,
    encoding: str | None,
    quiet: bool,
    **owner: Any,
) -> None:
    """Who owns each address: organisation, owner family, ASN, prefix, cloud region.

    Each TARGET is an address or a trace file/folder whose hop addresses are looked up.
    Special-purpose addresses (CGNAT, Class E, private, ...) are never looked up.
    """
    set_quiet(ctx, quiet)
    hints: dict[str, AddressHints] = {}
    addresses = target_addresses(ctx, targets, format=format_name, encoding=encoding, hints=hints)
    folders = [t for t in targets if not is_address(t) and t != "-"]
    manifests = manifests_for(folders)
    tables = [t for m in manifests.values() if m for t in m.owner_tables]
    config = ResolverConfig.from_options(**owner).with_tables(tables)
    with OwnerResolver(config, warn=_warn, progress=progress_bar()) as resolver:
        for problem in resolver.stale_data_warnings():
            _warn(problem)
        answers = resolver.resolve(addresses, hints)
        for error in resolver.table_errors:
            ctx.obj.report(error)
    public = [a for a in answers if not a.classification.special]
    special = [a for a in answers if a.classification.special]
    if as_json:
        for answer in answers:
            click.echo(json.dumps(answer.to_dict(), ensure_ascii=False))
    else:
        if public:
            click.echo(
                format_table(
                    _public_rows(public),
                    headers=[
                        "ADDRESS",
                        "ORG",
                        "FAMILY",
                        "ASN",
                        "PREFIX",
                        "PROVIDER",
                        "REGION",
                        "SOURCE",
                    ],
                )
            )
        if special:
            click.echo("" if not public else "\nSpecial-purpose addresses (never looked up):")
            rows = [
                [a.addr, a.classification.name or "-", a.classification.rfc or "-",
                 a.classification.category]
                for a in special
            ]  # fmt: skip
            click.echo(format_table(rows, headers=["ADDRESS", "NAME", "RFC", "CATEGORY"]))
    report = resolver.report
    if report.unresolved:
        online = resolver.config.online
        hint = "" if online else "; --online would look them up"
        _warn(f"{len(report.unresolved)} of {report.public} public addresses unresolved{hint}")
        if online:
            ctx.obj.failed = True
    finish(ctx)


@click.group()
def data() -> None:
    """Reference data: the cloud ranges and origin-AS table topo uses, updates, imports."""


@data.command("update")
@click.option(
    "--from",
    "mirror",
    metavar="URL|FOLDER|FILE",
    help="Read the files from a mirror instead of the publishers: an http(s):// URL "
    "({URL}/{file}), a local folder or file:// URL (a downloaded copy: topo's file name, "
    "its .gz or the publisher's), or one downloaded file (that dataset only).",
)
@click.option("--timeout", type=click.FloatRange(min=0.1), default=30.0, show_default=True)
@click.pass_context
def data_update(ctx: click.Context, mirror: str | None, timeout: float) -> None:
    """Download fresh AWS, Google Cloud and Oracle Cloud ranges and the origin-AS table
    (iptoasn.com), each validated and installed atomically."""
    from topo.owners.update import update_datasets

    for result in update_datasets(mirror=mirror, timeout=timeout):
        if result.error:
            ctx.obj.report(f"{result.url}: {result.error} (kept the previous copy)")
        else:
            date = f"{result.date:%Y-%m-%d}" if result.date else "undated"
            click.echo(
                f"{result.dataset}: {result.prefixes} prefixes, dated {date} -> {result.path}"
            )
    finish(ctx)


@data.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--date", "date_text", help="Date of the data (YYYY-MM-DD; default: file time).")
@click.pass_context
def data_import(ctx: click.Context, files: tuple[str, ...], date_text: str | None) -> None:
    """Import origin-AS data (ip2asn TSV, CAIDA pfx2as, AS names) for offline runs."""
    from topo.owners.ip2asn import AsnDatabase, database_path

    date = datetime.fromisoformat(date_text).replace(tzinfo=UTC) if date_text else None
    database = AsnDatabase(database_path())
    try:
        for name in files:
            if not Path(name).exists():
                ctx.obj.report(f"{name}: no such file or directory")
                continue
            summary = database.import_file(name, date=date)
            for error in summary.errors:
                ctx.obj.report(error)
            click.echo(
                f"{name}: {summary.kind}, {summary.rows} rows imported, {summary.skipped} skipped"
            )
    finally:
        database.close()
    finish(ctx)


@data.command("status")
def data_status() -> None:
    """Which data topo uses, from where, and how old it is."""
    resolver = OwnerResolver(ResolverConfig(use_cache=False))
    now = datetime.now(UTC)
    rows = []
    for provider, date in resolver.cloud.dates.items():
        age = f"{(now - date).days} days" if date else "?"
        rows.append([provider, f"{date:%Y-%m-%d}" if date else "-", age,
                     resolver.cloud.origins[provider]])  # fmt: skip
    if resolver.asn_db is not None:
        imported = resolver.asn_db.imported
        rows.append(["ip2asn", f"{imported:%Y-%m-%d}" if imported else "-",
                     f"{(now - imported).days} days" if imported else "?",
                     f"{resolver.asn_db.path} ({len(resolver.asn_db)} ranges)"])  # fmt: skip
    table = resolver.origin_as
    if table is not None:
        where = f"{table.origin} ({len(table)} ranges): {table.source}; {table.licence}"
        rows.append(["origin-as", f"{table.date:%Y-%m-%d}", f"{(now - table.date).days} days",
                     where])  # fmt: skip
    click.echo(format_table(rows, headers=["DATA", "DATED", "AGE", "FROM"]))
    for problem in resolver.stale_data_warnings():  # asked for: shown every time
        click.echo(f"topo: warning: {problem}", err=True)
    resolver.close()
