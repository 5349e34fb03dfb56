"""The words of reports in English and Japanese (``--lang en|ja``).

>>> text("ja")["verdict.on-provider"]
'プロバイダー網内（on-provider）'
>>> text("en")["col.org"]
'OrgName'
"""

from __future__ import annotations

import re

from topo.errors import UsageError

LANGUAGES = ("en", "ja")

_EN = {
    "title": "Path analysis: {name}",
    "generated": "Generated {date} by topo {version}.",
    "h.verdict": "Verdict",
    "h.public": "Public addresses",
    "h.special": "Special-purpose addresses",
    "h.figure": "Topology",
    "h.rtt": "RTT profile",
    "h.segments": "Interconnect segments",
    "h.method": "Method",
    "h.evidence": "Evidence",
    "col.addr": "IP",
    "col.org": "OrgName",
    "col.family": "Owner",
    "col.region": "Region",
    "col.asn": "ASN",
    "col.name": "Name",
    "col.rfc": "RFC",
    "col.kind": "Kind",
    "col.regions": "Regions",
    "col.hops": "Reserved hops",
    "col.rtt": "RTT gained",
    "col.bound": "Bound",
    "col.directness": "Directness",
    "col.plausible": "Plausible",
    "col.confidence": "Confidence",
    "verdict.on-provider": "on-provider",
    "verdict.left-provider": "left-provider",
    "verdict.undetermined": "undetermined",
    "verdict.incomplete": "incomplete",
    "summary.on-provider": "Every public hop belongs to {provider}: "
    "the path stayed on its network.",
    "summary.left-provider": "The path left {provider}: {exit}.",
    "summary.undetermined": "Some public hops could not be attributed to an owner.",
    "summary.incomplete": "The destination did not answer and the last answer is not "
    "{provider}'s in the destination's region.",
    "summary.segment": "{count} reserved hops ({categories}) form the {kind} interconnect "
    "{from_region} → {to_region}; RTT gained {rtt} ms against a {bound} ms propagation bound.",
    "method.classify": "Every hop address was classified against the IANA IPv4 and IPv6 "
    "special-purpose address registries (content as of 2026-07-18); special-purpose addresses "
    "were never looked up.",
    "method.owners": "Owners of public addresses: {sources}.",
    "method.online": "Online lookups (RDAP/whois) were {state}.",
    "method.data": "Published ranges used: {dates}.",
    "method.unresolved": "Public addresses nobody could attribute: {addrs}.",
    "method.traces": "{count} traces read ({formats}).",
    "method.redacted": "Redacted: the vantage point's address and host names are hidden.",
    "method.bound": "Propagation bound: great-circle distance between the regions' cities / "
    "100 km per ms of round trip (light in fibre).",
    "yes": "yes",
    "no": "NO",
    "unknown": "?",
    "none": "none",
    "on": "on",
    "off": "off (offline run)",
}

