"""Every message the portal renders for Slack and Teams passes the demo receiver's checks of
what those services accept; a malformed one does not."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from portal.demo_receiver_shapes import slack_problems, teams_problems
from portal.domain.dora_level_drops import Seen, Stream
from portal.domain.dora_levels import Level
from portal.domain.notification_events import dora_level_notice, freeze_notice
from portal.domain.notification_messages import render_message
from portal.domain.notification_rules import Notice, Subject, Transition
from portal.services.notification_outbox import notice_payload

NOW = datetime(2026, 12, 2, 10, tzinfo=UTC)
NOTICES = [
    Notice(
        Transition.FAILED,
        Subject("prod", "payments", "ledger", {}),
        NOW,
        key="k",
        group="g",
        cause="Halt advancement " + "x" * 4000,
        details={"revision": "rev-7"},
    ),
    freeze_notice(
        started=True, freeze_id=1, cluster="prod", namespace=None, reason="r", actor="a", at=NOW
    ),
    dora_level_notice(
        Stream("checkout", "prod", "shop"),
        metric="lead_time",
        before=Seen(Level.ELITE, NOW),
        after=Level.HIGH,
        value="median 2h",
        window_days=30,
        at=NOW,
    ),
]


@pytest.mark.parametrize("notice", NOTICES, ids=lambda n: str(n.transition))
def test_rendered_messages_have_the_shapes_slack_and_teams_accept(notice: Notice) -> None:
    events = [notice_payload(notice)]
    slack = render_message("slack", events, portal_url="https://p.example", message_id="m")
    teams = render_message("teams", events, portal_url="https://p.example", message_id="m")
    assert (slack_problems(slack), teams_problems(teams)) == ([], [])


def test_malformed_messages_are_named() -> None:
    assert slack_problems({"blocks": [{"type": "image"}]}) == [
        "blocks.0: unknown block type 'image'"
    ]
    assert slack_problems([]) == ["the body is not a JSON object"]
    card = {"type": "AdaptiveCard", "version": "1.4", "body": [{"type": "FactSet", "facts": [1]}]}
    body = {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}
        ],
    }
    assert teams_problems(body) == ["body.0: FactSet facts need string title and value"]
