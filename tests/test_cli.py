"""The command line, through click's runner and through the installed ``topo`` script."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from topo.cli import cli

from .conftest import DATA

ROOT = Path(__file__).resolve().parent.parent
GOOD = DATA / "linux-traceroute" / "names-asn-mpls.txt"


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_classify_done_means() -> None:
    code, out, err = run(
        "classify",
        "100.65.1.9",
        "240.1.52.17",
        "241.0.8.13",
        "13.208.0.67",
        "255.255.255.255",
        "fe80::1",
    )
    assert code == 0 and err == ""
    rows = [re.split(r"\s{2,}", line) for line in out.strip().splitlines()]
    assert rows[0] == ["ADDRESS", "NAME", "RFC", "CATEGORY"]
    assert rows[1:] == [
        ["13.208.0.67", "-", "-", "public"],
        ["100.65.1.9", "Shared Address Space", "RFC6598", "cgnat"],
        ["240.1.52.17", "Reserved", "RFC1112, Section 4", "class-e"],
        ["241.0.8.13", "Reserved", "RFC1112, Section 4", "class-e"],
        ["255.255.255.255", "Limited Broadcast", "RFC8190, RFC919, Section 7", "broadcast"],
        ["fe80::1", "Link-Local Unicast", "RFC4291", "link-local"],
    ]


def test_classify_json_and_trace_files() -> None:
    code, out, _ = run("classify", str(GOOD), "--json")
    assert code == 0
    records = [json.loads(line) for line in out.splitlines()]
    assert set(records[0]) == {"addr", "category", "name", "rfc"}
    by_addr = {r["addr"]: r for r in records}
    assert by_addr["100.65.1.9"] == {
        "addr": "100.65.1.9",
        "category": "cgnat",
        "name": "Shared Address Space",
        "rfc": "RFC6598",
    }
    assert by_addr["13.208.0.67"]["category"] == "public"
    assert list(by_addr) == sorted(by_addr, key=lambda a: tuple(int(x) for x in a.split(".")))


def test_classify_bad_target_is_reported_and_the_rest_printed() -> None:
    code, out, err = run("classify", "100.65.1.9", "no-such-file-or-address")
    assert code == 1
    assert "no-such-file-or-address: no such file or directory" in err
    assert "Shared Address Space" in out


def test_parse_folder_with_a_corrupt_file(tmp_path: Path) -> None:
    shutil.copy(GOOD, tmp_path / "good.txt")
    shutil.copy(DATA / "ripe-atlas" / "mpls-fw4500.json", tmp_path / "atlas.json")
    (tmp_path / "corrupt.json").write_text('{"type": "traceroute", "result": [{"hop": 1,\n  "res')
    code, out, err = run("parse", str(tmp_path))
    assert code == 1
    assert (
        err.strip()
        == f"{tmp_path / 'corrupt.json'}:2: invalid JSON: Unterminated string starting at"
    )
    assert f"{tmp_path / 'good.txt'}:1  linux-traceroute" in out
    assert f"{tmp_path / 'atlas.json'}:1  ripe-atlas" in out


def test_parse_json_round_trip_through_stdin() -> None:
    code, first, _ = run("parse", str(GOOD), "--json")
    assert code == 0
    code, second, _ = run("parse", "-", "--json", stdin=first)
    assert code == 0 and second == first
    record = json.loads(first)
    assert record["origin"] == f"{GOOD}:1" and record["schema"] == "topo.trace/1"


def test_forced_format_and_unknown_format() -> None:
    code, _, err = run("parse", str(GOOD), "--format", "ripe-atlas")
    assert code == 1 and "invalid JSON" in err
    code, _, err = run("parse", str(GOOD), "--format", "nope")
    assert code == 2 and "nope" in err


def test_formats_lists_every_parser() -> None:
    code, out, _ = run("formats")
    assert code == 0
    for name in ("topo-jsonl", "ripe-atlas", "linux-traceroute"):
        assert re.search(rf"^{name}$", out, re.M)
    assert "reads:    gzip, bzip2, xz; zstd with topo[zstd]" in out


def test_terminal_output_escapes_control_characters(tmp_path: Path) -> None:
    hostile = tmp_path / "evil.txt"
    hostile.write_text(" 1  evil\x1b[2Jname (192.0.2.1)  0.5 ms\n 2  192.0.2.9  1 ms\n")
    code, out, _ = run("parse", str(hostile))
    assert code == 0 and "\x1b" not in out and "evil\\x1b[2Jname" in out


def test_installed_script_pipes_json_identically() -> None:
    topo = shutil.which("topo", path=str(Path(sys.executable).parent))
    if topo is None:
        pytest.fail("the topo console script is not installed next to this Python")
    first = subprocess.run([topo, "parse", str(GOOD), "--json"], capture_output=True, check=True)
    second = subprocess.run(
        [topo, "parse", "-", "--json"], input=first.stdout, capture_output=True, check=True
    )
    assert second.stdout == first.stdout


def test_internal_errors_are_one_line_unless_debug(monkeypatch: pytest.MonkeyPatch) -> None:
    import topo.cli.traces as cli_module

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("kaput")

    monkeypatch.setattr(cli_module, "read_traces", boom)
    code, _, err = run("parse", str(GOOD))
    assert code == 70 and "internal error: RuntimeError: kaput" in err
    result = CliRunner().invoke(cli, ["--debug", "parse", str(GOOD)])
    assert isinstance(result.exception, RuntimeError)


def test_readme_documents_every_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in cli.commands:
        assert f"topo {name}" in readme, f"README lacks a reference for `topo {name}`"
    match = re.search(r"```(?:sh|bash)?\n([^`]*pytest[^`]*)```", readme)
    assert match, "README must show the test command"
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    test_line = next(line for line in match.group(1).splitlines() if "pytest" in line)
    assert test_line.strip() in ci, "CI must run exactly the README's test command"


def test_readme_python_section_runs_as_written(tmp_path: Path) -> None:
    """The README's library example, run from the repository as a reader would (its
    output files going to a temporary folder instead of output/)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Python\n") :]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    assert "topo.analyze(" in code and "write_html(" in code
    code = code.replace('"output/', f'"{tmp_path}/')
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("on-provider 24\n")
    assert "inter-region" in done.stdout
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == ["osaka-tokyo.graphml", "osaka-tokyo.html", "osaka-tokyo.md",
                       "osaka-tokyo.svg"]  # fmt: skip


def test_ctrl_c_exits_130_and_leaves_no_half_written_output(tmp_path: Path) -> None:
    """A build waiting on its standard input is interrupted as a terminal's Ctrl-C does
    (SIGINT to its process group): one line, exit 130, the earlier output file intact."""
    import os
    import signal

    out = tmp_path / "graph.json"
    out.write_text("the graph of an earlier run")
    # Ctrl-C as in a terminal: a process started in the background of a script inherits
    # SIGINT ignored (and then rightly ignores it), so the child sets Python's own handler
    # the child says when it opens standard input to read it: the signal comes then (no
    # guess of how long that takes)
    code = (
        "import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
        "import topo.inputs.reading as r; opened = r._open_input; "
        "r._open_input = lambda name: (print('reading', flush=True), opened(name))[1]; "
        "from topo.cli import main; main(sys.argv[1:])"
    )
    args = ["build", "-", "--offline", "--no-cache", "--graph-json", str(out), "--jobs", "1",
            "--force"]  # fmt: skip
    with subprocess.Popen(
        [sys.executable, "-c", code, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, start_new_session=True,
    ) as process:  # fmt: skip
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(GOOD.read_bytes()[:200])  # half a trace, and no end of input
        process.stdin.flush()
        assert process.stdout.readline() == b"reading\n"
        os.killpg(process.pid, signal.SIGINT)
        _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert err.decode().strip().splitlines()[-1] == "topo: interrupted"
    assert out.read_text() == "the graph of an earlier run"
    assert [p.name for p in tmp_path.iterdir()] == ["graph.json"]


def test_an_output_that_fails_midway_leaves_the_earlier_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page is written under a temporary name: a failure while writing it (here, the
    disk filling up) keeps the earlier page and leaves no partial file."""
    import topo.atomic

    page = tmp_path / "out" / "page.html"
    page.parent.mkdir()
    page.write_text("<p>earlier</p>")
    real_write = Path.write_text

    def disk_full(self: Path, data: str, *args: object, **kwargs: object) -> int:
        real_write(self, data[: len(data) // 2], encoding="utf-8")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(topo.atomic.Path, "write_text", disk_full)
    code, _, err = run("build", str(GOOD), "--offline", "--no-cache", "-o", str(page), "--force")
    assert code == 1
    assert err.splitlines()[-1] == f"topo: {page}: cannot write: No space left on device"
    assert page.read_text() == "<p>earlier</p>"
    assert [p.name for p in page.parent.iterdir()] == ["page.html"]