_JA = {
    "title": "経路分析: {name}",
    "generated": "{date} に topo {version} で作成。",
    "h.verdict": "判定",
    "h.public": "パブリック IP アドレス",
    "h.special": "特殊用途 IP アドレス",
    "h.figure": "推定トポロジー",
    "h.rtt": "RTT プロファイル",
    "h.segments": "リージョン間接続区間",
    "h.method": "方法",
    "h.evidence": "根拠",
    "col.addr": "IP",
    "col.org": "OrgName",
    "col.family": "所有者",
    "col.region": "リージョン",
    "col.asn": "ASN",
    "col.name": "Name",
    "col.rfc": "RFC",
    "col.kind": "種類",
    "col.regions": "リージョン",
    "col.hops": "予約済みホップ",
    "col.rtt": "RTT 増加",
    "col.bound": "伝搬遅延の下限",
    "col.directness": "直線性",
    "col.plausible": "妥当",
    "col.confidence": "信頼度",
    "verdict.on-provider": "プロバイダー網内（on-provider）",
    "verdict.left-provider": "プロバイダー網外へ（left-provider）",
    "verdict.undetermined": "判定不能（undetermined）",
    "verdict.incomplete": "不完全（incomplete）",
    "summary.on-provider": "すべてのパブリックホップが {provider} のものです。経路は {provider} "
    "のネットワーク内にとどまっています。",
    "summary.left-provider": "経路は {provider} のネットワークを出ています: {exit}。",
    "summary.undetermined": "所有者を特定できないパブリックホップがあります。",
    "summary.incomplete": "宛先が応答せず、最後の応答も宛先リージョンの {provider} のものでは"
    "ありません。",
    "summary.segment": "予約済みアドレスのホップ {count} 個（{categories}）が {from_region} → "
    "{to_region} の{kind}接続を構成しています。RTT 増加 {rtt} ms、伝搬遅延の下限 {bound} ms。",
    "method.classify": "すべてのホップアドレスを IANA の IPv4/IPv6 特殊用途アドレスレジストリ"
    "（2026-07-18 時点）で分類しました。特殊用途アドレスは whois で照会していません。",
    "method.owners": "パブリックアドレスの所有者の情報源: {sources}。",
    "method.online": "オンライン照会（RDAP/whois）: {state}。",
    "method.data": "使用した公開 IP 範囲: {dates}。",
    "method.unresolved": "所有者を特定できなかったパブリックアドレス: {addrs}。",
    "method.traces": "読み込んだトレース: {count} 件（{formats}）。",
    "method.redacted": "秘匿: 送信元のアドレスとホスト名は表示していません。",
    "method.bound": "伝搬遅延の下限: リージョンの都市間の大圏距離 ÷ 往復 1 ms あたり 100 km"
    "（光ファイバー中の光速）。",
    "yes": "はい",
    "no": "いいえ",
    "unknown": "?",
    "none": "なし",
    "on": "有効",
    "off": "無効（オフライン）",
}

KIND_JA = {"inter-region": "リージョン間", "intra-region": "リージョン内", "unknown-region": "不明"}


def text(lang: str) -> dict[str, str]:
    """The strings of one language; :class:`UsageError` for an unknown one."""
    if lang == "en":
        return dict(_EN)
    if lang == "ja":
        return {**_EN, **_JA}
    raise UsageError(f"unknown language {lang!r}; known: {', '.join(LANGUAGES)}")


#: The inference's reason sentences (topo.topology.infer) and their Japanese wording.
_REASONS_JA: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^no provider: no public hop has a known owner and no manifest names one$"),
     "プロバイダー不明: 所有者の分かるパブリックホップがなく、マニフェストにも指定がありません"),
    (re.compile(r"^left (?P<p>.+?) after (?P<w>.+?): "
                r"TTL (?P<t>\d+) (?P<a>\S+) is owned by (?P<o>.+)$"),
     "{p} のネットワークを {w} の後で出ています: TTL {t} の {a} の所有者は {o} です"),
    (re.compile(r"^public hops with no known owner: (?P<a>.+?) "
                r"\(try --online or an owner table\)$"),
     "所有者不明のパブリックホップ: {a}（--online または所有者テーブルで調べられます）"),
    (re.compile(r"^the destination did not answer and the last answer is not "
                r"(?P<p>.+?)'s in (?P<r>.+)$"),
     "宛先が応答せず、最後の応答も {r} の {p} のものではありません"),
    (re.compile(r"^every public hop is (?P<p>.+?)'s$"),
     "すべてのパブリックホップが {p} のものです"),
    (re.compile(r"^the destination did not answer; the last answer, TTL (?P<t>\d+) (?P<a>\S+), "
                r"is (?P<p>.+?)'s in (?P<r>.+)$"),
     "宛先は応答しませんでしたが、最後の応答（TTL {t}、{a}）は {r} の {p} のものです"),
    (re.compile(r"^(?P<n>\d+) reserved hops are not bracketed by (?P<p>.+?)'s points$"),
     "予約済みアドレスのホップ {n} 個は {p} のホップに挟まれていません"),
)  # fmt: skip


def translate_reason(reason: str, lang: str) -> str:
    """One of the inference's reason sentences in ``lang`` (unknown sentences stay English).

    >>> translate_reason("every public hop is Amazon's", "ja")
    'すべてのパブリックホップが Amazon のものです'
    """
    if lang != "ja":
        return reason
    for pattern, template in _REASONS_JA:
        match = pattern.match(reason)
        if match:
            return template.format(**match.groupdict())
    return reason
