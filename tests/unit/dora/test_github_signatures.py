"""X-Hub-Signature-256 checked against GitHub's published test vector."""

from __future__ import annotations

from portal.domain.github_signatures import sign, signature_valid

SECRET = b"It's a Secret to Everybody"
BODY = b"Hello, World!"
SIGNATURE = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"


def test_githubs_test_vector() -> None:
    assert sign(SECRET, BODY) == SIGNATURE
    assert signature_valid(secret=SECRET, body=BODY, header=SIGNATURE) is True


def test_anything_else_is_invalid() -> None:
    for header in (None, "", SIGNATURE[7:], "sha1=" + SIGNATURE[7:], SIGNATURE[:-1] + "0"):
        assert signature_valid(secret=SECRET, body=BODY, header=header) is False
    assert signature_valid(secret=SECRET, body=BODY + b" ", header=SIGNATURE) is False
    assert signature_valid(secret=b"another", body=BODY, header=SIGNATURE) is False
