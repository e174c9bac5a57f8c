"""Render a group of notices as the body each channel kind expects: a Slack Block Kit message,
a Microsoft Teams Adaptive Card, or the portal's generic JSON (docs/notifications.md).

A group is one burst about one subject (a release that fails and then rolls back): one message
lists every transition in it, oldest first. Links lead to the canary page, whose approve and
roll back buttons still ask for sign-in and confirmation. Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

GENERIC_FORMAT = "infra-fleet.notification/v1"
ADAPTIVE_CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
ADAPTIVE_CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"

Event = Mapping[str, Any]
"""One notice as stored in the outbox payload (see `notice_payload` in the outbox service)."""


def canary_links(event: Event, *, portal_url: str) -> dict[str, str]:
    subject = event["subject"]
    if not subject.get("name"):
        return {}
    path = "/".join(quote(str(subject[part]), safe="") for part in ("cluster", "namespace", "name"))
    page = f"{portal_url.rstrip('/')}/canaries/{path}"
    return {
        "canary": page,
        "approve": f"{page}#action-approve",
        "rollback": f"{page}#action-rollback",
    }


def headline(events: Sequence[Event]) -> str:
    first = events[0]
    titles = " → ".join(dict.fromkeys(str(event["title"]) for event in events))
    return f"{first['subject_text']}: {titles}"


def _event_lines(event: Event) -> str:
    line = f"*{event['title']}* at {event['at']}"
    if event.get("cause"):
        line += f"\n{event['cause']}"
    details = event.get("details") or {}
    if details:
        line += "\n" + ", ".join(f"{key}: {value}" for key, value in details.items())
    return line


def slack_message(events: Sequence[Event], *, portal_url: str) -> dict[str, Any]:
    """Block Kit: a header, one section per transition, then the link buttons."""
    title = headline(events)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
    ]
    blocks += [
        {"type": "section", "text": {"type": "mrkdwn", "text": _event_lines(event)[:3000]}}
        for event in events
    ]
    links = canary_links(events[0], portal_url=portal_url)
    if links:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": label},
                        "url": links[key],
                        "action_id": f"open-{key}",
                    }
                    for key, label in (
                        ("canary", "Open canary"),
                        ("approve", "Approve…"),
                        ("rollback", "Roll back…"),
                    )
                ],
            }
        )
    return {"text": title, "blocks": blocks}


def teams_message(events: Sequence[Event], *, portal_url: str) -> dict[str, Any]:
    """An Adaptive Card 1.4 in the message envelope Teams incoming webhooks take."""
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "size": "Medium", "weight": "Bolder", "text": headline(events)},
    ]
    for event in events:
        body.append(
            {"type": "TextBlock", "wrap": True, "text": f"**{event['title']}** at {event['at']}"}
        )
        if event.get("cause"):
            body.append({"type": "TextBlock", "wrap": True, "text": str(event["cause"])})
        details = event.get("details") or {}
        if details:
            facts = [{"title": key, "value": str(value)} for key, value in details.items()]
            body.append({"type": "FactSet", "facts": facts})
    links = canary_links(events[0], portal_url=portal_url)
    actions = [
        {"type": "Action.OpenUrl", "title": label, "url": links[key]}
        for key, label in (
            ("canary", "Open canary"),
            ("approve", "Approve…"),
            ("rollback", "Roll back…"),
        )
        if key in links
    ]
    card = {
        "$schema": ADAPTIVE_CARD_SCHEMA,
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
        "actions": actions,
    }
    return {
        "type": "message",
        "attachments": [{"contentType": ADAPTIVE_CARD_CONTENT_TYPE, "content": card}],
    }


def generic_message(events: Sequence[Event], *, portal_url: str, message_id: str) -> dict[str, Any]:
    """The portal's own JSON: every event with its subject, cause, details and links."""
    return {
        "format": GENERIC_FORMAT,
        "id": message_id,
        "summary": headline(events),
        "events": [
            {
                "transition": event["transition"],
                "title": event["title"],
                "at": event["at"],
                "subject": event["subject"],
                "cause": event.get("cause"),
                "details": event.get("details") or {},
                "links": canary_links(event, portal_url=portal_url),
            }
            for event in events
        ],
    }


def render_message(
    kind: str, events: Sequence[Event], *, portal_url: str, message_id: str
) -> dict[str, Any]:
    if kind == "slack":
        return slack_message(events, portal_url=portal_url)
    if kind == "teams":
        return teams_message(events, portal_url=portal_url)
    return generic_message(events, portal_url=portal_url, message_id=message_id)
