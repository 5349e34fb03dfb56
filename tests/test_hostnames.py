"""Evidence from the trace itself: hostname rules and the AS numbers tools print.

Names are real hop names from ``research/real-traces`` (see its SOURCES.md) and from the
golden files in ``tests/data``; where neither has one for a rule, the name is marked as
seen elsewhere or written.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from topo.owners.hostnames import (
    HostnameHit,
    load_hostname_rules,
    parse_hostname_rules,
)
from topo.owners.model import Owner
from topo.parsers import besttrace, detect_format, parse_text

from .conftest import DATA
from .test_golden import golden_inputs

#: The family names topo uses (families.toml spells them the same way).
FAMILIES = {
    "Amazon", "Google", "Microsoft", "Oracle", "Alibaba", "Cloudflare", "Akamai", "Fastly",
    "Meta", "NTT", "PCCW", "Arelion", "GTT", "Cogent", "Lumen", "Zayo", "Hurricane Electric",
    "Tata", "Verizon", "Deutsche Telekom", "China Telecom", "China Unicom", "China Mobile",
    "RASCOM", "KDDI", "Telstra", "Singtel", "Orange", "Sparkle", "Vodafone", "SEACOM",
    "Hetzner", "OVH", "DigitalOcean",
}  # fmt: skip

# name -> (rule, family, asn, region, city, provider)
REAL_NAMES = {
    # Amazon: EC2 instance names with their region, China's .com.cn, CloudFront edges
    "ec2-3-248-240-5.eu-west-1.compute.amazonaws.com": (
        "aws-ec2",
        "Amazon",
        None,
        "eu-west-1",
        None,
        "aws",
    ),
    "ec2-54-150-128-95.ap-northeast-1.compute.amazonaws.com": (
        "aws-ec2",
        "Amazon",
        None,
        "ap-northeast-1",
        None,
        "aws",
    ),
    "ec2-54-223-0-62.cn-north-1.compute.amazonaws.com.cn": (
        "aws-ec2-china",
        "Amazon",
        None,
        "cn-north-1",
        None,
        "aws",
    ),
    "ip-172-31-26-81.ap-southeast-1.compute.internal": (
        "aws-vpc",
        "Amazon",
        None,
        "ap-southeast-1",
        None,
        "aws",
    ),
    "server-54-192-151-77.sin2.r.cloudfront.net": (
        "aws-cloudfront-edge",
        "Amazon",
        16509,
        None,
        "Singapore",
        None,
    ),
    # Google: 1e100.net with its city, Google Cloud instances, Public DNS, backbone
    "arn09s22-in-f14.1e100.net": ("google-1e100-site", "Google", 15169, None, "Stockholm", None),
    "lhr48s28-in-x0e.1e100.net": ("google-1e100-site", "Google", 15169, None, "London", None),
    "30.86.209.35.bc.googleusercontent.com": ("gcp-instance", "Google", None, None, None, "gcp"),
    "dns.google": ("google-dns", "Google", 15169, None, None, None),
    "bb01-ae3.nuq04.net.google.com": (
        "google-backbone",
        "Google",
        15169,
        None,
        "Mountain View",
        None,
    ),
    # Microsoft, Akamai, Cloudflare
    "ae22-0.icr01.fra23.ntwk.msn.net": (
        "microsoft-backbone",
        "Microsoft",
        8075,
        None,
        "Frankfurt",
        None,
    ),
    "ae65-0.fra-96cbe-1a.ntwk.msn.net": (
        "microsoft-backbone",
        "Microsoft",
        8075,
        None,
        "Frankfurt",
        None,
    ),
    "ae18.r04.border101.ord01.fab.netarch.akamai.com": (
        "akamai-backbone",
        "Akamai",
        None,
        None,
        "Chicago",
        None,
    ),
    "one.one.one.one": ("cloudflare-dns", "Cloudflare", 13335, None, None, None),
    # transit backbones
    "frm-nt-cr2.ae26-1456.rascom.as20764.net": (
        "rascom-backbone",
        "RASCOM",
        20764,
        None,
        "Frankfurt",
        None,
    ),
    "tspu-6364.no-hope.msk-m9-cr5.ae666-3002.rascom.as20764.net": (
        "rascom-backbone",
        "RASCOM",
        20764,
        None,
        "Moscow",
        None,
    ),
    "snge-b4-link.ip.twelve99.net": ("arelion-backbone", "Arelion", 1299, None, "Singapore", None),
    "ldn-bb1-link.ip.twelve99.net": ("arelion-backbone", "Arelion", 1299, None, "London", None),
    "oracle-ic-357467.ip.twelve99-cust.net": ("arelion", "Arelion", 1299, None, None, None),
    "ae1-1414.cr5-sea2.ip4.gtt.net": ("gtt-backbone", "GTT", 3257, None, "Seattle", None),
    "as7018.ip4.gtt.net": ("gtt", "GTT", 3257, None, None, None),  # GTT's side, facing AT&T
    "be80.br05.tok02.pccwbtn.net": ("pccw-backbone", "PCCW", 3491, None, "Tokyo", None),
    "tsinghua.hu0-0-0-9.clbr02.hkg04.pccwbtn.net": (
        "pccw-backbone",
        "PCCW",
        3491,
        None,
        "Hong Kong",
        None,
    ),
    "ae-1.r03.tkokhk01.hk.bb.gin.ntt.net": ("ntt-backbone", "NTT", 2914, None, "Hong Kong", None),
    "ae-0.r24.londen12.uk.bb.gin.ntt.net": ("ntt-backbone", "NTT", 2914, None, "London", None),
    "be3080.ccr71.tyo01.atlas.cogentco.com": (
        "cogent-backbone",
        "Cogent",
        174,
        None,
        "Tokyo",
        None,
    ),
    "be3176.ccr21.sjc01.atlas.cogentco.com": (
        "cogent-backbone",
        "Cogent",
        174,
        None,
        "San Jose",
        None,
    ),
    "if-ae-10-3.tcore2.dt8-dallas.as6453.net": (
        "tata-backbone",
        "Tata",
        6453,
        None,
        "Dallas",
        None,
    ),
    "verizon-com.customer.alter.net": ("verizon", "Verizon", 701, None, None, None),
    "ewr-sa1-i.EWR.US.NET.DTAG.DE": (
        "dtag-backbone",
        "Deutsche Telekom",
        3320,
        None,
        "Newark",
        None,
    ),
    "ae-1.cr-02-lhr.uk.seacomnet.com": ("seacom-backbone", "SEACOM", 37100, None, "London", None),
    # Chinese carriers (many ASes: the address look-up gives the AS)
    "bj141-147-210.bjtelecom.net": ("china-telecom", "China Telecom", None, None, None, None),
    "dns2-ftcg.gdsz.cncnet.net": ("china-unicom", "China Unicom", None, None, None, None),
    "ns6.gd.cnmobile.net": ("china-mobile", "China Mobile", None, None, None, None),
    # AS number only: the family table maps it
    "cr2.la2ca.ip.att.net": ("att", None, 7018, None, None, None),
    "lo0-2.asd002a-jnx-01-sn7-internet.surf.net": ("surf", None, 1103, None, None, None),
    "core.eth-tr-1-gp-id-scp-2.za.africainx.net": ("africainx", None, 37179, None, None, None),
}

# Names seen in public traceroutes outside the two collections (the rule's source says
# where), or written in an operator's documented form.
OTHER_NAMES = {
    "100ge11-1.core1.lax2.he.net": ("he-backbone", "Hurricane Electric", 6939, "Los Angeles"),
    # HE's own interface facing AS4134: the domain wins over the AS in the labels
    "chinanet-backbone-as4134.10gigabitethernet5-12.core1.lax2.he.net": (
        "he-backbone",
        "Hurricane Electric",
        6939,
        "Los Angeles",
    ),
    "po141.asw03.ord3.tfbnw.net": ("meta-backbone", "Meta", 32934, "Chicago"),
    "peer-as16509.pr01.lhr7.tfbnw.net": ("meta-backbone", "Meta", 32934, "London"),
    "edge-star-mini-shv-01-sea1.facebook.com": ("meta-edge", "Meta", None, "Seattle"),
    "edge-star-mini-shv-01-ort2.facebook.com": ("meta-edge", "Meta", None, None),  # Meta's code
    "sjo-b21-link.telia.net": ("arelion-backbone", "Arelion", 1299, None),  # written
    "ae-2-3602.ear2.frankfurt1.level3.net": ("lumen", "Lumen", 3356, None),  # written
    "ae5.cs1.lhr15.uk.eth.zayo.com": ("zayo", "Zayo", 6461, None),  # written
    # documented
    "ec2-54-1-2-3.compute-1.amazonaws.com": ("aws-ec2-us-east-1", "Amazon", None, None),
}


@pytest.mark.parametrize("name", sorted(REAL_NAMES))
def test_real_names(name: str) -> None:
    rule, family, asn, region, city, provider = REAL_NAMES[name]
    hit = load_hostname_rules().match(name)
    assert hit is not None, name
    assert (hit.rule, hit.family, hit.asn, hit.region, hit.city, hit.provider) == (
        rule,
        family,
        asn,
        region,
        city,
        provider,
    )


@pytest.mark.parametrize("name", sorted(OTHER_NAMES))
def test_other_names(name: str) -> None:
    rule, family, asn, city = OTHER_NAMES[name]
    hit = load_hostname_rules().match(name)
    assert hit is not None, name
    assert (hit.rule, hit.family, hit.asn, hit.city) == (rule, family, asn, city)


def test_us_east_1_names_imply_the_region() -> None:
    rules = load_hostname_rules()
    public = rules.match("ec2-54-1-2-3.compute-1.amazonaws.com")
    private = rules.match("ip-10-0-0-1.ec2.internal")
    assert public is not None and private is not None
    assert (public.region, public.provider) == ("us-east-1", "aws")
    # a VPC-internal name: Amazon's, in us-east-1, but no AS (the address is private)
    assert (private.rule, private.family, private.region, private.asn) == (
        "aws-vpc-us-east-1",
        "Amazon",
        "us-east-1",
        None,
    )


@pytest.mark.parametrize(
    "name",
    [
        "example.com",
        "www.example.net",
        "gas-station.example",  # "as" inside a word
        "mass123.example",
        "alias7.router.example",
        "as-path.example",  # no digits
        "as0.example.net",  # AS 0 is no AS
        "as99999999999.example.net",  # more than 32 bits
        "evilhe.net",  # only a whole label is a suffix
        "he.net.example.org",
        "dsldevice.attlocal.net",
        "ntt.setup",
        "fritz.box",
        "_gateway",
        "",
        "  ",
        "192.0.2.1",
        "bad.horse",
    ],
)
def test_non_matches(name: str) -> None:
    assert load_hostname_rules().match(name) is None


@pytest.mark.parametrize(
    ("name", "asn"),
    [
        ("ae1.as64500.example.net", 64500),
        ("peer-as3356.example.org", 3356),
        ("core1.fra.as4200000000.example", 4200000000),
        ("AS15169.example", 15169),
    ],
)
def test_as_label(name: str, asn: int) -> None:
    hit = load_hostname_rules().match(name)
    assert hit is not None
    assert (hit.rule, hit.family, hit.asn) == ("as-label", None, asn)


def test_case_and_trailing_dot_do_not_matter() -> None:
    rules = load_hostname_rules()
    hit = rules.match("BE3080.CCR71.TYO01.ATLAS.COGENTCO.COM.")
    assert hit is not None and hit.name == "be3080.ccr71.tyo01.atlas.cogentco.com"
    assert hit == rules.match("be3080.ccr71.tyo01.atlas.cogentco.com")


def test_to_owner() -> None:
    hit = load_hostname_rules().match("ec2-3-248-240-5.eu-west-1.compute.amazonaws.com")
    assert isinstance(hit, HostnameHit)
    assert hit.to_owner() == Owner(
        family="Amazon",
        region="eu-west-1",
        provider="aws",
        answered_by="hostname",
        evidence=("hostname ec2-3-248-240-5.eu-west-1.compute.amazonaws.com matched rule aws-ec2",),
    )
    rascom = load_hostname_rules().match("msk-m9-cr3.xe-10-1-12-2993.rascom.as20764.net")
    assert rascom is not None
    assert (rascom.to_owner().family, rascom.to_owner().asn) == ("RASCOM", 20764)


def test_the_table() -> None:
    rules = load_hostname_rules()
    assert rules is load_hostname_rules()  # read once
    assert len(rules) >= 50
    for rule in rules.rules:
        assert rule.source, f"rule {rule.id} says nowhere where its convention comes from"
        assert rule.family is None or rule.family in FAMILIES, rule.family
        assert rule.family is not None or rule.asn is not None or rule.pattern is not None
        assert rule.provider in (None, "aws", "gcp", "oracle")
    generic = [r.id for r in rules.rules if not r.suffixes]
    assert generic == ["as-label"]
    assert rules.rules[-1].id == "as-label"  # tried after every domain's own rules


def test_only_the_names_domain_rules_are_tried() -> None:
    rules = load_hostname_rules()
    assert [r.id for r in rules.candidates("r1.example.net")] == ["as-label"]
    assert [r.id for r in rules.candidates("x.core1.lax2.he.net")] == [
        "he-backbone",
        "he",
        "as-label",
    ]


def test_many_names() -> None:
    """The resolver may ask about tens of thousands of names."""
    rules = load_hostname_rules()
    names = [f"ae{i}.cr{i % 9}-sea{i % 3}.ip4.gtt.net" for i in range(5000)]
    names += [f"host-{i}.customer.example.net" for i in range(5000)]
    hits = [rules.match(n) for n in names]
    assert sum(h is not None for h in hits) == 5000


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('[[rule]]\nid = "a"\nsuffixes = ["x.net"]\ncolour = "red"', "unknown keys"),
        ("[[rule]]\nid = \"a\"\npattern = '(?P<town>x)'", "unknown groups"),
        ('[[rule]]\nid = "a"\nfamily = "X"', "neither suffixes nor a pattern"),
        ('[[rule]]\nsuffixes = ["x.net"]', "has no id"),
        ('[[rule]]\nid = "a"\nsuffixes = ["x.net"]\n[[rule]]\nid = "a"\nsuffixes = ["y"]', "dup"),
    ],
)
def test_bad_tables(table: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_hostname_rules(table)


def test_the_table_ships_with_the_package() -> None:
    import tomllib
    from importlib import resources

    pyproject = tomllib.loads((DATA.parent.parent / "pyproject.toml").read_text("utf-8"))
    globs = pyproject["tool"]["setuptools"]["package-data"]["topo"]
    assert any(Path("data/owners/hostnames.toml").match(g) for g in globs)
    assert resources.files("topo.data.owners").joinpath("hostnames.toml").is_file()


# --- AS numbers the tools printed ---------------------------------------------------------


def _asns(text: str, fmt: str | None = None) -> list[list[tuple[int, ...] | None]]:
    result = parse_text(text, source="t.txt", format=fmt)
    assert result.ok, result.errors
    [trace] = result.traces
    return [[r.asn for r in hop.replies] for hop in trace.hops]


def test_linux_traceroute_a_keeps_asns() -> None:
    text = (
        "traceroute to 8.8.8.8 (8.8.8.8), 30 hops max, 60 byte packets\n"
        " 1  52.95.31.166 (52.95.31.166) [AS16509/AS14618]  8.913 ms  8.899 ms\n"
        " 2  100.65.1.9 (100.65.1.9) [*]  1.988 ms\n"
        " 3  dns.google (8.8.8.8) [AS15169]  2.1 ms\n"
    )
    assert _asns(text) == [[(16509, 14618)] * 2, [()], [(15169,)]]


def test_bsd_traceroute_as0_is_no_as() -> None:
    text = (
        "traceroute to 8.8.8.8 (8.8.8.8), 64 hops max, 52 byte packets\n"
        " 1  [AS198949] dsldevice (192.168.1.254)  6.070 ms\n"
        " 2  [AS0] 76-220-24-1.lightspeed.sntcca.sbcglobal.net (76.220.24.1)  160.025 ms\n"
    )
    assert _asns(text) == [[(198949,)], [()]]


def test_mtr_report_z_keeps_asns() -> None:
    text = (
        "HOST: probe                       Loss%   Snt   Last   Avg  Best  Wrst StDev\n"
        "  1. AS???    192.0.2.1            0.0%     5    0.5   0.5   0.5   0.6   0.0\n"
        "  2. AS64500  198.51.100.9         0.0%     5    5.8   9.3   5.8  11.8   2.1\n"
    )
    assert _asns(text) == [[()], [(64500,)]]


#: Globalping's mtr table, as its probe's ``MtrParser.outputBuilder`` writes it
#: (jsdelivr/globalping-probe, src/command/handlers/mtr/parser.ts), with documentation
#: addresses; the layout of gcp-europe-west3-to-openai-azure-globalping-mtr.txt in
#: research/real-traces (its licence, OSL-3.0, keeps it out of tests/data).
GLOBALPING = """$ globalping mtr example.net from gcp-europe-west3
> EU, DE, Frankfurt, ASN:396982, Google LLC (gcp-europe-west3)
Host                                                Loss% Drop Rcv Avg  StDev  Javg
1. AS15169 _gateway (192.0.2.1)                      0.0%    0   3 1.4    0.4   1.0
2. AS64500 64501 r1.example.net (198.51.100.7)       33.3%    1   2 4.2    0.1   0.2
3. AS???   (waiting for reply)
4. AS64502 203.0.113.9 (203.0.113.9)                 0.0%    0   3 2.0    0.3   1.3
"""


def test_globalping_mtr_table() -> None:
    assert detect_format(GLOBALPING).NAME == "mtr-report"
    result = parse_text(GLOBALPING, source="gp.txt")
    assert result.ok, result.errors
    [trace] = result.traces
    assert [[r.asn for r in hop.replies] for hop in trace.hops] == [
        [(15169,)],
        [(64500, 64501)],
        [None],
        [(64502,)],
    ]
    assert trace.hops[1].replies[0].name == "r1.example.net"
    assert trace.hops[1].stats is not None and trace.hops[1].stats.loss == 33.3
    assert trace.hops[2].stats is None and trace.hops[2].is_silent
    assert (trace.dst, trace.dst_name, trace.reached) == ("203.0.113.9", "example.net", True)
    assert trace.meta["probe"].startswith("EU, DE, Frankfurt")
    assert trace.hops[3].replies[0].name is None  # "addr (addr)": no name


def test_globalping_probes_are_separate_reports() -> None:
    second = GLOBALPING.split("\n", 1)[1].replace("Frankfurt", "Tokyo")
    result = parse_text(GLOBALPING + second, source="gp.txt", format="mtr-report")
    assert result.ok, result.errors
    assert [t.meta["probe"].split(", ")[2] for t in result.traces] == ["Frankfurt", "Tokyo"]
    assert all(t.dst_name == "example.net" for t in result.traces)


def test_besttrace_keeps_the_as_column() -> None:
    text = (
        "----------------------------------------------------------------------\n"
        "上海电信\n"
        "traceroute to 202.96.209.133 (202.96.209.133), 30 hops max, 32 byte packets\n"
        " 1  ec2-54-150-128-21.ap-northeast-1.compute.amazonaws.com (54.150.128.21)"
        "  19.25 ms  AS16509  Japan, Tokyo, amazon.com\n"
        " 2  *\n"
        " 3  241.0.8.5  0.39 ms  *  Reserved\n"
        " 4  be80.br05.tok02.pccwbtn.net (63.218.250.41)  3.08 ms  AS3491  Japan, Tokyo, pccw.com\n"
        " 5  ns-pd.online.sh.cn (202.96.209.133)  48.42 ms  AS4812  China, Shanghai, ChinaTelecom\n"
    )
    assert detect_format(text).NAME == "besttrace"
    assert _asns(text) == [[(16509,)], [None], [()], [(3491,)], [(4812,)]]
    [trace] = parse_text(text, source="t.txt").traces
    assert trace.meta == {"label": "上海电信", "max_hops": 30, "packet_bytes": 32}
    assert trace.reached is True
    assert trace.hops[3].replies[0].name == "be80.br05.tok02.pccwbtn.net"


def test_besttrace_one_line_per_probe() -> None:
    text = (
        " 1  10.111.111.1  25.20 ms  *  局域网\n"
        "    10.111.111.1  26.32 ms  *  局域网\n"
        " 2  103.116.47.1  23.32 ms  AS140096  中国, 香港, wawahost.com.my\n"
        "    103.116.47.2  22.53 ms  AS140096  中国, 香港, wawahost.com.my\n"
    )
    [trace] = parse_text(text, source="t.txt").traces
    assert trace.format == "besttrace"
    assert [len(h.replies) for h in trace.hops] == [2, 2]
    assert trace.ip_path == (("10.111.111.1",), ("103.116.47.1", "103.116.47.2"))


def test_besttrace_reports_lines_it_cannot_read() -> None:
    text = " 1  10.0.0.1  0.2 ms  *  LAN\n 2  10.0.0.2  0.3 ms  *  LAN\njunk line\n 3  what  ms\n"
    result = parse_text(text, source="t.txt")
    assert [(e.line, str(e).split(": ", 1)[1]) for e in result.errors] == [
        (3, "not a BestTrace line: 'junk line'"),
        (4, "unreadable probe 'what  ms'"),
    ]
    assert len(result.traces[0].hops) == 2


def test_linux_traceroute_stars_are_not_besttrace() -> None:
    text = " 1  10.0.0.1  0.5 ms  *  10.0.0.2  0.6 ms\n 2  10.0.0.3  0.5 ms  *  *\n"
    assert not besttrace.sniff(text)
    assert detect_format(text).NAME == "linux-traceroute"


@pytest.mark.parametrize("path", golden_inputs(), ids=lambda p: p.relative_to(DATA).as_posix())
def test_besttrace_sniff_only_accepts_besttrace(path: Path) -> None:
    text = path.read_bytes()[:65536].decode("utf-8", errors="replace")
    assert besttrace.sniff(text) is (path.parent.name == "besttrace")


def test_printed_asns_in_golden_files() -> None:
    """Every golden file whose tool printed AS numbers keeps them on Reply.asn."""
    expected = {
        "besttrace/lightsail-ap-northeast-1-to-china-carriers-besttrace.txt": {
            174,
            3491,
            31713,
            4134,
        },
        "linux-traceroute/names-asn-mpls.txt": {16509, 14618},
        "mtr-report/ipinfo_z_two_runs.txt": {64500},
        "cisco-ios/genie-iosxe-names-as.txt": {2516},
        "bsd-traceroute/macos-asn.txt": {198949, 7018},
        "mtr-json/mtr092_strings_asn.json": {64500, 64501},
        "mtr-csv/appended_runs_asn.csv": {64500, 64501},
    }
    for name, asns in expected.items():
        data = json.loads((DATA / f"{name}.expected.json").read_text("utf-8"))
        seen = {
            asn
            for trace in data["traces"]
            for hop in trace["hops"]
            for reply in hop["replies"]
            for asn in reply.get("asn") or ()
        }
        assert asns <= seen, name
        assert 0 not in seen, name  # AS 0 is no AS
