"""Which characters a caller's string may not carry, and where they are reported."""

from __future__ import annotations

import pytest

from portal.domain.text_input import FREE_TEXT_ALLOWED, BadCharacter, bad_character, bad_strings


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("devcluster", None),
        ("é ü 漢字 🚀 \u202e", None),
        ("devcluster\x00", "control character U+0000 at position 10 is not allowed"),
        ("\x1b[31m", "control character U+001B at position 0 is not allowed"),
        ("a\x7f", "control character U+007F at position 1 is not allowed"),
        ("a\x85", "control character U+0085 at position 1 is not allowed"),
        ("half\ud800", "lone surrogate U+D800 at position 4 is not valid text"),
        ("two\nlines", "control character U+000A at position 3 is not allowed"),
    ],
)
def test_a_name_may_carry_no_control_character(text: str, expected: str | None) -> None:
    assert bad_character(text) == expected


def test_free_text_keeps_tab_and_line_breaks_but_not_nul() -> None:
    assert bad_character("a\tb\r\nc", allowed=FREE_TEXT_ALLOWED) is None
    assert bad_character("a\r\n\x00", allowed=FREE_TEXT_ALLOWED) == (
        "control character U+0000 at position 3 is not allowed"
    )


def test_every_bad_string_of_a_document_is_located_keys_too() -> None:
    document = {"reason": "ok\n", "meta": {"k\x01": "v", "list": ["fine", "bad\x00"]}, "n": 3}
    assert list(bad_strings(document, ("body",), allowed=FREE_TEXT_ALLOWED)) == [
        BadCharacter(
            ("body", "meta", "k\x01"),
            "field name: control character U+0001 at position 1 is not allowed",
        ),
        BadCharacter(
            ("body", "meta", "list", 1), "control character U+0000 at position 3 is not allowed"
        ),
    ]
