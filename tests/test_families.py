"""Owner families by organisation, AS number and AS name (topo/owners/families.py)."""

from __future__ import annotations

import pytest

from topo.owners.families import load_families, normalise_as_name

#: The family names the hostname rules use too: they must exist, spelt exactly so.
SHARED_NAMES = (
    "Amazon", "Google", "Microsoft", "Oracle", "Alibaba", "Cloudflare", "Akamai", "Fastly",
    "Meta", "NTT", "PCCW", "Arelion", "GTT", "Cogent", "Lumen", "Zayo", "Hurricane Electric",
    "Tata", "Verizon", "Deutsche Telekom", "China Telecom", "China Unicom", "China Mobile",
    "RASCOM", "KDDI", "Telstra", "Singtel", "Orange", "Sparkle", "Vodafone", "SEACOM",
    "Hetzner", "OVH", "DigitalOcean",
)  # fmt: skip


@pytest.mark.parametrize(
    ("as_name", "family"),
    [
        ("GOOGLE", "Google"),
        ("GOOGLE-CLOUD-PLATFORM", "Google"),
        ("YOUTUBE", "Google"),
        ("GOOGLE-FIBER", "Google Fiber"),
        ("AMAZON-02", "Amazon"),
        ("AMAZON-AES", "Amazon"),
        ("NTT-LTD-2914", "NTT"),
        ("NTT-COMMUNICATIONS-2914", "NTT"),
        ("ORACLE-BMC-31898", "Oracle"),
        ("PCCW Global, Inc.", "PCCW"),
        ("TELIANET", "Arelion"),
        ("Arelion Sweden AB", "Arelion"),
        ("GTT Communications Inc.", "GTT"),
        ("COGENT-174", "Cogent"),
        ("LEVEL3", "Lumen"),
        ("ZAYO-6461", "Zayo"),
        ("HURRICANE", "Hurricane Electric"),
        ("CHINANET-BACKBONE", "China Telecom"),
        ("CHINA UNICOM China169 Backbone", "China Unicom"),
        ("China Mobile communications corporation", "China Mobile"),
        ("MICROSOFT-CORP-MSN-AS-BLOCK", "Microsoft"),
        ("CLOUDFLARENET", "Cloudflare"),
        ("FACEBOOK", "Meta"),
        ("AKAMAI-AS", "Akamai"),
        ("Rascom CJSC", "RASCOM"),
        ("Deutsche Telekom AG", "Deutsche Telekom"),
        ("TATA COMMUNICATIONS (AMERICA) INC", "Tata"),
        ("UUNET", "Verizon"),
    ],
)
def test_as_names_give_their_family(as_name: str, family: str) -> None:
    assert load_families().family_of(asn_name=as_name) == family


@pytest.mark.parametrize(
    ("asn", "family"),
    [
        (16509, "Amazon"), (14618, "Amazon"), (15169, "Google"), (396982, "Google"),
        (16591, "Google Fiber"), (8075, "Microsoft"), (31898, "Oracle"), (45102, "Alibaba"),
        (13335, "Cloudflare"), (209242, "Cloudflare"), (20940, "Akamai"), (54113, "Fastly"),
        (32934, "Meta"), (2914, "NTT"), (3491, "PCCW"), (1299, "Arelion"), (3257, "GTT"),
        (174, "Cogent"), (3356, "Lumen"), (209, "Lumen"), (6461, "Zayo"),
        (6939, "Hurricane Electric"), (6453, "Tata"), (4755, "Tata"), (701, "Verizon"),
        (3320, "Deutsche Telekom"), (4134, "China Telecom"), (4809, "China Telecom"),
        (4837, "China Unicom"), (9929, "China Unicom"), (58453, "China Mobile"),
        (20764, "RASCOM"), (2516, "KDDI"), (1221, "Telstra"), (7473, "Singtel"),
        (5511, "Orange"), (6762, "Sparkle"), (1273, "Vodafone"), (37100, "SEACOM"),
        (24940, "Hetzner"), (16276, "OVH"), (14061, "DigitalOcean"),
    ],
)  # fmt: skip
def test_as_numbers_give_their_family(asn: int, family: str) -> None:
    assert load_families().family_of(asn=asn) == family


