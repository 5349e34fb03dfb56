"""The optional manifest of a trace folder: ``topo.toml``.

It names the set and says what the traces cannot: which provider the question is about,
the regions and labels of the two ends, and owner tables that belong to the set.

```toml
name = "AWS Osaka to Tokyo"
provider = "aws"              # a provider slug (aws, gcp, oracle) or an owner family ("Amazon")
src_region = "ap-northeast-3"
dst_region = "ap-northeast-1"
src_label = "Osaka"           # how the vantage point is drawn when it has no address
dst_label = "Tokyo"
owner_tables = ["owners.csv"] # relative to the manifest
reverse_of = "../aws-tokyo-osaka"  # the set traced the other way (a folder, relative)
```

Two sets are *traced both ways* (``topo compare``) when their manifests say so: the same
provider, ``src_region`` and ``dst_region`` swapped, and, when either names a
``reverse_of``, the other is that folder (:func:`reverse_pair`). A set without a manifest
is never paired, and one whose manifest names its reverse is paired with that set only.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "topo.toml").write_text('provider = "aws"\\nsrc_label = "Osaka"\\n')
>>> manifest = find_manifest(folder / "trace.txt")
>>> manifest.provider_family, manifest.src_label
('Amazon', 'Osaka')
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from topo.errors import ParseError
from topo.model import Trace
from topo.owners.families import load_families

MANIFEST_NAME = "topo.toml"
_KEYS = {
    "name", "provider", "src_region", "dst_region", "src_label", "dst_label", "owner_tables",
    "reverse_of",
}  # fmt: skip


@dataclass(frozen=True)
class Manifest:
    """What a ``topo.toml`` says (every key optional)."""

    path: Path | None = None
    name: str | None = None
    provider: str | None = None
    src_region: str | None = None
    dst_region: str | None = None
    src_label: str | None = None
    dst_label: str | None = None
    owner_tables: tuple[Path, ...] = ()
    reverse_of: Path | None = None

    @property
    def folder(self) -> Path | None:
        return None if self.path is None else self.path.parent

    @property
    def provider_family(self) -> str | None:
        """The owner family the provider names (``aws`` → ``Amazon``; a family stays)."""
        if not self.provider:
            return None
        families = load_families()
        known = families.by_provider(self.provider.lower())
        if known is not None:
            return known.name
        named = next(
            (f.name for f in families.families if f.name.lower() == self.provider.lower()), None
        )
        return named or self.provider


def _text(data: dict[str, Any], key: str, path: Path) -> str | None:
    value = data.get(key)
    if value is None or isinstance(value, str):
        return value
    raise ParseError(f"{key} must be a string", path=str(path))


def load_manifest(path: Path) -> Manifest:
    """Read one manifest; :class:`ParseError` (with the path) when it is not valid."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise ParseError(f"not a valid manifest ({err})", path=str(path)) from None
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise ParseError(
            f"unknown keys {', '.join(unknown)}; known: {', '.join(sorted(_KEYS))}", path=str(path)
        )
    tables = data.get("owner_tables") or []
    if not isinstance(tables, list) or not all(isinstance(t, str) for t in tables):
        raise ParseError("owner_tables must be a list of file names", path=str(path))
    reverse_of = _text(data, "reverse_of", path)
    return Manifest(
        path=path,
        name=_text(data, "name", path),
        provider=_text(data, "provider", path),
        src_region=_text(data, "src_region", path),
        dst_region=_text(data, "dst_region", path),
        src_label=_text(data, "src_label", path),
        dst_label=_text(data, "dst_label", path),
        owner_tables=tuple(path.parent / t for t in tables),
        reverse_of=None if reverse_of is None else path.parent / reverse_of,
    )


