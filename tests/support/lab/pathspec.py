"""Declarative description of a simulated network path.

A :class:`SimulationSpec` holds one or more :class:`PathSpec` objects. Each
path has a :class:`Destination` and a sequence of :class:`Hop` objects; hop
``i`` (0-based) answers probes sent with IP TTL / hop limit ``i + 1`` and the
destination answers every probe whose TTL is larger than the number of hops.
A hop holds zero routers (silent: never answers), one router, or several
routers (ECMP: one is chosen per flow by a stable hash of the 5-tuple).

Everything is a frozen dataclass and round-trips through plain dicts, so specs
can live in JSON or TOML files.

Example:
    >>> spec = PathSpec.from_dict({
    ...     "destination": {"address": "203.0.113.9", "rtt_ms": 40},
    ...     "hops": [
    ...         {"address": "13.208.0.1", "rtt_ms": 5},
    ...         ["100.65.0.1", "100.65.1.1"],
    ...         None,
    ...         {"address": "240.1.52.1", "rtt_ms": 20,
    ...          "mpls": [{"label": 16005, "exp": 0}, {"label": 24001}]},
    ...     ],
    ... })
    >>> spec.ttl_of_destination
    5
    >>> spec.hops[2].silent
    True
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

UdpAnswer = Literal["port-unreachable", "silent"]
IcmpAnswer = Literal["echo-reply", "silent"]
TcpAnswer = Literal["rst", "syn-ack", "silent"]

_UDP_ANSWERS: tuple[str, ...] = ("port-unreachable", "silent")
_ICMP_ANSWERS: tuple[str, ...] = ("echo-reply", "silent")
_TCP_ANSWERS: tuple[str, ...] = ("rst", "syn-ack", "silent")


def _family(address: str) -> int:
    """Return 4 or 6 for an IP address string (raises ValueError if invalid).

    >>> _family("2001:db8::1")
    6
    """
    return ipaddress.ip_address(address).version


def _check_range(name: str, value: float, low: float, high: float) -> None:
    if not low <= value <= high:
        raise ValueError(f"{name}={value!r} not in [{low}, {high}]")


@dataclass(frozen=True)
class MplsLabel:
    """One MPLS label stack entry reported in an RFC 4950 ICMP extension.

    ``bottom`` is the S bit; ``None`` means "set it on the last entry only".

    >>> MplsLabel(16005, exp=1).to_dict()
    {'label': 16005, 'exp': 1, 'ttl': 1}
    """

    label: int
    exp: int = 0
    ttl: int = 1
    bottom: bool | None = None

    def __post_init__(self) -> None:
        _check_range("label", self.label, 0, 2**20 - 1)
        _check_range("exp", self.exp, 0, 7)
        _check_range("ttl", self.ttl, 0, 255)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | int) -> MplsLabel:
        """Build from ``{"label": L, "exp": E, "ttl": T, "s": bool}`` or a bare int."""
        if isinstance(data, int):
            return cls(label=data)
        bottom = data.get("bottom", data.get("s"))
        return cls(
            label=int(data["label"]),
            exp=int(data.get("exp", 0)),
            ttl=int(data.get("ttl", 1)),
            bottom=None if bottom is None else bool(bottom),
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form (omits ``bottom`` when automatic)."""
        out: dict[str, Any] = {"label": self.label, "exp": self.exp, "ttl": self.ttl}
        if self.bottom is not None:
            out["bottom"] = self.bottom
        return out


def _labels(data: Any) -> tuple[MplsLabel, ...]:
    if not data:
        return ()
    return tuple(x if isinstance(x, MplsLabel) else MplsLabel.from_dict(x) for x in data)


