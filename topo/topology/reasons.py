"""Why a trace got its verdict, as data: a code and its parameters.

The inference (:mod:`topo.topology.infer`) states each reason as a :class:`Reason`; the
words come from :mod:`topo.render.i18n`, in English (``str(reason)``, what
``topo infer`` prints and its JSON holds) or Japanese (the report's ``--lang ja``), from
the same code and parameters.

=======================  ===========================================================
code                     parameters
=======================  ===========================================================
``no-provider``          (none)
``left-provider``        ``provider``, ``from_ttl``/``from_addr`` (``None``: the
                         vantage point), ``ttl``, ``addr``, ``owner``
``unresolved-hops``      ``addrs`` (the public addresses nobody owns)
``incomplete``           ``provider``, ``region`` (``None``: unknown)
``on-provider``          ``provider``
``silent-destination``   ``provider``, ``ttl``, ``addr``, ``region`` of the last answer
``unbracketed-reserved`` ``count``, ``provider``
=======================  ===========================================================

>>> reason = Reason.of("on-provider", provider="Amazon")
>>> reason.code, reason["provider"], str(reason)
('on-provider', 'Amazon', "every public hop is Amazon's")
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: Every reason code the inference gives, in the order of the rules.
CODES = (
    "no-provider",
    "left-provider",
    "unresolved-hops",
    "incomplete",
    "on-provider",
    "silent-destination",
    "unbracketed-reserved",
)


@dataclass(frozen=True, slots=True)
class Reason:
    """One reason of a verdict: its code (:data:`CODES`) and its parameters, in order."""

    code: str
    params: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(cls, code: str, **params: Any) -> Reason:
        """``Reason.of("on-provider", provider="Amazon")``."""
        if code not in CODES:
            raise ValueError(f"unknown reason code {code!r}")
        return cls(code, tuple(params.items()))

    def __getitem__(self, name: str) -> Any:
        return dict(self.params)[name]

    def to_dict(self) -> dict[str, Any]:
        """``{"code": ..., **params}`` (lists for tuples)."""
        return {"code": self.code, **{k: list(v) if isinstance(v, tuple) else v
                                      for k, v in self.params}}  # fmt: skip

    def __str__(self) -> str:
        from topo.render.i18n import reason_text  # the words live with the renderers

        return reason_text(self, "en")
