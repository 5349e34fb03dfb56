"""Golden files: every ``tests/data/<format>/<name>.<ext>`` parses to its ``.expected.json``.

The folder name is the format that detection must pick. A new case is two files and no
code: drop an input into the folder and run ``pytest tests/test_golden.py --regen-golden``,
then read the generated expectation before committing it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.tools import require_tool
from topo.inputs.decoding import read_bytes
from topo.inputs.reading import decode_text
from topo.inputs.schema import trace_to_dict
from topo.parsers import PARSERS, ParseResult, detect_format, find_binary_parser, parse_text

from .conftest import DATA

FORMAT_NAMES = {p.NAME for p in PARSERS}
SIDE_FILES = (".expected.json", ".cmd", ".truth.json", ".md")


def golden_inputs() -> list[Path]:
    found = []
    for folder in sorted(DATA.iterdir()):
        if folder.is_dir() and folder.name in FORMAT_NAMES:
            found.extend(
                p
                for p in sorted(folder.iterdir())
                if p.is_file() and not p.name.endswith(SIDE_FILES)
            )
    return found


#: Formats whose parser runs a program, and the program.
PARSER_PROGRAMS = {"scamper-warts": "sc_warts2json"}


def require_parser_program(path: Path) -> None:
    """Skip (or in CI fail) a golden case whose parser needs a program that is missing."""
    program = PARSER_PROGRAMS.get(path.parent.name)
    if program is not None:
        require_tool(program)


def expected_path(path: Path) -> Path:
    return path.with_name(path.name + ".expected.json")


def parse_golden(path: Path) -> dict[str, object]:
    """Parse a golden input the way ``topo`` reads files: binary formats by their bytes."""
    source = path.relative_to(DATA).as_posix()
    data = read_bytes(str(path))
    binary = find_binary_parser(data)
    if binary is not None:
        detected = binary.NAME
        result = ParseResult.collect(binary.parse_bytes(data, source=source))
    else:
        text = decode_text(data, name=source).text
        detected = detect_format(text).NAME
        result = parse_text(text, source=source)
    return {
        "format": detected,
        "traces": [trace_to_dict(t) for t in result.traces],
        "errors": [str(e) for e in result.errors],
    }


def test_every_format_has_golden_files() -> None:
    folders = {p.parent.name for p in golden_inputs()}
    assert folders == FORMAT_NAMES


@pytest.mark.parametrize("path", golden_inputs(), ids=lambda p: p.relative_to(DATA).as_posix())
def test_golden(path: Path, regen_golden: bool) -> None:
    require_parser_program(path)
    got = parse_golden(path)
    target = expected_path(path)
    if regen_golden:
        target.write_text(json.dumps(got, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    expected = json.loads(target.read_text(encoding="utf-8"))
    assert got["format"] == path.parent.name, "detection picked the wrong format"
    assert got == expected
    assert got["traces"], "a golden file must hold at least one trace"
