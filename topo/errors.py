"""One exception hierarchy for topo, each kind carrying the exit code the CLI maps it to.

Exit codes for every command: 0 success; 1 some inputs failed (the rest was processed);
2 bad usage; 3 a ``--fail-on`` condition held; 77 missing privilege (live tracing); 130
interrupted (Ctrl-C).

>>> err = ParseError("bad hop line", path="t.txt", line=4)
>>> str(err), err.exit_code
('t.txt:4: bad hop line', 1)
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_INPUT_FAILED = 1
EXIT_USAGE = 2
EXIT_CONDITION = 3
EXIT_NO_PRIVILEGE = 77
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a command Ctrl-C stopped


class TopoError(Exception):
    """Base of every error topo raises on purpose."""

    exit_code = EXIT_INPUT_FAILED


class UsageError(TopoError):
    """The command line or an argument is wrong."""

    exit_code = EXIT_USAGE


class PrivilegeError(TopoError):
    """An action needs privileges the process does not have (raw sockets)."""

    exit_code = EXIT_NO_PRIVILEGE


class InvalidAddressError(TopoError, ValueError):
    """A string is not an IPv4 or IPv6 address."""


class OutputError(TopoError, OSError):
    """An output file could not be written (no space, no permission, a read-only folder).

    >>> str(OutputError("out/page.html", OSError(28, "No space left on device")))
    'out/page.html: cannot write: No space left on device'
    """

    def __init__(self, path: object, cause: OSError):
        super().__init__(f"{path}: cannot write: {cause.strerror or cause}")


class OutputExistsError(UsageError):
    """An output file exists before the run: topo overwrites only the files it has just
    written, and others only with ``--force``.

    >>> err = OutputExistsError("output/page.html")
    >>> str(err), err.exit_code
    ('output/page.html exists; --force overwrites it', 2)
    """

    def __init__(self, path: object):
        super().__init__(f"{path} exists; --force overwrites it")


class NoTracesError(TopoError):
    """The inputs held no trace: nothing is written (no page, report or graph file).

    >>> str(NoTracesError(["traces/"]))
    'no traces in traces/: nothing written'
    """

    def __init__(self, inputs: list[str] | tuple[str, ...]):
        named = [("standard input" if p == "-" else p) for p in inputs]
        where = named[0] if len(named) == 1 else f"the {len(named)} inputs"
        super().__init__(f"no traces in {where}: nothing written")


class ParseError(TopoError):
    """An input (a file, a line of it) could not be read as a trace.

    Parsers *return* these next to the traces they could read, so one bad line never
    loses the rest of the file; ``str()`` is the one-line ``path:line: message`` the CLI
    prints.
    """

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line

    def __str__(self) -> str:
        where = self.path or "<input>"
        if self.line is not None:
            where = f"{where}:{self.line}"
        return f"{where}: {self.message}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, path={self.path!r}, line={self.line!r})"

    def __eq__(self, other: object) -> bool:
        return (
            type(other) is type(self)
            and isinstance(other, ParseError)
            and (self.message, self.path, self.line) == (other.message, other.path, other.line)
        )

    def __hash__(self) -> int:
        return hash((type(self), self.message, self.path, self.line))


class FormatDetectionError(ParseError):
    """No parser recognised the input."""


#: A file whose bad lines are at least this many, and most of its lines, gets one summary
#: line instead of an error per line (it is not the kind of file the command reads).
SUMMARY_AFTER = 3


def _snippet(line: str, width: int = 60) -> str:
    line = line.strip()
    return repr(line if len(line) <= width else line[: width - 3] + "...")


def summarize_line_errors(
    errors: list[ParseError], lines: list[str], *, source: str, what: str, hint: str
) -> list[ParseError]:
    """``errors`` as they are, or, when the lines they are on are most of the file's
    non-blank ``lines`` (and at least :data:`SUMMARY_AFTER`), one error saying what the
    file is not, where the first bad line is and what ``hint`` says the file should be.

    >>> lines = ["traceroute to x", " 1  a", " 2  b", "10.0.0.0/8,WAN"]
    >>> errors = [ParseError("not a prefix", path="t", line=n) for n in (1, 2, 3)]
    >>> [str(e) for e in summarize_line_errors(errors, lines, source="t",
    ...     what="table rows", hint="CSV please")]
    ["t: 3 lines are not table rows; first: line 1 'traceroute to x'; CSV please"]
    """
    bad = {e.line for e in errors if e.line is not None}
    filled = sum(1 for line in lines if line.strip())
    if len(bad) < SUMMARY_AFTER or 2 * len(bad) <= filled:
        return errors
    first = min(bad)
    text = lines[first - 1] if 0 < first <= len(lines) else ""
    summary = f"{len(bad)} lines are not {what}; first: line {first} {_snippet(text)}; {hint}"
    return [ParseError(summary, path=source), *(e for e in errors if e.line is None)]