@dataclass(frozen=True)
class Router:
    """A router answering with ICMP time exceeded at one TTL.

    ``rtt_ms`` is the delay between receiving a probe and emitting the reply;
    ``jitter_ms`` adds a uniform random ``[0, jitter_ms)`` on top (never less
    than ``rtt_ms``). ``rate_limit_pps`` caps replies per second (token bucket
    shared by every use of the same address). ``initial_ttl`` is the reply's
    initial IP TTL; the simulator subtracts ``ttl - 1`` (the return path).

    >>> Router("13.208.0.1", rtt_ms=5).to_dict()
    {'address': '13.208.0.1', 'rtt_ms': 5}
    """

    address: str
    rtt_ms: float = 1.0
    jitter_ms: float = 0.0
    mpls: tuple[MplsLabel, ...] = ()
    rate_limit_pps: float | None = None
    initial_ttl: int = 255

    def __post_init__(self) -> None:
        _family(self.address)
        _check_range("rtt_ms", self.rtt_ms, 0, 60_000)
        _check_range("jitter_ms", self.jitter_ms, 0, 60_000)
        _check_range("initial_ttl", self.initial_ttl, 1, 255)
        if self.rate_limit_pps is not None and self.rate_limit_pps < 0:
            raise ValueError("rate_limit_pps must be >= 0")
        object.__setattr__(self, "mpls", _labels(self.mpls))

    @property
    def family(self) -> int:
        """IP version of the router address (4 or 6)."""
        return _family(self.address)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | str, **defaults: Any) -> Router:
        """Build from ``{"address": ..., "rtt_ms": ...}`` or a bare address string.

        ``defaults`` fill in keys missing from ``data`` (used for hop-level settings).
        """
        if isinstance(data, str):
            data = {"address": data}
        merged = {**defaults, **data}
        rate = merged.get("rate_limit_pps", merged.get("rate_limit"))
        return cls(
            address=str(merged["address"]),
            rtt_ms=float(merged.get("rtt_ms", 1.0)),
            jitter_ms=float(merged.get("jitter_ms", 0.0)),
            mpls=_labels(merged.get("mpls")),
            rate_limit_pps=None if rate is None else float(rate),
            initial_ttl=int(merged.get("initial_ttl", 255)),
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form, omitting default values."""
        out: dict[str, Any] = {"address": self.address, "rtt_ms": self.rtt_ms}
        if self.jitter_ms:
            out["jitter_ms"] = self.jitter_ms
        if self.mpls:
            out["mpls"] = [m.to_dict() for m in self.mpls]
        if self.rate_limit_pps is not None:
            out["rate_limit_pps"] = self.rate_limit_pps
        if self.initial_ttl != 255:
            out["initial_ttl"] = self.initial_ttl
        return out


_HOP_KEYS = ("rtt_ms", "jitter_ms", "mpls", "rate_limit_pps", "rate_limit", "initial_ttl")


@dataclass(frozen=True)
class Hop:
    """The routers at one TTL: none (silent), one, or several (ECMP).

    Dict forms accepted by :meth:`from_dict`: ``None`` or ``"*"`` (silent), an
    address string, a router dict, a list of those (ECMP), or
    ``{"addresses": [...], "rtt_ms": ...}`` / ``{"routers": [...]}``.

    >>> Hop.from_dict(["10.0.0.1", "10.0.1.1"]).addresses
    ('10.0.0.1', '10.0.1.1')
    >>> Hop.from_dict("*").silent
    True
    """

    routers: tuple[Router, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "routers", tuple(self.routers))

    @property
    def silent(self) -> bool:
        """True when nobody answers at this TTL."""
        return not self.routers

    @property
    def addresses(self) -> tuple[str, ...]:
        """Addresses of the routers at this TTL."""
        return tuple(r.address for r in self.routers)

    @classmethod
    def of(cls, *addresses: str, **router_kwargs: Any) -> Hop:
        """Hop whose routers share the same settings: ``Hop.of("10.0.0.1", rtt_ms=5)``."""
        return cls(tuple(Router(a, **router_kwargs) for a in addresses))

    @classmethod
    def from_dict(cls, data: Any) -> Hop:
        """Parse any of the accepted dict/list/string forms (see class doc)."""
        if data is None or data == "*" or data == []:
            return cls()
        if isinstance(data, str):
            return cls((Router.from_dict(data),))
        if isinstance(data, Sequence):
            return cls(tuple(Router.from_dict(x) for x in data))
        if isinstance(data, Mapping):
            return cls._from_mapping(data)
        raise TypeError(f"cannot parse hop from {data!r}")

    @classmethod
    def _from_mapping(cls, data: Mapping[str, Any]) -> Hop:
        if data.get("silent"):
            return cls()
        shared = {k: data[k] for k in _HOP_KEYS if k in data}
        if "routers" in data:
            return cls(tuple(Router.from_dict(x, **shared) for x in data["routers"]))
        if "addresses" in data:
            return cls(tuple(Router.from_dict(a, **shared) for a in data["addresses"]))
        return cls((Router.from_dict(data),))

    def to_dict(self) -> Any:
        """Plain form: ``None`` when silent, a router dict, or a list for ECMP."""
        if self.silent:
            return None
        if len(self.routers) == 1:
            return self.routers[0].to_dict()
        return [r.to_dict() for r in self.routers]


@dataclass(frozen=True)
class Destination:
    """The probed host and how it answers each protocol.

    ``udp``: ``"port-unreachable"`` or ``"silent"``; ``icmp``: ``"echo-reply"``
    or ``"silent"``; ``tcp`` (SYN probes): ``"rst"``, ``"syn-ack"`` or
    ``"silent"``. ``silent=True`` silences all of them.

    >>> Destination("203.0.113.9", tcp="syn-ack").tcp
    'syn-ack'
    """

    address: str
    rtt_ms: float = 1.0
    jitter_ms: float = 0.0
    udp: UdpAnswer = "port-unreachable"
    icmp: IcmpAnswer = "echo-reply"
    tcp: TcpAnswer = "rst"
    silent: bool = False
    rate_limit_pps: float | None = None
    initial_ttl: int = 64

    def __post_init__(self) -> None:
        _family(self.address)
        _check_range("rtt_ms", self.rtt_ms, 0, 60_000)
        _check_range("jitter_ms", self.jitter_ms, 0, 60_000)
        _check_range("initial_ttl", self.initial_ttl, 1, 255)
        for name, value, allowed in (
            ("udp", self.udp, _UDP_ANSWERS),
            ("icmp", self.icmp, _ICMP_ANSWERS),
            ("tcp", self.tcp, _TCP_ANSWERS),
        ):
            if value not in allowed:
                raise ValueError(f"{name}={value!r}; expected one of {allowed}")

    @property
    def family(self) -> int:
        """IP version of the destination (4 or 6)."""
        return _family(self.address)

    def answer(self, proto: str) -> str:
        """Configured answer for ``"udp"``, ``"icmp"`` or ``"tcp"`` (``"silent"`` if silenced)."""
        return "silent" if self.silent else cast(str, getattr(self, proto))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | str) -> Destination:
        """Build from ``{"address": ..., "tcp": "syn-ack", ...}`` or an address string."""
        if isinstance(data, str):
            return cls(address=data)
        rate = data.get("rate_limit_pps", data.get("rate_limit"))
        return cls(
            address=str(data["address"]),
            rtt_ms=float(data.get("rtt_ms", 1.0)),
            jitter_ms=float(data.get("jitter_ms", 0.0)),
            udp=data.get("udp", "port-unreachable"),
            icmp=data.get("icmp", "echo-reply"),
            tcp=data.get("tcp", "rst"),
            silent=bool(data.get("silent", False)),
            rate_limit_pps=None if rate is None else float(rate),
            initial_ttl=int(data.get("initial_ttl", 64)),
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form."""
        out: dict[str, Any] = {
            "address": self.address,
            "rtt_ms": self.rtt_ms,
            "udp": self.udp,
            "icmp": self.icmp,
            "tcp": self.tcp,
            "initial_ttl": self.initial_ttl,
        }
        if self.jitter_ms:
            out["jitter_ms"] = self.jitter_ms
        if self.silent:
            out["silent"] = True
        if self.rate_limit_pps is not None:
            out["rate_limit_pps"] = self.rate_limit_pps
        return out


@dataclass(frozen=True)
class PathSpec:
    """A destination and the hops in front of it (hop ``i`` answers TTL ``i + 1``).

    >>> p = PathSpec(Destination("2001:db8::99"), (Hop.of("2001:db8::1"), Hop()))
    >>> p.family, p.ttl_of_destination
    (6, 3)
    """

    destination: Destination
    hops: tuple[Hop, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "hops", tuple(self.hops))
        for ttl, hop in enumerate(self.hops, start=1):
            for router in hop.routers:
                if router.family != self.family:
                    raise ValueError(
                        f"hop {ttl} router {router.address} is IPv{router.family} "
                        f"but destination {self.destination.address} is IPv{self.family}"
                    )

    @property
    def family(self) -> int:
        """IP version of the path (4 or 6)."""
        return self.destination.family

    @property
    def ttl_of_destination(self) -> int:
        """The smallest probe TTL that reaches the destination."""
        return len(self.hops) + 1

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PathSpec:
        """Build from ``{"destination": ..., "hops": [...]}``."""
        return cls(
            destination=Destination.from_dict(data["destination"]),
            hops=tuple(Hop.from_dict(h) for h in data.get("hops", ())),
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form (JSON-serialisable)."""
        return {
            "destination": self.destination.to_dict(),
            "hops": [h.to_dict() for h in self.hops],
        }


@dataclass(frozen=True)
class SimulationSpec:
    """Everything one simulator process serves: paths plus local addressing.

    ``local_v4``/``local_v6`` are assigned to the TUN device (the probes'
    source addresses); ``device`` is the TUN interface name.

    >>> s = SimulationSpec.from_dict({"destination": "203.0.113.9", "hops": ["10.0.0.1"]})
    >>> s.destinations
    ('203.0.113.9',)
    """

    paths: tuple[PathSpec, ...]
    local_v4: str = "192.0.2.1"
    local_v6: str = "2001:db8:ffff::1"
    device: str = "toposim0"

    def __post_init__(self) -> None:
        object.__setattr__(self, "paths", tuple(self.paths))
        if _family(self.local_v4) != 4 or _family(self.local_v6) != 6:
            raise ValueError("local_v4 must be IPv4 and local_v6 must be IPv6")
        if not 0 < len(self.device) < 16:
            raise ValueError("device name must be 1..15 characters")
        dests = [p.destination.address for p in self.paths]
        if len(set(dests)) != len(dests):
            raise ValueError(f"duplicate destinations in {dests}")

    @property
    def destinations(self) -> tuple[str, ...]:
        """Destination addresses, in path order."""
        return tuple(p.destination.address for p in self.paths)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SimulationSpec:
        """Accept ``{"paths": [...], "local_v4": ...}`` or a single path dict."""
        raw_paths = data.get("paths", [data])
        return cls(
            paths=tuple(PathSpec.from_dict(p) for p in raw_paths),
            local_v4=str(data.get("local_v4", "192.0.2.1")),
            local_v6=str(data.get("local_v6", "2001:db8:ffff::1")),
            device=str(data.get("device", "toposim0")),
        )

    @classmethod
    def coerce(cls, spec: SimulationSpec | PathSpec | Mapping[str, Any]) -> SimulationSpec:
        """Turn a path, a simulation or a dict into a :class:`SimulationSpec`."""
        if isinstance(spec, SimulationSpec):
            return spec
        if isinstance(spec, PathSpec):
            return cls(paths=(spec,))
        return cls.from_dict(spec)

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form (JSON-serialisable)."""
        return {
            "paths": [p.to_dict() for p in self.paths],
            "local_v4": self.local_v4,
            "local_v6": self.local_v6,
            "device": self.device,
        }
