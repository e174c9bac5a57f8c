"""The SSE wire format: what EventSource parses back into exactly the HTML we rendered."""

import pytest

from portal.services.sse_frames import HEARTBEAT_FRAME, encode_event, encode_hello


def test_event_with_one_line_is_event_then_data_then_blank_line() -> None:
    assert encode_event("fleet", '<tr id="a" hx-swap-oob="true"></tr>') == (
        b'event: fleet\ndata: <tr id="a" hx-swap-oob="true"></tr>\n\n'
    )


def test_every_sse_line_break_starts_a_new_data_line() -> None:
    assert encode_event("fleet", "a\nb\r\nc\rd\n") == (
        b"event: fleet\ndata: a\ndata: b\ndata: c\ndata: d\ndata: \n\n"
    )


def test_other_unicode_line_separators_stay_inside_the_line() -> None:
    assert (
        encode_event("fleet", "x\u2028y\x0bz") == "event: fleet\ndata: x\u2028y\x0bz\n\n".encode()
    )


@pytest.mark.parametrize("name", ["", "two\nlines", "cr\r"])
def test_event_name_must_be_one_non_empty_line(name: str) -> None:
    with pytest.raises(ValueError, match="one non-empty line"):
        encode_event(name, "data")


def test_hello_carries_the_retry_hint_and_the_hello_event() -> None:
    assert encode_hello(retry_ms=2500) == b"retry: 2500\nevent: hello\ndata: subscribed\n\n"


def test_heartbeat_is_a_comment_line() -> None:
    assert HEARTBEAT_FRAME == b": ping\n\n"
