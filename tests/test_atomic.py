"""Outputs are written whole or not at all (:mod:`topo.atomic`)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from topo.atomic import replacing, write_atomically
from topo.errors import OutputError, TopoError


def test_a_new_file_gets_the_umask_s_mode_not_a_private_one(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        written = write_atomically(tmp_path / "page.html", "<p>x</p>")
        shared = write_atomically(tmp_path / "a" / "b" / "graph.json", b"{}")
    finally:
        os.umask(old)
    assert written.stat().st_mode & 0o777 == 0o644
    assert shared.read_bytes() == b"{}" and shared.stat().st_mode & 0o777 == 0o644


def test_an_unwritable_folder_is_one_output_error(tmp_path: Path) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the folder should be")
    with pytest.raises(OutputError) as caught:
        write_atomically(blocked / "page.html", "x")
    assert str(caught.value).startswith(f"{blocked / 'page.html'}: cannot write: ")
    assert isinstance(caught.value, TopoError) and caught.value.exit_code == 1


def test_a_failing_writer_keeps_the_old_file_and_leaves_nothing_behind(tmp_path: Path) -> None:
    target = tmp_path / "report.md"
    target.write_text("old")
    with pytest.raises(ValueError, match="renderer failed"), replacing(target) as temporary:
        temporary.write_text("half of the new")
        raise ValueError("renderer failed")
    assert target.read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == [
        "report.md"
    ]
    with replacing(target, sync=True) as temporary:
        temporary.write_text("new")
    assert target.read_text() == "new" and len(list(tmp_path.iterdir())) == 1


def test_a_link_s_file_is_replaced_and_an_existing_file_keeps_its_mode(tmp_path: Path) -> None:
    (tmp_path / "www").mkdir()
    real = tmp_path / "www" / "page.html"
    real.write_text("old")
    real.chmod(0o640)
    link = tmp_path / "page.html"
    link.symlink_to(real)
    old = os.umask(0o022)  # a new file would be 0644
    try:
        write_atomically(link, "new")
    finally:
        os.umask(old)
    assert link.is_symlink() and real.read_text() == "new"
    assert real.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in real.parent.iterdir()) == ["page.html"]
