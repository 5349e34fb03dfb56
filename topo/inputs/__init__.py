"""Inputs: which files to read, how to decode and decompress them, their manifests, and
topo's own trace schema (``topo.trace/1``).

``read_traces`` turns paths (files, folders, ``-``) into traces and errors;
``manifests_for`` finds each folder's ``topo.toml``.

>>> from topo.parsers import ParseResult
>>> len(ParseResult.collect(read_traces(["samples/aws-tokyo-seoul"])).traces)
3
"""

from topo.inputs.decoding import DecodedText, decode_bytes, read_input
from topo.inputs.manifest import Manifest, covering_manifest, find_manifest, manifests_for
from topo.inputs.paths import STDIN, display_name, iter_input_paths
from topo.inputs.reading import MAX_ERRORS_PER_FILE, cap_errors, read_traces

__all__ = [
    "MAX_ERRORS_PER_FILE",
    "STDIN",
    "DecodedText",
    "Manifest",
    "cap_errors",
    "covering_manifest",
    "decode_bytes",
    "display_name",
    "find_manifest",
    "iter_input_paths",
    "manifests_for",
    "read_input",
    "read_traces",
]
