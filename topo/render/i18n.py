"""The words of reports in English and Japanese (``--lang en|ja``).

>>> text("ja")["verdict.on-provider"]
'プロバイダー網内（on-provider）'
>>> text("en")["col.org"]
'OrgName'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from topo.errors import UsageError

if TYPE_CHECKING:
    from topo.topology.reasons import Reason

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
    "unpublished": "{provider} (region not published)",
    "open.after": "past {provider}'s last answer",
    "open.before": "before {provider}'s first answer",
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
    "unpublished": "{provider}（リージョン非公開）",
    "open.after": "{provider} の最後の応答より先",
    "open.before": "{provider} の最初の応答より前",
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


def _ttls(reason: Reason) -> str:
    """``TTL 1`` or ``TTL 1-2``."""
    first, last = reason["first_ttl"], reason["last_ttl"]
    return f"TTL {first}" if first == last else f"TTL {first}-{last}"


def _where(reason: Reason, vantage: str) -> str:
    """Where a path left: ``TTL 4 15.230.24.168``, or the vantage point."""
    if reason["from_ttl"] is None:
        return vantage
    return f"TTL {reason['from_ttl']} {reason['from_addr']}"


#: Each reason code's words: a template over its parameters (see
#: :mod:`topo.topology.reasons`), or a function for what a template cannot say.
_REASONS_EN: dict[str, str | Callable[[Reason], str]] = {
    "no-provider": "no provider identified: no public hop has a known owner and no manifest "
    "names one",
    "no-cloud-provider": "no provider identified: the first public hop with a known owner, TTL "
    "{ttl} {addr}, is {owner}'s, which runs no cloud network (a manifest's provider names the "
    "trace's provider)",
    "left-provider": lambda r: (
        f"left {r['provider']} after {_where(r, 'the vantage point')}: TTL {r['ttl']} "
        f"{r['addr']} is owned by {r['owner']}"
        + (f" (before it, owner unknown: {', '.join(r['unowned'])})" if r["unowned"] else "")
    ),
    "unresolved-hops": lambda r: (
        f"public hops with no known owner: {', '.join(r['addrs'])} (try --online or an owner table)"
    ),
    "incomplete": lambda r: (
        "the destination did not answer and the last answer is not "
        f"{r['provider']}'s in {r['region'] or 'the destination region'}"
    ),
    "unreached-destination": lambda r: (
        f"the destination {r['dst'] or '(not named)'} did not answer and "
        + (
            f"is owned by {r['owner']}, not {r['provider']}: where the path left "
            f"{r['provider']} was not seen"
            if r["owner"]
            else f"its owner is unknown: the path may have left {r['provider']} after "
            "its last answer"
        )
    ),
    "on-provider": "every public hop is {provider}'s",
    "silent-destination": "the destination did not answer; the last answer, TTL {ttl} {addr}, "
    "is {provider}'s in {region}",
    "vantage-network": lambda r: (
        f"{_ttls(r)}: the vantage point's own private network ({', '.join(r['addrs'])}), "
        "not an interconnect"
    ),
    "vantage-region": "the vantage region is {region} by the {source}; the {other_source} "
    "says {other}",
    "unbracketed-reserved": lambda r: (
        f"{r['count']} reserved hops are not bracketed by {r['provider']}'s points"
        if r["provider"]
        else f"{r['count']} reserved hops, and no provider identified to bracket them"
    ),
}
_REASONS_JA: dict[str, str | Callable[[Reason], str]] = {
    "no-provider": "プロバイダーを特定できません: 所有者の分かるパブリックホップがなく、"
    "マニフェストにも指定がありません",
    "no-cloud-provider": "プロバイダーを特定できません: 所有者の分かる最初のパブリックホップ"
    "（TTL {ttl}、{addr}）は {owner} のもので、クラウドのネットワークではありません"
    "（マニフェストの provider で指定できます）",
    "left-provider": lambda r: (
        f"{r['provider']} のネットワークを {_where(r, 'the vantage point')} の後で出ています: "
        f"TTL {r['ttl']} の {r['addr']} の所有者は {r['owner']} です"
        + (f"（その前の所有者不明のホップ: {', '.join(r['unowned'])}）" if r["unowned"] else "")
    ),
    "unresolved-hops": lambda r: (
        f"所有者不明のパブリックホップ: {', '.join(r['addrs'])}"
        "（--online または所有者テーブルで調べられます）"
    ),
    "incomplete": lambda r: (
        f"宛先が応答せず、最後の応答も {r['region'] or 'the destination region'} の "
        f"{r['provider']} のものではありません"
    ),
    "on-provider": "すべてのパブリックホップが {provider} のものです",
    "silent-destination": "宛先は応答しませんでしたが、最後の応答（TTL {ttl}、{addr}）は "
    "{region} の {provider} のものです",
    "unreached-destination": lambda r: (
        f"宛先 {r['dst'] or '（不明）'} は応答しませんでした。"
        + (
            f"宛先の所有者は {r['owner']} で {r['provider']} ではありません: "
            f"{r['provider']} を出た地点は見えていません"
            if r["owner"]
            else f"宛先の所有者は不明です: 最後の応答の後で {r['provider']} を出た可能性があります"
        )
    ),
    "vantage-network": lambda r: (
        f"{_ttls(r)}: 送信元自身のプライベートネットワーク（{', '.join(r['addrs'])}）で、"
        "リージョン間接続ではありません"
    ),
    "vantage-region": "送信元のリージョンは {source} によると {region}、{other_source} に"
    "よると {other} です",
    "unbracketed-reserved": lambda r: (
        f"予約済みアドレスのホップ {r['count']} 個は {r['provider']} のホップに挟まれていません"
        if r["provider"]
        else f"予約済みアドレスのホップ {r['count']} 個: プロバイダーを特定できないため"
        "区間を判定できません"
    ),
}  # fmt: skip
_REASONS = {"en": _REASONS_EN, "ja": _REASONS_JA}


def reason_text(reason: Reason, lang: str = "en") -> str:
    """One reason of a verdict in ``lang`` (``en`` or ``ja``).

    >>> from topo.topology.reasons import Reason
    >>> reason_text(Reason.of("on-provider", provider="Amazon"), "ja")
    'すべてのパブリックホップが Amazon のものです'
    """
    words = _REASONS.get(lang)
    if words is None:
        raise UsageError(f"unknown language {lang!r}; known: {', '.join(LANGUAGES)}")
    template = words[reason.code]
    if callable(template):
        return template(reason)
    return template.format(**reason.params)