def reverse_pair(a: Manifest | None, b: Manifest | None) -> bool:
    """Whether the manifests say their sets are the same pair traced both ways (see the
    module's docstring).

    >>> tokyo_osaka = Manifest(provider="aws", src_region="ap-northeast-1",
    ...                        dst_region="ap-northeast-3")
    >>> osaka_tokyo = Manifest(provider="Amazon", src_region="ap-northeast-3",
    ...                        dst_region="ap-northeast-1")
    >>> reverse_pair(tokyo_osaka, osaka_tokyo), reverse_pair(tokyo_osaka, None)
    (True, False)
    >>> reverse_pair(tokyo_osaka, Manifest(provider="aws", src_region="ap-northeast-3",
    ...     dst_region="ap-northeast-1", reverse_of=Path("elsewhere")))
    False
    """
    if a is None or b is None or not (a.provider_family and a.src_region and a.dst_region):
        return False
    if a.provider_family != b.provider_family:
        return False
    if (a.src_region, a.dst_region) != (b.dst_region, b.src_region):
        return False
    for one, other in ((a, b), (b, a)):
        if one.reverse_of is not None and (
            other.folder is None or one.reverse_of.resolve() != other.folder.resolve()
        ):
            return False
    return True


def find_manifest(path: str | Path) -> Manifest | None:
    """The manifest of a folder, or of the folder holding a file; ``None`` when there is none."""
    target = Path(path)
    folder = target if target.is_dir() else target.parent
    candidate = folder / MANIFEST_NAME
    return load_manifest(candidate) if candidate.is_file() else None


def manifests_for(paths: Iterable[str | Path]) -> dict[str, Manifest | None]:
    """Manifest per folder, for the inputs and every folder below them (``topo.toml``).

    A trace takes the manifest of the deepest folder holding it
    (:func:`manifest_for_trace`), so ``topo infer samples/`` reads each sample's manifest.
    """
    found: dict[str, Manifest | None] = {}
    for path in paths:
        manifest = find_manifest(path)
        if manifest is not None:
            found[str(Path(path))] = manifest
        folder = Path(path)
        if folder.is_dir():
            for candidate in sorted(folder.rglob(MANIFEST_NAME)):
                if not any(part.startswith(".") for part in candidate.relative_to(folder).parts):
                    found[str(candidate.parent)] = load_manifest(candidate)
    return found


def covering_manifest(
    paths: Iterable[str | Path], manifests: Mapping[str, Manifest | None]
) -> Manifest | None:
    """The one manifest that covers every input, or ``None``.

    It covers them when it is each input's own (the folder's, or the folder holding the
    file) and no folder below an input has another: then every trace of the set takes it.
    ``manifests`` is what :func:`manifests_for` found for ``paths``; standard input (``-``)
    has none. This is what names a set (``topo build samples/*/`` mixes six: no name).

    >>> found = manifests_for(["samples/aws-tokyo-seoul"])
    >>> covering_manifest(["samples/aws-tokyo-seoul"], found).name
    'AWS Tokyo to Seoul (lab-generated)'
    >>> covering_manifest(["samples"], manifests_for(["samples"])) is None
    True
    """
    own = {str(Path(p)): manifests.get(str(Path(p))) for p in paths}
    found = {m.path: m for m in own.values() if m is not None}
    every = {m.path for m in manifests.values() if m is not None}
    if not own or None in own.values() or len(found) != 1 or not every <= set(found):
        return None
    return next(iter(found.values()))


def manifest_for_trace(trace: Trace, manifests: Mapping[str, Manifest | None]) -> Manifest | None:
    """The manifest of the deepest input folder holding the trace's file."""
    return manifest_for_source(trace.origin.path if trace.origin else None, manifests)


def manifest_for_source(
    source: str | None, manifests: Mapping[str, Manifest | None]
) -> Manifest | None:
    """The manifest of the deepest input folder holding the file ``source``."""
    if source is None or not manifests:
        return None
    origin = Path(source)
    best = None
    for prefix, manifest in manifests.items():
        root = Path(prefix)
        if (origin == root or root in origin.parents) and (
            best is None or len(prefix) > len(best[0])
        ):
            best = (prefix, manifest)
    return best[1] if best else None
