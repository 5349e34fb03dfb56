"""topo compare and topo report on the shipped samples and on hand-built sets."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from topo.cli import cli
from topo.errors import UsageError
from topo.inputs.manifest import Manifest
from topo.model import Hop, Origin, Reply, Trace
from topo.owners import ResolverConfig
from topo.render.i18n import text
from topo.render.report import build_report, redact_traces, render_html, render_markdown
from topo.topology import analyze, compare

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "aws-osaka-tokyo"
ARTICLE = json.loads((ROOT / "tests" / "data" / "article-osaka-tokyo.json").read_text("utf-8"))


def trace(name: str, addrs: list[str | None], rtts: list[float], src: str | None = None) -> Trace:
    hops = tuple(
        Hop(i + 1, (Reply(a, None if a is None else r, name=None if a is None else f"h{i}"),))
        for i, (a, r) in enumerate(zip(addrs, rtts, strict=True))
    )
    return Trace(dst=addrs[-1], src=src, hops=hops, origin=Origin(f"{name}.txt", 1), format="x")


OSAKA_TOKYO = ["13.208.0.67", "15.230.24.168", "100.65.1.9", "240.1.52.17", "52.95.31.166"]
TOKYO_OSAKA = ["15.230.154.163", "100.66.0.45", "15.230.24.168", "13.208.0.67"]


def test_metrics_shared_unique_and_both_directions() -> None:
    traces = [trace("f1", OSAKA_TOKYO, [0.5, 1, 2, 5, 9]),
              trace("f2", OSAKA_TOKYO, [0.6, 1, 2, 5, 9.4])]  # fmt: skip
    forward = analyze(traces, name="osaka-tokyo")
    backward = analyze([trace("b1", TOKYO_OSAKA, [0.4, 3, 7, 8])], name="tokyo-osaka")
    assert compare([forward, backward]).directions == ()  # no manifest says they are reverses
    forward.manifest = Manifest(provider="aws", src_region="ap-northeast-3",
                                dst_region="ap-northeast-1")  # fmt: skip
    backward.manifest = Manifest(provider="Amazon", src_region="ap-northeast-1",
                                 dst_region="ap-northeast-3")  # fmt: skip
    result = compare([forward, backward])
    first, second = result.pairs
    assert (first.src_region, first.dst_region) == ("ap-northeast-3", "ap-northeast-1")
    assert (first.traces, first.median_hops, first.cgnat, first.class_e) == (2, 5, 1, 1)
    assert first.reserved_share == 0.4 and first.ecmp_width == 1
    assert first.end_to_end_rtt_ms == 9.2 and first.families == ("Amazon",)
    assert first.segments[0]["kind"] == "inter-region" and first.segments[0]["hops"] == 2
    assert (second.src_region, second.dst_region) == ("ap-northeast-1", "ap-northeast-3")
    [direction] = result.directions
    assert direction.asymmetry["median_hops"] == 1.0
    assert direction.differences[0] == (
        "Median hop count: 5 hops Osaka → Tokyo, 4 hops Tokyo → Osaka (1 hop more Osaka → Tokyo)"
    )
    assert {"13.208.0.67", "15.230.24.168"} <= set(direction.shared_nodes)
    assert "100.65.1.9@Amazon" in result.unique[first.label]
    assert result.shared["13.208.0.67"] == [first.label, second.label]


def test_traced_both_ways_only_when_the_manifests_say_so() -> None:
    """The article's set and the lab's way back name each other; the constructed
    counter-example has the same regions and provider but is not the way back."""
    names = ["aws-osaka-tokyo", "aws-tokyo-osaka", "example-leaves-provider", "aws-tokyo-seoul"]
    result = compare([analyze([ROOT / "samples" / name]) for name in names])
    assert [(d.forward.split(" (")[0], d.backward.split(" (")[0]) for d in result.directions] == [
        ("AWS Osaka to Tokyo", "AWS Tokyo to Osaka")
    ]
    assert compare([analyze([ROOT / "samples" / n]) for n in names[::2]]).directions == ()
    words = result.directions[0].differences
    assert words[0].startswith("Median hop count: ") and " hops Osaka → Tokyo, " in words[0]
    assert any(w.startswith("End-to-end RTT: ") and " ms Osaka → Tokyo" in w for w in words)
    runner = CliRunner()
    sets = [str(ROOT / "samples" / name) for name in names[:3]]
    data = json.loads(runner.invoke(cli, ["compare", *sets, "--json", "--no-cache"]).stdout)
    [both] = data["directions"]  # (the CLI's sets share their owner tables: other prefixes)
    assert both["differences"][:4] == list(words[:4])


def test_split_by_region_pair() -> None:
    mixed = analyze([trace("f", OSAKA_TOKYO, [0.5, 1, 2, 5, 9]),
                     trace("b", TOKYO_OSAKA, [0.4, 3, 7, 8])], name="mixed")  # fmt: skip
    assert len(compare([mixed]).pairs) == 1
    pairs = compare([mixed], by_region_pair=True).pairs
    assert [(p.src_region, p.dst_region) for p in pairs] == [
        ("ap-northeast-3", "ap-northeast-1"),
        ("ap-northeast-1", "ap-northeast-3"),
    ]


def test_compare_cli_table_json_csv_and_page(tmp_path: Path) -> None:
    runner = CliRunner()
    page, table = tmp_path / "compare.html", tmp_path / "compare.csv"
    result = runner.invoke(cli, ["compare", str(SAMPLE), "--no-cache", "-o", str(page),
                                 "--csv", str(table)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "ap-northeast-3 -> ap-northeast-1" in result.stdout and "on-provider" in result.stdout
    rows = list(csv.DictReader(table.open(encoding="utf-8")))
    assert rows[0]["cgnat"] == "8" and rows[0]["class_e"] == "4"
    html = page.read_text(encoding="utf-8")
    assert "data:image/svg+xml;base64," in html and "http://" not in html.split("<body>")[1]
    data = json.loads(runner.invoke(cli, ["compare", str(SAMPLE), "--json", "--no-cache"]).stdout)
    assert set(data) == {"pairs", "shared", "unique", "directions"}
    assert data["pairs"][0]["verdict"] == "on-provider"
    both = runner.invoke(cli, ["compare", str(SAMPLE), str(SAMPLE.parent / "aws-tokyo-osaka"),
                               "--no-cache"]).stdout  # fmt: skip
    assert "Traced both ways:" in both and "Median hop count: 21 hops Osaka → Tokyo" in both
    assert "median_hops" not in both  # words with units, not keys


def test_report_reproduces_the_article_tables(tmp_path: Path) -> None:
    out = tmp_path / "report.md"
    result = CliRunner().invoke(cli, ["report", str(SAMPLE), "-o", str(out), "--no-cache"])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    for addr, name, rfc in ARTICLE["special_address_table"]:
        assert f"| {addr} | {name} | {rfc} |" in text
    for addr, org in ARTICLE["whois_orgname_table"]:
        assert f"| {addr} | {org} | Amazon |" in text
    specials = [line.split(" | ")[0].strip("| ") for line in text.splitlines()
                if "| Shared Address Space |" in line or "| Reserved |" in line]  # fmt: skip
    assert specials == [row[0] for row in ARTICLE["special_address_table"]]  # same order
    assert "ap-northeast-3" in text and "ap-northeast-1" in text  # what the article could not say
    assert "data:image/svg+xml;base64," in text


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_report_names_unpublished_regions_and_open_ends_in_words(lang: str) -> None:
    """Real cloud traces have provider hops without a published region and reserved runs
    past the provider's last answer: the report says so, never "? → ?"."""
    data = Path(__file__).parent / "data"
    files = sorted(str(p) for p in [*data.glob("besttrace/*.txt"), *data.glob("cloud/*.txt")])
    markdown = render_markdown(build_report(analyze(files), lang=lang))
    rows = [line for line in markdown.splitlines() if "→" in line]
    assert rows and not [line for line in rows if "? →" in line or "→ ?" in line]
    words = text(lang)
    assert words["unpublished"].format(provider="Amazon") in markdown
    assert words["open.after"].format(provider="Amazon") in markdown


