"""What the commands that write files name, title and refuse (issue 24, item 5).

A set is titled by the one manifest that covers it, else from its contents; ``--title``
wins. Default output names of two sets never collide. A file that exists before the run is
never overwritten without ``--force`` (exit 2, the file untouched); the files a run creates
are its own. No traces, no file (exit 1).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from topo import analyze
from topo.cli import cli
from topo.inputs import covering_manifest, manifests_for
from topo.render import default_output, set_title, write_html

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted(str(p) for p in (ROOT / "samples").iterdir() if (p / "topo.toml").exists())
ARTICLE = str(ROOT / "samples" / "aws-osaka-tokyo")
SEOUL = str(ROOT / "samples" / "aws-tokyo-seoul")
EC2 = str(ROOT / "tests" / "data" / "cloud" / "ec2-eu-west-1-to-cloudflare-a.txt")
ARTICLE_TITLE = "AWS Osaka to Tokyo (the article&#39;s traceroute)"
MIXED_TITLE = "5 region pairs, 16 traces"  # six sets; two of them are Tokyo -> Osaka


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, [*args, "--no-cache"])


def said(result: Result) -> list[str]:
    """The lines on stderr but the warnings about the age of the shipped data."""
    return [line for line in result.stderr.splitlines() if not line.startswith("topo: warning:")]


def title_of(page: Path) -> str:
    return page.read_text(encoding="utf-8").split("<title>", 1)[1].split("</title>", 1)[0]


# -- titles ------------------------------------------------------------------------------


def test_one_set_is_titled_by_its_manifest_several_by_their_contents(tmp_path: Path) -> None:
    one, mixed = tmp_path / "one.html", tmp_path / "mixed.html"
    assert invoke("build", ARTICLE, "-o", str(one)).exit_code == 0
    result = invoke("build", *SAMPLES, "-o", str(mixed), "-q")
    assert result.exit_code == 0, result.output
    assert title_of(one) == ARTICLE_TITLE
    assert title_of(mixed) == MIXED_TITLE  # not the first set's name


COUNTER = str(ROOT / "samples" / "example-leaves-provider")


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        ([ARTICLE], ARTICLE_TITLE),
        (SAMPLES, MIXED_TITLE),
        ([COUNTER], "Constructed example: Tokyo to Osaka leaving AWS through a transit carrier"),
    ],
    ids=["article", "all-samples", "counter-example"],
)
def test_python_and_cli_title_a_page_alike(
    inputs: list[str], expected: str, tmp_path: Path
) -> None:
    """``topo.analyze`` + ``write_html`` (bench/screenshots.py's road) titles a page as
    ``topo build`` does: the set's name, else its contents (issue: the article's page was
    "Osaka EC2 instance to Tokyo EC2 instance" one way, the manifest's name the other)."""
    built, written = tmp_path / "built.html", tmp_path / "written.html"
    assert invoke("build", *inputs, "-o", str(built), "-q").exit_code == 0
    write_html(analyze(inputs), written)
    assert title_of(built) == title_of(written) == expected


def test_title_option_wins_on_the_page_the_report_and_the_compare_page(tmp_path: Path) -> None:
    page, report, compared = tmp_path / "p.html", tmp_path / "r.md", tmp_path / "c.html"
    assert invoke("build", *SAMPLES, "-o", str(page), "-q", "--title", "For slides").exit_code == 0
    assert title_of(page) == "For slides"
    assert invoke("report", ARTICLE, "-o", str(report), "--title", "Mine").exit_code == 0
    assert report.read_text(encoding="utf-8").startswith("# Path analysis: Mine\n")
    assert invoke("compare", ARTICLE, SEOUL, "-o", str(compared), "--title", "Two").exit_code == 0
    assert title_of(compared) == "Two" and "<h1>Two</h1>" in compared.read_text("utf-8")


def test_reports_and_comparisons_of_several_sets_are_titled_by_their_contents(
    tmp_path: Path,
) -> None:
    report, compared = tmp_path / "r.md", tmp_path / "c.html"
    assert invoke("report", *SAMPLES, "-o", str(report)).exit_code == 0
    assert report.read_text(encoding="utf-8").startswith(f"# Path analysis: {MIXED_TITLE}\n")
    assert invoke("compare", *SAMPLES, "-o", str(compared)).exit_code == 0
    assert title_of(compared) == f"6 sets compared: {MIXED_TITLE}"


def test_a_set_is_named_only_by_a_manifest_that_covers_every_input() -> None:
    assert analyze([ARTICLE]).name == "AWS Osaka to Tokyo (the article's traceroute)"
    assert analyze(SAMPLES).name is None
    assert analyze([str(ROOT / "samples")]).name is None  # six manifests below it
    files = [f"{SEOUL}/traceroute-1.txt", f"{SEOUL}/traceroute-2.txt"]
    assert covering_manifest(files, manifests_for(files)) is not None
    assert covering_manifest([*files, ARTICLE], manifests_for([*files, ARTICLE])) is None
    assert covering_manifest(["-"], {}) is None


def test_ends_are_named_from_the_manifest_or_from_evidence(tmp_path: Path) -> None:
    """The destination takes the manifest's ``dst_label``; without a manifest the vantage
    point is named by its first hops (an EC2 address in eu-west-1), not by the file."""
    graph = tmp_path / "g.json"
    assert invoke("build", ARTICLE, "--graph-json", str(graph)).exit_code == 0
    nodes = {n["id"]: n for n in json.loads(graph.read_text())["nodes"]}
    assert nodes["dst:13.115.231.114"]["label"] == "Tokyo EC2 instance"
    assert nodes["dst:13.115.231.114"]["addr"] == "13.115.231.114"
    topology = analyze([EC2])
    [vantage] = [a for _, a in topology.graph.nodes(data=True) if a["kind"] == "vantage"]
    assert vantage["label"] == "EC2 eu-west-1 instance"
    assert set_title(topology.graph) == "EC2 eu-west-1 instance to 172.67.69.208"
    page = tmp_path / "ec2.html"
    # its first line, a shell prompt and the traceroute command, is no error
    assert invoke("build", EC2, "-o", str(page)).exit_code == 0
    assert title_of(page) == "EC2 eu-west-1 instance to 172.67.69.208"


def test_a_reached_destination_takes_the_dst_label_whatever_the_engine(tmp_path: Path) -> None:
    one, two = tmp_path / "one.json", tmp_path / "two.json"
    for out, jobs in ((one, "1"), (two, "2")):
        assert invoke("build", *SAMPLES, "--graph-json", str(out), "--jobs", jobs).exit_code == 0
    assert one.read_bytes() == two.read_bytes()
    nodes = {n["id"]: n for n in json.loads(one.read_text())["nodes"]}
    # answered: its address node, named as one of the set's Seoul instances by its address
    assert nodes["13.125.20.8"]["label"] == "Seoul EC2 instance 13.125.20.8"
    assert nodes["13.125.20.8"]["reached"] is True


def end_labels(inputs: list[str]) -> dict[str, str]:
    """The label of every vantage point and destination (a reached one is its address node)."""
    nodes = analyze(inputs).graph.nodes(data=True)
    ends = ("vantage", "destination")
    return {n: a["label"] for n, a in nodes if a["kind"] in ends or a.get("reached")}


def test_each_end_s_label_names_one_node() -> None:
    """Three traces to three Osaka instances under one ``dst_label`` ("Osaka EC2
    instances"): three nodes, three labels, each singular, each with its address."""
    assert end_labels([COUNTER]) == {
        "vantage:Tokyo EC2 instance": "Tokyo EC2 instance",
        "dst:13.208.60.14": "Osaka EC2 instance 13.208.60.14",
        "15.168.121.7": "Osaka EC2 instance 15.168.121.7",
        "dst:15.152.41.66": "Osaka EC2 instance 15.152.41.66",
    }
    for inputs in (SAMPLES, [str(ROOT / "tests" / "data")]):
        labels = list(end_labels(inputs).values())
        assert len(labels) == len(set(labels)), sorted(labels)
        assert not [label for label in labels if "instances" in label]
    assert end_labels([ARTICLE])["dst:13.115.231.114"] == "Tokyo EC2 instance"  # alone: as is
    # the set's title from its contents still counts them as the dst_label's kind
    title = set_title(analyze([COUNTER]).graph)
    assert title == "Tokyo EC2 instance to 3 Osaka EC2 instances, 3 traces"


def test_a_destination_traced_with_and_without_an_answer_is_two_labels() -> None:
    """The same Chinese address reached from Singapore and silent from Tokyo: two nodes,
    the silent one says so; three Dublin vantage points known only by their files are
    numbered."""
    labels = end_labels([str(ROOT / "tests" / "data" / "besttrace")])
    assert labels["dst:58.60.188.222"] == "58.60.188.222 (no answer)"
    assert labels["58.60.188.222"] == "58.60.188.222"
    cloud = end_labels([str(ROOT / "tests" / "data" / "cloud")])
    dublin = sorted(v for v in cloud.values() if v.startswith("EC2 eu-west-1 instance"))
    assert dublin == [f"EC2 eu-west-1 instance #{n}" for n in (1, 2, 3)]


# -- default names ---------------------------------------------------------------------


def test_default_names_of_two_sets_never_collide(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert invoke("build", ARTICLE).exit_code == 0
    result = invoke("build", *SAMPLES, "-q")  # today's bug: the article's page, overwritten
    assert result.exit_code == 0, result.output
    pages = sorted(p.name for p in (tmp_path / "output").iterdir())
    assert len(pages) == 2 and "aws-osaka-to-tokyo-the-article-s-traceroute.html" in pages
    assert title_of(tmp_path / "output" / pages[0]) != title_of(tmp_path / "output" / pages[1])


@pytest.mark.parametrize(
    ("name", "inputs", "expected"),
    [
        (None, ["samples/a/", "samples/b"], "output/samples-"),
        ("AWS Tokyo", ["s/a.txt", "s/b.txt"], "output/aws-tokyo-"),
        (None, ["a.txt", "b.txt"], "output/a-"),
        (None, ["-", "x/y.txt"], "output/y-"),
        (None, ["../..", "../../x"], "output/topology-"),
    ],
)
def test_several_inputs_add_a_stable_hash(
    name: str | None, inputs: list[str], expected: str
) -> None:
    path = default_output(name, inputs)
    assert str(path).startswith(expected) and path.suffix == ".html"
    assert path == default_output(name, list(reversed(inputs)))  # the same set, the same name
    assert path != default_output(name, [*inputs, "more.txt"])
    assert path != default_output(name, inputs[:1])


# -- never overwrite what the run did not write ------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        ["build", ARTICLE, "-o", "{out}"],
        ["build", ARTICLE, "--graphml", "{out}"],
        ["build", ARTICLE, "--gexf", "{out}"],
        ["build", ARTICLE, "--graph-json", "{out}"],
        ["build", ARTICLE, "-o", "{new}.html", "--figure", "{out}"],
        ["compare", ARTICLE, "-o", "{out}"],
        ["compare", ARTICLE, "--csv", "{out}"],
        ["report", ARTICLE, "-o", "{out}.md"],
    ],
    ids=["page", "graphml", "gexf", "graph-json", "figure", "compare", "csv", "report"],
)
def test_an_existing_file_is_kept_without_force(command: list[str], tmp_path: Path) -> None:
    target = tmp_path / ("earlier.md" if command[-1] == "{out}.md" else "earlier.svg")
    args = [a.replace("{out}.md", str(target)).replace("{out}", str(target))
            .replace("{new}", str(tmp_path / "new")) for a in command]  # fmt: skip
    target.write_text("an earlier result")
    refused = invoke(*args)
    assert refused.exit_code == 2
    assert refused.stderr == f"topo: {target} exists; --force overwrites it\n"
    assert target.read_text() == "an earlier result"
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]  # nothing else written
    forced = invoke(*args, "--force")
    assert forced.exit_code == 0, forced.output
    assert target.read_text() != "an earlier result"


