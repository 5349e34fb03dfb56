"""Who owns each public hop: published cloud ranges, user tables, a cache, RDAP/whois.

The entry point is :class:`OwnerResolver` (or :func:`resolve_owners` for one call); each
address gets an :class:`OwnerAnswer` with its IANA classification and, for public
addresses, an :class:`Owner`. Offline by default.

>>> [a.owner.family for a in resolve_owners(["13.208.0.67"], ResolverConfig(use_cache=False))]
['Amazon']
"""

from topo.owners.model import Owner, OwnerAnswer
from topo.owners.resolver import OwnerResolver, ResolverConfig, ResolveReport, resolve_owners

__all__ = [
    "Owner",
    "OwnerAnswer",
    "OwnerResolver",
    "ResolveReport",
    "ResolverConfig",
    "resolve_owners",
]
