"""Why a trace got its verdict, as data: a code and its parameters.

The inference (:mod:`topo.topology.infer`) states each reason as a :class:`Reason`; the
words come from :mod:`topo.render.i18n`, in English (``str(reason)``, what
``topo infer`` prints and its JSON holds) or Japanese (the report's ``--lang ja``), from
the same code and parameters.

=======================  ===========================================================
code                     parameters
=======================  ===========================================================
``no-provider``          (none)
``no-cloud-provider``    ``owner``, ``ttl``, ``addr`` of the first owned public hop, whose
                         owner runs no cloud (so it is not taken for the provider)
``left-provider``        ``provider``, ``from_ttl``/``from_addr`` (``None``: the
                         vantage point), ``ttl``, ``addr``, ``owner``, ``unowned``
                         (public addresses of unknown owner between the two)
``unresolved-hops``      ``addrs`` (the public addresses nobody owns)
``unreached-destination`` ``provider``, ``dst`` (the destination), ``owner`` (``None``:
                         unknown): the destination did not answer and is not the
                         provider's
``incomplete``           ``provider``, ``region`` (``None``: unknown)
``on-provider``          ``provider``
``silent-destination``   ``provider``, ``ttl``, ``addr``, ``region`` of the last answer
``vantage-network``      ``first_ttl``, ``last_ttl``, ``addrs``: the private network at
                         the vantage point (a VPC), not an interconnect
``vantage-region``       ``region`` and its ``source``, the ``other`` region another
                         source (``other_source``) gives
``unbracketed-reserved`` ``count``, ``provider`` (``None``: no provider identified)
=======================  ===========================================================

>>> reason = Reason.of("on-provider", provider="Amazon")
>>> reason.code, reason["provider"], str(reason)
('on-provider', 'Amazon', "every public hop is Amazon's")
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: Every reason code the inference gives, in the order of the rules, with the names of its
#: parameters in order.
PARAMETERS: dict[str, tuple[str, ...]] = {
    "no-provider": (),
    "no-cloud-provider": ("owner", "ttl", "addr"),
    "left-provider": ("provider", "from_ttl", "from_addr", "ttl", "addr", "owner", "unowned"),
    "unresolved-hops": ("addrs",),
    "unreached-destination": ("provider", "dst", "owner"),
    "incomplete": ("provider", "region"),
    "on-provider": ("provider",),
    "silent-destination": ("provider", "ttl", "addr", "region"),
    "vantage-network": ("first_ttl", "last_ttl", "addrs"),
    "vantage-region": ("region", "source", "other", "other_source"),
    "unbracketed-reserved": ("count", "provider"),
}
CODES = tuple(PARAMETERS)


@dataclass(frozen=True, slots=True)
class Reason:
    """One reason of a verdict: its code (:data:`CODES`) and its parameters' values, in
    the order :data:`PARAMETERS` names them (a large input keeps one reason or two per
    trace: values only, the names once per code)."""

    code: str
    values: tuple[Any, ...] = ()

    @classmethod
    def of(cls, code: str, **params: Any) -> Reason:
        """``Reason.of("on-provider", provider="Amazon")``; every parameter of the code."""
        names = PARAMETERS.get(code)
        if names is None:
            raise ValueError(f"unknown reason code {code!r}")
        if set(params) != set(names):
            raise ValueError(f"{code} takes {', '.join(names) or 'nothing'}, not {sorted(params)}")
        return cls(code, tuple(params[name] for name in names))

    @property
    def params(self) -> dict[str, Any]:
        """The parameters by name."""
        return dict(zip(PARAMETERS[self.code], self.values, strict=True))

    def __getitem__(self, name: str) -> Any:
        return self.values[PARAMETERS[self.code].index(name)]

    def to_dict(self) -> dict[str, Any]:
        """``{"code": ..., **params}`` (lists for tuples)."""
        return {"code": self.code, **{k: list(v) if isinstance(v, tuple) else v
                                      for k, v in self.params.items()}}  # fmt: skip

    def __str__(self) -> str:
        from topo.render.i18n import reason_text  # the words live with the renderers

        return reason_text(self, "en")