def test_the_default_page_is_kept_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    page = tmp_path / "output" / "aws-osaka-to-tokyo-the-article-s-traceroute.html"
    page.parent.mkdir()
    page.write_text("the article's page, edited by hand")
    refused = invoke("build", ARTICLE)
    assert refused.exit_code == 2 and "--force" in refused.stderr
    assert page.read_text() == "the article's page, edited by hand"
    assert invoke("build", ARTICLE, "--force").exit_code == 0
    assert title_of(page) == ARTICLE_TITLE


def test_trace_refuses_before_probing(tmp_path: Path) -> None:
    """The traces' file and the page are checked before anything is sent (and before the
    privilege check: a refused run needs no root)."""
    page = tmp_path / "lab.html"
    page.with_suffix(".jsonl").write_text("earlier traces\n")
    refused = CliRunner().invoke(cli, ["trace", "192.0.2.1", "--build", str(page)])
    assert refused.exit_code == 2
    assert refused.stderr == f"topo: {page.with_suffix('.jsonl')} exists; --force overwrites it\n"
    assert page.with_suffix(".jsonl").read_text() == "earlier traces\n" and not page.exists()


def test_files_written_earlier_in_the_same_run_are_its_own(tmp_path: Path) -> None:
    page, figure, graph = tmp_path / "set.html", tmp_path / "set.svg", tmp_path / "set.json"
    args = ["build", *SAMPLES, "-q", "-o", str(page), "--figure", str(figure)]
    result = invoke(*args, "--graph-json", str(graph))
    assert result.exit_code == 0, result.output
    assert page.exists() and figure.exists() and graph.exists()
    again = invoke(*args, "--graph-json", str(graph))
    assert again.exit_code == 2  # a new run: those files are earlier results now