def test_shared_family_names_exist_and_every_asn_has_one_family() -> None:
    families = load_families().families
    names = [f.name for f in families]
    assert set(SHARED_NAMES) <= set(names) and len(names) == len(set(names))
    seen: dict[int, str] = {}
    for family in families:
        for asn in family.asns:
            assert seen.setdefault(asn, family.name) == family.name, asn


def test_cloud_families_keep_their_provider() -> None:
    families = load_families()
    assert [families.family_of(provider=p) for p in ("aws", "gcp", "oracle")] == [
        "Amazon",
        "Google",
        "Oracle",
    ]


@pytest.mark.parametrize(
    ("kwargs", "family"),
    [
        # 1. an org pattern wins over everything
        ({"org": "Amazon Technologies Inc.", "asn": 15169, "asn_name": "GOOGLE"}, "Amazon"),
        # 2. then the AS number, over the AS name
        ({"org": "Example Hosting Ltd", "asn": 16509, "asn_name": "GOOGLE"}, "Amazon"),
        ({"asn": 3356, "asn_name": "COGENT-174"}, "Lumen"),
        # 3. then an AS-name pattern, over the org's own name
        ({"org": "Example Hosting Ltd", "asn": 64500, "asn_name": "AMAZON-02"}, "Amazon"),
        # 4. then the org itself
        ({"org": "Example Hosting Ltd", "asn_name": "EXAMPLE-NET-64500"}, "Example Hosting"),
        # 5. then the provider, over an AS name no family claims
        ({"asn_name": "EXAMPLE-NET-64500", "provider": "aws"}, "Amazon"),
        ({"asn": 64500, "provider": "aws"}, "Amazon"),
        # 6. the AS name itself last
        ({"asn_name": "EXAMPLE-NET-64500"}, "EXAMPLE-NET"),
        ({"asn": 64500, "asn_name": "  ", "provider": "oracle"}, "Oracle"),
    ],
)
def test_precedence(kwargs: dict[str, object], family: str) -> None:
    assert load_families().family_of(**kwargs) == family  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "as_name",
    ["EXAMPLE-NET-64500", "TELIANET-SWEDEN", "GTT", "META-NET", "AMAZONAS-TELECOM", "LUMEN-NET"],
)
def test_unknown_as_names_match_no_family(as_name: str) -> None:
    assert load_families().by_as_name(as_name) is None


@pytest.mark.parametrize(
    ("as_name", "readable"),
    [
        ("EXAMPLE-NET-64500", "EXAMPLE-NET"),
        ("EXAMPLE-AS", "EXAMPLE"),
        ("EXAMPLE-AS64500", "EXAMPLE"),
        ("EXAMPLE-NET-AS-64500", "EXAMPLE-NET"),
        ("Example Telecom CJSC", "Example Telecom"),
        ("Example Mobile Co.,Ltd.", "Example Mobile"),
        ("AS64500", "AS64500"),
        ("64500", "64500"),
        ("EXAMPLE-AP", "EXAMPLE-AP"),
    ],
)
def test_an_unknown_as_name_becomes_a_readable_family(as_name: str, readable: str) -> None:
    assert normalise_as_name(as_name) == readable
    assert load_families().family_of(asn_name=as_name) == readable


def test_nothing_known_gives_none() -> None:
    families = load_families()
    assert families.family_of() is None
    assert families.family_of(asn=64512, asn_name="") is None


@pytest.mark.parametrize(
    ("org", "family"),
    [
        ("Google Fiber Inc.", "Google Fiber"),
        ("Google LLC", "Google"),
        ("Level 3 Parent, LLC", "Lumen"),
        ("MCI Communications Services, Inc. d/b/a Verizon Business", "Verizon"),
        ("Orange S.A.", "Orange"),
        ("Orange County Public Schools", "Orange County Public Schools"),
        ("NTT Communications Corporation", "NTT Communications"),
        ("NTT America, Inc.", "NTT"),
        ("Hangzhou Alibaba Advertising Co.,Ltd.", "Alibaba"),
        ("Telecom Italia Sparkle S.p.A.", "Sparkle"),
    ],
)
def test_organisation_names(org: str, family: str) -> None:
    assert load_families().family_of(org=org) == family
