"""Revision hashes and run checksums computed the way Flagger and Kubernetes shape them.

Flagger stores a hash of the target's pod template in `status.lastAppliedSpec` and sends a run
checksum in every webhook payload; Kubernetes names pods after a template hash. Both are FNV-32a
values rendered with the apimachinery "safe" alphabet (no vowels, no look-alike digits).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

_SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
_FNV_OFFSET = 0x811C9DC5
_FNV_PRIME = 0x01000193


def fnv32a(*, data: bytes) -> int:
    """The 32-bit FNV-1a hash of `data`."""
    value = _FNV_OFFSET
    for byte in data:
        value = ((value ^ byte) * _FNV_PRIME) & 0xFFFFFFFF
    return value


def safe_encode(*, text: str) -> str:
    """Map each character onto the safe alphabet, as apimachinery's `rand.SafeEncodeString`."""
    return "".join(_SAFE_ALPHABET[ord(char) % len(_SAFE_ALPHABET)] for char in text)


def compute_hash(*, obj: Any) -> str:
    """A stable short hash of any JSON-able object (key order does not matter)."""
    canonical = json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()
    return safe_encode(text=str(fnv32a(data=canonical)))


_CHECKSUM_STRUCT = "struct { TrackedConfigs *map[string]string; LastAppliedSpec string }"


def _go_quote(text: str) -> str:
    """Go's strconv.Quote for the printable ASCII text found in these fields."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def run_checksum(*, last_applied_spec: str, tracked_configs: Mapping[str, str] | None) -> str:
    """The checksum Flagger sends to webhooks: it names the revision under analysis.

    As Flagger v1.44.0 computes it (pkg/controller/webhook.go:144-154, pkg/canary/spec.go:54):
    go-spew's `%#v` of `{TrackedConfigs *map[string]string; LastAppliedSpec string}`, FNV-32a,
    then the safe alphabet. `tracked_configs` None is the nil map (field absent in status).
    """
    if tracked_configs is None:
        configs = "(*map[string]string)<nil>"
    else:
        pairs = " ".join(
            f"{_go_quote(k)}:{_go_quote(tracked_configs[k])}" for k in sorted(tracked_configs)
        )
        configs = f"(*map[string]string)map[{pairs}]"
    text = (
        f"({_CHECKSUM_STRUCT}){{TrackedConfigs:{configs} "
        f"LastAppliedSpec:(string){_go_quote(last_applied_spec)}}}"
    )
    return safe_encode(text=str(fnv32a(data=text.encode())))
