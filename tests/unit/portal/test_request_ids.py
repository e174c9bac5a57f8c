import re

import pytest

from portal.http.request_ids import pick_request_id


def test_a_sane_caller_id_is_kept() -> None:
    assert pick_request_id("abc-123_DEF.456") == "abc-123_DEF.456"


@pytest.mark.parametrize("given", [None, "", "short", "x" * 65, "bad id with spaces", "a\nb" * 5])
def test_missing_or_unsafe_ids_are_replaced(given: str | None) -> None:
    assert re.fullmatch(r"[0-9a-f]{32}", pick_request_id(given))
