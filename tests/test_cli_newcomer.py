"""What a newcomer's mistakes get (issue 25, item 4): one line that says what is wrong, and
the exit code docs/bad-input.md documents."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from topo.cli import cli

ROOT = Path(__file__).resolve().parent.parent
TRACE = ROOT / "samples" / "aws-osaka-tokyo" / "traceroute.txt"


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def error_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.strip()]


def test_utf16_and_utf32_without_a_byte_order_mark_are_read(tmp_path: Path) -> None:
    text = TRACE.read_text(encoding="utf-8")
    for codec, named in (("utf-16-le", "utf-16"), ("utf-16-be", "utf-16"),
                         ("utf-32-le", "utf-32"), ("utf-32-be", "UTF32")):  # fmt: skip
        path = tmp_path / f"{codec}.txt"
        path.write_bytes(text.encode(codec))
        code, out, err = run("parse", "--encoding", named, str(path))
        assert (code, err) == (0, ""), (codec, err)
        assert "30 hops" in out


def test_utf16_named_for_a_file_that_is_not_utf16_is_one_line(tmp_path: Path) -> None:
    for named in ("utf-16", "utf-32"):
        code, out, err = run("parse", "--encoding", named, str(TRACE))
        upper = named.upper()
        assert code == 1 and out == ""
        assert error_lines(err) == [
            f"{TRACE}:1: not {upper} text: no byte order mark and no {upper} pattern of NUL "
            "bytes; leave --encoding out to detect the encoding"
        ]


def test_an_encoding_that_is_not_a_text_encoding_is_a_usage_error() -> None:
    for codec in ("rot13", "base64", "klingon"):
        code, out, err = run("parse", "--encoding", codec, str(TRACE))
        assert code == 2 and out == ""
        assert "Invalid value for '--encoding'" in err
    assert "'rot13' is not a text encoding" in run("parse", "--encoding", "rot13", str(TRACE))[2]
