"""Every command's output on a fixed set of inputs, written to a folder: two folders made
before and after a change show whether the change kept topo's behaviour.

    python bench/snapshot.py OUT [--atlas FILE] [--text DIR]   # run every command
    python bench/snapshot.py OUT --code /tmp/old                # the same, another commit's code
    python bench/snapshot.py --diff BEFORE AFTER               # list the files that differ

It runs the ``topo`` on PATH (the installed one) as a user would: ``parse``, ``classify``,
``whois``, ``infer`` (text and JSON), ``build`` (page, GraphML, GEXF, node-link JSON and a
figure, with one process and with ``--jobs 2``), ``compare`` and ``report`` (Markdown, HTML,
Japanese), over the samples, every real file in ``tests/data`` and, when given, a large
RIPE Atlas file and a folder of text files (``bench/synth.py``). Standard output, standard
error and the exit code of each run are kept. What differs from one run to the next by
design (the generation time a page or report shows, matplotlib's random SVG ids and
metadata dates, the source line a matplotlib warning names) is replaced by a fixed text
before writing, nothing else.
"""

from __future__ import annotations

import argparse
import base64
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: Files in tests/data that are not traces (expected outputs, notes, commands).
NOT_TRACES = (".expected.json", ".truth.json", ".cmd", ".md")

_VOLATILE = [
    (re.compile(rb"\d{4}-\d\d-\d\d \d\d:\d\d UTC"), b"<TIME>"),
    (re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:\d\d|Z)?"), b"<TIMESTAMP>"),
    (re.compile(rb"<dc:date>[^<]*</dc:date>"), b"<dc:date/>"),
    (re.compile(rb"(id|href|clip-path|xlink:href)=\"[^\"]*?[0-9a-f]{10,}[^\"]*\""), rb'\1="<ID>"'),
    (re.compile(rb"url\(#[^)]*\)"), b"url(#<ID>)"),
    (re.compile(rb"/tmp/[A-Za-z0-9_./-]+"), b"<TMP>"),
    # matplotlib's warning names its own caller's file (which moves with the code)
    (re.compile(rb"(?m)^\S+\.py:\d+: UserWarning: Glyph "), b"UserWarning: Glyph "),
]


_EMBEDDED = re.compile(rb"(data:image/svg\+xml;base64,)([A-Za-z0-9+/=]+)")


def normalise(data: bytes) -> bytes:
    """``data`` with its run-dependent parts fixed (see the module docstring), also inside
    the SVG figures a page or report embeds as base64."""
    data = _EMBEDDED.sub(
        lambda m: m.group(1) + base64.b64encode(normalise(base64.b64decode(m.group(2)))), data
    )
    for pattern, replacement in _VOLATILE:
        data = pattern.sub(replacement, data)
    return data


def trace_files(folder: Path) -> list[str]:
    """The trace files of one tests/data folder, sorted."""
    return sorted(
        str(p.relative_to(ROOT))
        for p in folder.iterdir()
        if p.is_file() and not p.name.endswith(NOT_TRACES)
    )


def input_sets(atlas: str | None, text: str | None) -> dict[str, list[str]]:
    """Name -> command-line inputs of every set the snapshot runs over."""
    sets: dict[str, list[str]] = {}
    samples = sorted(p for p in (ROOT / "samples").iterdir() if p.is_dir())
    for folder in samples:
        sets[f"sample-{folder.name}"] = [str(folder.relative_to(ROOT))]
    sets["samples-all"] = [f"{p.relative_to(ROOT)}/" for p in samples]
    data = ROOT / "tests" / "data"
    for folder in sorted(p for p in data.iterdir() if p.is_dir() and not p.name.startswith("_")):
        sets[f"data-{folder.name}"] = trace_files(folder)
    sets["data-all"] = [f for name in sorted(sets) if name.startswith("data-") for f in sets[name]]
    if atlas:
        sets["atlas"] = [atlas]
    if text:
        sets["text"] = [text]
    return sets


#: How ``topo`` is run: the installed command, or (``--code DIR``) the package in DIR.
TOPO = ["topo"]


def run(out: Path, name: str, args: list[str], env: dict[str, str]) -> None:
    """Run ``topo ARGS`` and keep what it printed and its exit code as ``out/NAME.*``."""
    done = subprocess.run([*TOPO, *args], capture_output=True, env=env, cwd=ROOT, check=False)
    (out / f"{name}.stdout").write_bytes(normalise(done.stdout))
    (out / f"{name}.stderr").write_bytes(normalise(done.stderr))
    (out / f"{name}.rc").write_text(f"{done.returncode}\n")