# -- no input, no file ---------------------------------------------------------------------


@pytest.mark.parametrize("empty", ["folder", "file"])
@pytest.mark.parametrize(
    "command",
    [
        ["build", "{in}", "-o", "{dir}/page.html"],
        ["build", "{in}", "--graph-json", "{dir}/g.json", "--figure", "{dir}/f.svg"],
        ["report", "{in}", "-o", "{dir}/report.md"],
        ["compare", "{in}", "-o", "{dir}/compare.html", "--csv", "{dir}/compare.csv"],
    ],
    ids=["build", "graph-files", "report", "compare"],
)
def test_no_traces_write_nothing(command: list[str], empty: str, tmp_path: Path) -> None:
    source = tmp_path / "in" / "empty"
    if empty == "folder":
        source.mkdir(parents=True)
    else:
        source.parent.mkdir()
        source.write_text("")
    out = tmp_path / "out"
    args = [a.replace("{in}", str(source)).replace("{dir}", str(out)) for a in command]
    result = invoke(*args)
    assert result.exit_code == 1
    reason = f"topo: no traces in {source}: nothing written"
    if empty == "folder":
        assert said(result) == [reason]
    else:  # and the file's own line
        assert said(result) == [f"{source}: empty file", reason]
    assert not out.exists()


def test_no_traces_by_default_name_write_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty").mkdir()
    result = invoke("build", "empty")
    assert result.exit_code == 1 and said(result) == ["topo: no traces in empty: nothing written"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty"]


def test_a_set_without_traces_is_left_out_of_a_comparison(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    page = tmp_path / "c.html"
    result = invoke("compare", ARTICLE, str(tmp_path / "empty"), "-o", str(page))
    assert result.exit_code == 1
    assert f"{tmp_path / 'empty'}: no traces; left out of the comparison" in result.stderr
    assert title_of(page) == "1 set compared: 1 region pair, 1 trace"
