"""The run checksum Flagger puts in every webhook payload, computed from the Canary's status.

Flagger v1.44.0 (pkg/controller/webhook.go:144-154) hashes the struct
`{TrackedConfigs *map[string]string; LastAppliedSpec string}` with `canary.ComputeHash`
(pkg/canary/spec.go:54-66): go-spew prints it with `%#v` (types shown, map keys sorted,
methods off), FNV-32a hashes the text, and apimachinery's `rand.SafeEncodeString` maps the
decimal digits onto its vowel-free alphabet. Computing the same value from the status the
portal watches lets the portal bind an operator's action to the run it observes itself,
instead of to whatever checksum a caller sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
_FNV_OFFSET = 0x811C9DC5
_FNV_PRIME = 0x01000193
_STRUCT_TYPE = "struct { TrackedConfigs *map[string]string; LastAppliedSpec string }"
_GO_ESCAPES = {'"': '\\"', "\\": "\\\\", "\a": "\\a", "\b": "\\b", "\f": "\\f"} | {
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
}


def fnv32a(data: bytes) -> int:
    value = _FNV_OFFSET
    for byte in data:
        value = ((value ^ byte) * _FNV_PRIME) & 0xFFFFFFFF
    return value


def safe_encode(text: str) -> str:
    """apimachinery's `rand.SafeEncodeString`: each character onto the safe alphabet."""
    return "".join(SAFE_ALPHABET[ord(char) % len(SAFE_ALPHABET)] for char in text)


def go_quote(text: str) -> str:
    """Go's `strconv.Quote` for the strings found here (printable text passes through)."""
    out = []
    for char in text:
        if char in _GO_ESCAPES:
            out.append(_GO_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\x{ord(char):02x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def spew_text(*, last_applied_spec: str, tracked_configs: Mapping[str, str] | None) -> str:
    """What go-spew's `%#v` prints for Flagger's checksum struct."""
    if tracked_configs is None:
        configs = "(*map[string]string)<nil>"
    else:
        pairs = " ".join(
            f"{go_quote(key)}:{go_quote(tracked_configs[key])}"
            for key in sorted(tracked_configs, key=lambda k: k.encode())
        )
        configs = f"(*map[string]string)map[{pairs}]"
    return (
        f"({_STRUCT_TYPE}){{TrackedConfigs:{configs} "
        f"LastAppliedSpec:(string){go_quote(last_applied_spec)}}}"
    )


def flagger_checksum(*, last_applied_spec: str, tracked_configs: Mapping[str, str] | None) -> str:
    """The checksum Flagger sends for a canary with this status."""
    text = spew_text(last_applied_spec=last_applied_spec, tracked_configs=tracked_configs)
    return safe_encode(str(fnv32a(text.encode())))


def observed_checksum(raw_canary: Mapping[str, Any]) -> str | None:
    """The checksum of the run the watched Canary shows (None before Flagger's first status:
    no run to bind to). `trackedConfigs` absent is Go's nil map; `{}` an empty one."""
    status = raw_canary.get("status")
    if not isinstance(status, Mapping):
        return None
    applied = status.get("lastAppliedSpec")
    if not isinstance(applied, str) or not applied:
        return None
    tracked = status.get("trackedConfigs")
    configs = {str(k): str(v) for k, v in tracked.items()} if isinstance(tracked, Mapping) else None
    return flagger_checksum(last_applied_spec=applied, tracked_configs=configs)
