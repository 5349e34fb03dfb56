"""Classification: every address against the IANA special-purpose registries, pure and
table-driven (:mod:`topo.classify.registry`), plus address parsing and ordering
(:mod:`topo.classify.addresses`) and the longest-prefix lookup the owners share
(:mod:`topo.classify.prefixmap`).

>>> classify_address("100.65.1.9").name
'Shared Address Space'
"""

from topo.classify.registry import (
    PUBLIC,
    AddressClass,
    Classifier,
    RegistryEntry,
    address_to_int,
    classify_address,
    classify_many,
    clean_rfc,
    default_classifier,
    is_address,
    is_special,
    load_registry_entries,
    read_registry,
    sort_key,
)

__all__ = [
    "PUBLIC",
    "AddressClass",
    "Classifier",
    "RegistryEntry",
    "address_to_int",
    "classify_address",
    "classify_many",
    "clean_rfc",
    "default_classifier",
    "is_address",
    "is_special",
    "load_registry_entries",
    "read_registry",
    "sort_key",
]
