"""topo never writes over what it reads, and never replaces a FIFO or a device (issue 25)."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "aws-osaka-tokyo" / "traceroute.txt"


def _topo(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "topo", *args, "--offline", "--no-cache"],
        cwd=cwd, capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip


@pytest.mark.parametrize(
    "output",
    [["-o", "in.txt"], ["--graph-json", "in.txt"], ["-o", "x.html", "--figure", "d/t.txt"]],
    ids=["page", "graph-json", "figure-in-folder"],
)
def test_an_output_that_is_an_input_is_refused_even_with_force(
    tmp_path: Path, output: list[str]
) -> None:
    (tmp_path / "d").mkdir()
    shutil.copy(SAMPLE, tmp_path / "in.txt")
    shutil.copy(SAMPLE, tmp_path / "d" / "t.txt")
    done = _topo("build", "in.txt", "d", *output, "--force", cwd=tmp_path)
    assert done.returncode == 2
    named = output[-1]
    assert f"topo: {named} is one of the inputs; write the output elsewhere" in done.stderr
    assert (tmp_path / named).read_bytes() == SAMPLE.read_bytes()
    assert not (tmp_path / "x.html").exists()  # refused before anything is read


def test_a_report_over_its_input_is_refused(tmp_path: Path) -> None:
    shutil.copy(SAMPLE, tmp_path / "in.md")  # a trace file with the report's suffix
    done = _topo("report", "in.md", "-o", "in.md", "--force", cwd=tmp_path)
    assert done.returncode == 2 and "in.md is one of the inputs" in done.stderr
    assert (tmp_path / "in.md").read_bytes() == SAMPLE.read_bytes()


def test_a_fifo_output_is_written_into_not_replaced(tmp_path: Path) -> None:
    fifo = tmp_path / "page.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    done = _topo("build", str(SAMPLE), "-o", str(fifo), "--force", cwd=tmp_path)
    reader.join(timeout=60)
    assert done.returncode == 0, done.stderr
    assert stat.S_ISFIFO(fifo.lstat().st_mode)  # still a FIFO
    assert received and received[0].startswith(b"<!DOCTYPE html>")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["page.fifo"]  # no temporary left


def test_dev_null_stays_a_device(tmp_path: Path) -> None:
    before = Path("/dev/null").stat()
    done = _topo("build", str(SAMPLE), "-o", "/dev/null", "--force", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    after = Path("/dev/null").stat()
    assert stat.S_ISCHR(after.st_mode) and after.st_ino == before.st_ino