def snapshot(out: Path, atlas: str | None, text: str | None) -> None:
    """Write every command's output over every input set into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="topo-snapshot-"))
    env = {**os.environ, "XDG_CACHE_HOME": str(work / "cache"), "COLUMNS": "120"}
    offline = ["--offline", "--no-cache"]
    for set_name, paths in input_sets(atlas, text).items():
        big = set_name in ("atlas", "text")
        print(f"{set_name}: {len(paths)} inputs", file=sys.stderr)
        if not big:
            run(out, f"{set_name}.parse", ["parse", *paths, "--json"], env)
            run(out, f"{set_name}.classify", ["classify", *paths], env)
            run(out, f"{set_name}.whois", ["whois", *paths, *offline, "--json"], env)
            run(out, f"{set_name}.infer", ["infer", *paths, *offline, "--jobs", "1"], env)
        run(
            out, f"{set_name}.infer-json", ["infer", *paths, *offline, "--json", "--jobs", "1"], env
        )
        built = work / set_name
        for jobs in ("1", "2"):
            stem = f"{set_name}.build-j{jobs}"
            files = {
                "page.html": "-o",
                "graph.graphml": "--graphml",
                "graph.gexf": "--gexf",
                "graph.json": "--graph-json",
                "figure.svg": "--figure",
            }
            if big:  # pages and figures of the big sets: once, graph files twice
                files = {"graph.json": "--graph-json", "page.html": "-o"} if jobs == "1" else {
                    "graph.json": "--graph-json"}  # fmt: skip
            options = [x for file, flag in files.items() for x in (flag, str(built / file))]
            run(out, stem, ["build", *paths, *offline, "--quiet", "--jobs", jobs, *options], env)
            for file in files:
                target = built / file
                if target.exists():
                    (out / f"{stem}.{file}").write_bytes(normalise(target.read_bytes()))
                    target.unlink()
    samples = input_sets(None, None)["samples-all"]
    compare = work / "compare"
    for by in ("set", "region-pair"):
        run(out, f"compare-{by}", ["compare", *samples, "--offline", "--no-cache", "--by", by,
                                   "--json", "--csv", str(compare / f"{by}.csv"),
                                   "-o", str(compare / f"{by}.html")], env)  # fmt: skip
        for suffix in ("csv", "html"):
            target = compare / f"{by}.{suffix}"
            if target.exists():
                (out / f"compare-{by}.{suffix}").write_bytes(normalise(target.read_bytes()))
    reports = work / "reports"
    for folder in samples:
        name = Path(folder).name
        for suffix, lang in (("md", "en"), ("html", "en"), ("html", "ja"), ("md", "ja")):
            target = reports / f"{name}-{lang}.{suffix}"
            run(out, f"report-{name}-{lang}-{suffix}",
                ["report", folder, *offline, "--lang", lang, "-o", str(target)], env)  # fmt: skip
            for file in sorted(reports.glob(f"{name}-{lang}*")):
                (out / f"report-{file.name}").write_bytes(normalise(file.read_bytes()))
            shutil.rmtree(reports, ignore_errors=True)
    shutil.rmtree(work, ignore_errors=True)


def diff(before: Path, after: Path) -> int:
    """Print the files that are missing on one side or differ; 1 if any, else 0."""
    names = {p.name for p in before.iterdir()} | {p.name for p in after.iterdir()}
    bad = 0
    for name in sorted(names):
        a, b = before / name, after / name
        if not a.exists() or not b.exists():
            print(f"only in {'after' if b.exists() else 'before'}: {name}")
            bad += 1
        elif a.read_bytes() != b.read_bytes():
            print(f"differs: {name}")
            bad += 1
    print(f"{len(names)} files, {bad} differ")
    return 1 if bad else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", nargs="?", type=Path, help="folder to write the outputs into")
    parser.add_argument("--atlas", help="a large RIPE Atlas JSON Lines file to build too")
    parser.add_argument("--text", help="a folder of text traces to build too")
    parser.add_argument("--diff", nargs=2, type=Path, metavar=("BEFORE", "AFTER"))
    parser.add_argument(
        "--code", type=Path, help="run the topo package in this folder (a worktree of another "
        "commit) instead of the installed one, on this checkout's inputs",
    )  # fmt: skip
    args = parser.parse_args()
    if args.code is not None:
        start = f"import sys; sys.path.insert(0, {str(args.code.resolve())!r}); "
        TOPO[:] = [sys.executable, "-c", start + "from topo.cli import main; main()"]
    if args.diff:
        return diff(*args.diff)
    if args.out is None:
        parser.error("give OUT or --diff BEFORE AFTER")
    snapshot(args.out, args.atlas, args.text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
