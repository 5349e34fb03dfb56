"""Capture real traceroute-tool output inside a namespace lab.

Run as root from the repository root::

    python -m tests.lab.capture tests/data/_captured

For every capture it writes ``OUTDIR/<tool>/<name>.<ext>`` (the tool's
stdout), ``<name>.cmd`` (tool version, lab node, exit status and the exact
command line), ``<name>.stderr`` when the tool wrote to stderr, and
``<name>.truth.json`` (what the lab says should answer at each TTL).  An
``index.json`` lists them all.  Every probe stays inside the lab: nothing is
sent from the host namespace, and no tool is run that talks to an outside
server (no ``traceroute -A``, no DNS: names come from the lab hosts file).
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.support.lab.netns import Lab, LabSpec
from tests.support.lab.topology import chain_spec, ecmp_spec

TR = "-w 1 -q 3 -m 12"


@dataclass(frozen=True)
class Capture:
    """One tool run; ``{dst}``/``{dst6}``/``{out}`` in ``command`` are filled in."""

    tool: str
    name: str
    ext: str
    command: str  # split with shlex
    lab: str = "ecmp"
    family: int = 4
    warts: bool = False  # command writes {out}.warts; convert with sc_warts2json
    want_both_branches_at: int = 0  # retry until this TTL shows both ECMP branches
    note: str = ""


def _c(
    tool: str, name: str, ext: str, command: str, *, lab: str = "ecmp", family: int = 4
) -> Capture:
    return Capture(tool, name, ext, command, lab=lab, family=family)


SC = "scamper -O json -c"
CAPTURES: tuple[Capture, ...] = (
    # Dmitry Butskoy's traceroute (Debian: traceroute.db)
    _c("traceroute.db", "udp_n", "txt", f"traceroute.db -n {TR} {{dst}}"),
    _c("traceroute.db", "udp_names", "txt", f"traceroute.db {TR} {{dst}}"),
    _c("traceroute.db", "icmp_I_n", "txt", f"traceroute.db -n -I {TR} {{dst}}"),
    _c("traceroute.db", "tcp_T_N1_n", "txt", f"traceroute.db -n -T -N 1 {TR} {{dst}}"),
    _c("traceroute.db", "udp_U_n", "txt", f"traceroute.db -n -U {TR} {{dst}}"),
    Capture(
        "traceroute.db",
        "ecmp_q6_n",
        "txt",
        "traceroute.db -n -w 1 -q 6 -m 12 {dst}",
        want_both_branches_at=4,
    ),
    _c("traceroute.db", "extensions_e_n", "txt", f"traceroute.db -n -e {TR} {{dst}}"),
    _c("traceroute.db", "ipv6_n", "txt", f"traceroute.db -6 -n {TR} {{dst6}}", family=6),
    _c("traceroute.db", "ipv6_names", "txt", f"traceroute.db -6 {TR} {{dst6}}", family=6),
    _c("traceroute.db", "chain_n", "txt", f"traceroute.db -n {TR} {{dst}}", lab="chain"),
    _c("traceroute.db", "chain_names", "txt", f"traceroute.db {TR} {{dst}}", lab="chain"),
    _c(
        "traceroute.db",
        "chain_ipv6_n",
        "txt",
        f"traceroute.db -6 -n {TR} {{dst6}}",
        lab="chain",
        family=6,
    ),
    # GNU inetutils traceroute (numeric by default; no -n option)
    _c("inetutils-traceroute", "udp", "txt", f"inetutils-traceroute {TR} {{dst}}"),
    _c(
        "inetutils-traceroute",
        "udp_names",
        "txt",
        f"inetutils-traceroute --resolve-hostnames {TR} {{dst}}",
    ),
    _c("inetutils-traceroute", "icmp_I", "txt", f"inetutils-traceroute -I {TR} {{dst}}"),
    _c("inetutils-traceroute", "chain", "txt", f"inetutils-traceroute {TR} {{dst}}", lab="chain"),
    # iputils tracepath
    _c("tracepath", "n", "txt", "tracepath -n -m 12 {dst}"),
    _c("tracepath", "names", "txt", "tracepath -m 12 {dst}"),
    _c("tracepath", "ipv6_n", "txt", "tracepath -6 -n -m 12 {dst6}", family=6),
    _c("tracepath", "chain_n", "txt", "tracepath -n -m 12 {dst}", lab="chain"),
    # mtr (-c 3 keeps each run at a few seconds)
    _c("mtr", "report_n", "txt", "mtr -n -c 3 --report {dst}"),
    _c("mtr", "report_names", "txt", "mtr -c 3 --report {dst}"),
    _c("mtr", "report_wide_n", "txt", "mtr -n -c 3 --report-wide {dst}"),
    _c("mtr", "report_udp_ecmp_n", "txt", "mtr -n -u -c 6 --report {dst}"),
    _c("mtr", "json_n", "json", "mtr -n -c 3 --json {dst}"),
    _c("mtr", "csv_n", "csv", "mtr -n -c 3 --csv {dst}"),
    _c("mtr", "raw_n", "txt", "mtr -n -c 3 --raw {dst}"),
    _c("mtr", "xml_n", "xml", "mtr -n -c 3 --xml {dst}"),
    _c("mtr", "report_ipv6_n", "txt", "mtr -6 -n -c 3 --report {dst6}", family=6),
    _c("mtr", "chain_report_n", "txt", "mtr -n -c 3 --report {dst}", lab="chain"),
    # scamper (no tracelb: it hung on a silent hop)
    _c("scamper", "trace_json", "json", f"{SC} 'trace -w 1 -q 1' -i {{dst}}"),
    _c(
        "scamper",
        "trace_icmp_paris_json",
        "json",
        f"{SC} 'trace -P icmp-paris -w 1 -q 1' -i {{dst}}",
    ),
    _c(
        "scamper", "trace_udp_paris_json", "json", f"{SC} 'trace -P udp-paris -w 1 -q 1' -i {{dst}}"
    ),
    _c(
        "scamper",
        "trace_ipv6_icmp_paris_json",
        "json",
        f"{SC} 'trace -P icmp-paris -w 1 -q 1' -i {{dst6}}",
        family=6,
    ),
    _c(
        "scamper",
        "trace_ipv6_udp_json",
        "json",
        f"{SC} 'trace -P udp -w 1 -q 1' -i {{dst6}}",
        family=6,
    ),
    Capture(
        "scamper",
        "trace_ipv6_udp_paris_json",
        "json",
        "scamper -O json -c 'trace -w 1 -q 1' -i {dst6}",
        family=6,
        note="scamper 20211212 matches no IPv6 udp-paris reply here (the replies do arrive):"
        " stop_reason GAPLIMIT and no hops; kept as a real edge case",
    ),
    Capture(
        "scamper",
        "trace_warts",
        "json",
        "scamper -O warts -o {out}.warts -c 'trace -w 1 -q 1' -i {dst}",
        warts=True,
    ),
)

VERSION_ARGV: dict[str, tuple[str, ...]] = {
    "traceroute.db": ("traceroute.db", "-V"),
    "inetutils-traceroute": ("inetutils-traceroute", "--version"),
    "tracepath": ("tracepath", "-V"),
    "mtr": ("mtr", "--version"),
    "scamper": ("scamper", "-v"),
}
DEBIAN_PACKAGE = {
    "traceroute.db": "traceroute",
    "inetutils-traceroute": "inetutils-traceroute",
    "tracepath": "iputils-tracepath",
    "mtr": "mtr-tiny",
    "scamper": "scamper",
}
SPECS: dict[str, LabSpec] = {"ecmp": ecmp_spec(), "chain": chain_spec()}


def tool_version(lab: Lab, tool: str) -> str:
    """First line the tool prints about its version, plus the Debian package."""
    out = lab.exec("src", list(VERSION_ARGV[tool]), timeout=10)
    text = (out.stdout.strip() or out.stderr.strip()).splitlines()
    version = text[0] if text else "?"
    pkg = DEBIAN_PACKAGE[tool]
    deb = subprocess.run(
        ["dpkg-query", "-W", "-f", "${Version}", pkg], capture_output=True, text=True, check=False
    )
    if deb.returncode == 0:
        version += f" (Debian {pkg} {deb.stdout.strip()})"
    return version


def _argv(cap: Capture, lab: Lab, out_base: Path) -> list[str]:
    fill = {"{dst}": lab.addr("dst"), "{dst6}": lab.addr("dst", 6), "{out}": str(out_base)}
    out = []
    for word in shlex.split(cap.command):
        for key, value in fill.items():
            word = word.replace(key, value)
        out.append(word)
    return out


def _both_branches(text: str, ttl: int, truth_addrs: Sequence[str]) -> bool:
    for line in text.splitlines():
        words = line.split()
        if words and words[0] == str(ttl):
            return all(a in words for a in truth_addrs)
    return False


def run_capture(cap: Capture, lab: Lab, outdir: Path, version: str) -> dict[str, object]:
    """Run one capture and write its files; returns its index entry."""
    tool_dir = outdir / cap.tool
    tool_dir.mkdir(parents=True, exist_ok=True)
    base = tool_dir / cap.name
    argv = _argv(cap, lab, base)
    dst = lab.addr("dst", cap.family)
    truth = lab.truth("src", dst)
    tries = 0
    start = time.monotonic()
    while True:
        tries += 1
        proc = lab.exec("src", argv, timeout=180)
        if not cap.want_both_branches_at or tries >= 8:
            break
        if _both_branches(proc.stdout, cap.want_both_branches_at, truth.hop(4).addrs):
            break
    elapsed = time.monotonic() - start
    stdout = proc.stdout
    if cap.warts:
        warts = base.with_suffix(".warts")
        conv = lab.exec("src", ["sc_warts2json", str(warts)], timeout=30)
        stdout = conv.stdout
        argv_text = shlex.join(argv) + "\n" + shlex.join(["sc_warts2json", warts.name])
    else:
        argv_text = shlex.join(argv)
    (tool_dir / f"{cap.name}.{cap.ext}").write_text(stdout)
    stderr_file = tool_dir / f"{cap.name}.stderr"
    if proc.stderr.strip():
        stderr_file.write_text(proc.stderr)
    elif stderr_file.exists():
        stderr_file.unlink()
    (tool_dir / f"{cap.name}.cmd").write_text(
        f"# version: {version}\n"
        f"# lab: {cap.lab} (tests.support.lab.topology.{cap.lab}_spec), run inside node src "
        f"with ip netns exec\n"
        f"# exit status: {proc.returncode}, {elapsed:.1f} s, tries: {tries}\n"
        + (f"# note: {cap.note}\n" if cap.note else "")
        + f"{argv_text}\n"
    )
    meta = {"lab": cap.lab, "tool": cap.tool, "family": cap.family, **truth.to_dict()}
    (tool_dir / f"{cap.name}.truth.json").write_text(
        json.dumps(meta, indent=2, sort_keys=True) + "\n"
    )
    return {
        "tool": cap.tool,
        "name": cap.name,
        "file": f"{cap.tool}/{cap.name}.{cap.ext}",
        "lab": cap.lab,
        "family": cap.family,
        "returncode": proc.returncode,
        "seconds": round(elapsed, 1),
        "note": cap.note,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--only", help="capture only names containing this text")
    args = parser.parse_args(argv)
    outdir: Path = args.outdir
    index: list[dict[str, object]] = []
    for lab_name, spec in SPECS.items():
        caps = [c for c in CAPTURES if c.lab == lab_name]
        caps = [c for c in caps if not args.only or args.only in f"{c.tool}/{c.name}"]
        if not caps:
            continue
        t0 = time.monotonic()
        with Lab(spec) as lab:
            print(f"lab {lab_name}: built in {time.monotonic() - t0:.2f} s", file=sys.stderr)
            versions: dict[str, str] = {}
            for cap in caps:
                if shutil.which(cap.tool) is None:
                    print(f"skip {cap.tool}/{cap.name}: {cap.tool} not installed", file=sys.stderr)
                    continue
                if cap.tool not in versions:
                    versions[cap.tool] = tool_version(lab, cap.tool)
                entry = run_capture(cap, lab, outdir, versions[cap.tool])
                print(f"  {entry['file']}: rc {entry['returncode']}, {entry['seconds']} s",
                      file=sys.stderr)  # fmt: skip
                index.append(entry)
            t1 = time.monotonic()
        print(f"lab {lab_name}: torn down in {time.monotonic() - t1:.2f} s", file=sys.stderr)
    if not args.only:
        index.sort(key=lambda e: str(e["file"]))
        (outdir / "index.json").write_text(json.dumps(index, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