def test_report_japanese_html_and_escaping(tmp_path: Path) -> None:
    table = tmp_path / "evil.csv"
    table.write_text('prefix,org\n13.208.0.0/16,"<img src=x onerror=alert(1)>"\n')
    config = ResolverConfig(use_cache=False, owner_tables=(table,))
    hostile = trace("evil", ["13.208.0.67", "100.65.1.9", "52.95.31.166"], [1, 2, 9])
    report = build_report(
        analyze([hostile], owners=config), name="</title><script>x()</script>", lang="ja"
    )
    page = render_html(report)
    assert "<script>" not in page and "&lt;/title&gt;&lt;script&gt;" in page
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "判定" in page and text("ja")[f"verdict.{report.verdict}"] in page
    markdown = render_markdown(report)
    assert "<script>" not in markdown


def test_redaction_hides_the_users_side() -> None:
    [clean] = redact_traces(
        [trace("t", ["192.168.1.1", "13.208.0.67"], [1, 2], src="198.51.100.9")]
    )
    assert clean.src is None and all(r.name is None for h in clean.hops for r in h.replies)
    report = build_report(analyze([clean]), name="x", redacted=True)
    assert any("Redacted" in line for line in report.method)


def test_every_reason_code_has_english_and_japanese_words() -> None:
    """Reasons are data: each code's words are made from its parameters in both languages,
    the samples give several codes, and a report in Japanese uses the Japanese words."""
    from topo.render.i18n import reason_text
    from topo.topology.reasons import CODES, Reason

    folders = sorted(p for p in (ROOT / "samples").iterdir() if (p / "topo.toml").exists())
    result = analyze(folders).inference
    seen = {r.code: r for t in result.traces for r in t.reasons}
    assert {"on-provider", "left-provider", "silent-destination"} <= set(seen)
    examples = {
        "no-provider": Reason.of("no-provider"),
        "no-cloud-provider": Reason.of("no-cloud-provider", owner="Arelion", ttl=2,
                                       addr="62.115.154.242"),
        "left-provider": Reason.of("left-provider", provider="Amazon", from_ttl=None,
                                   from_addr=None, ttl=3, addr="5.6.7.8", owner="Transit",
                                   unowned=("185.1.102.135",)),
        "unresolved-hops": Reason.of("unresolved-hops", addrs=("44.1.2.3", "44.1.2.4")),
        "incomplete": Reason.of("incomplete", provider="Amazon", region=None),
        "on-provider": Reason.of("on-provider", provider="Amazon"),
        "silent-destination": Reason.of("silent-destination", provider="Amazon", ttl=9,
                                        addr="52.95.31.197", region="ap-northeast-1"),
        "unbracketed-reserved": Reason.of("unbracketed-reserved", count=2, provider="Amazon"),
        "unreached-destination": Reason.of("unreached-destination", provider="Amazon",
                                           dst="8.8.8.8", owner="Google"),
        "vantage-network": Reason.of("vantage-network", first_ttl=1, last_ttl=2,
                                     addrs=("10.0.0.1", "10.0.1.1")),
        "vantage-region": Reason.of("vantage-region", region="me-central-1", source="manifest",
                                    other="ap-south-1", other_source="first Amazon hop"),
    }  # fmt: skip
    assert set(examples) == set(CODES)
    for code, reason in {**examples, **seen}.items():
        english, japanese = reason_text(reason, "en"), reason_text(reason, "ja")
        assert english == str(reason) and japanese != english, code
        for name, value in reason.params.items():
            if name in ("addr", "provider", "ttl", "count"):
                assert str(value) in english and str(value) in japanese, (code, name)
    assert "44.1.2.3, 44.1.2.4" in str(examples["unresolved-hops"])
    assert "the vantage point" in str(examples["left-provider"])
    for code, words in [("unreached-destination", "Google"), ("vantage-network", "10.0.1.1"),
                        ("vantage-region", "ap-south-1")]:  # fmt: skip
        assert words in str(examples[code]) and words in reason_text(examples[code], "ja")
    nobody = Reason.of("unbracketed-reserved", count=2, provider=None)
    unknown = Reason.of("unreached-destination", provider="Amazon", dst="1.2.3.4", owner=None)
    assert "None" not in str(nobody) and "no provider identified" in str(nobody)
    assert "None" not in str(unknown) and "owner is unknown" in str(unknown)
    with pytest.raises(ValueError, match="unknown reason code"):
        Reason.of("no-such-code")


def test_compare_needs_the_step_profiles_a_build_leaves_out() -> None:
    without = analyze([SAMPLE], profiles=False)
    assert all(not t.steps for t in without.traces)
    assert without.graph.graph == analyze([SAMPLE]).graph.graph  # the graph is the same
    with pytest.raises(UsageError, match=r"analyze\(\.\.\., profiles=True\)"):
        compare([without])
