"""What the demo receiver checks of a Slack or Teams message before it answers 200, as those
services refuse a malformed one with a 400 (Slack's `invalid_blocks`, Teams' bad card).

Only the parts the portal sends are checked: Block Kit header, section and actions blocks with
their documented length limits, and an Adaptive Card's envelope, TextBlocks, FactSets and
OpenUrl actions. Each function returns the problems found (none: the shape is accepted).
"""

from __future__ import annotations

from typing import Any

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
SLACK_LIMITS = {"header": 150, "section": 3000, "button": 75, "blocks": 50, "elements": 25}


def _text(value: Any, *, kinds: tuple[str, ...], most: int, where: str) -> list[str]:
    if not isinstance(value, dict) or value.get("type") not in kinds:
        return [f"{where}: text must be an object of type {'/'.join(kinds)}"]
    text = value.get("text")
    if not isinstance(text, str) or not 1 <= len(text) <= most:
        return [f"{where}: text must be 1..{most} characters"]
    return []


def _slack_block(block: Any, where: str) -> list[str]:
    kind = block.get("type") if isinstance(block, dict) else None
    if kind == "header":
        return _text(block.get("text"), kinds=("plain_text",), most=150, where=where)
    if kind == "section":
        return _text(block.get("text"), kinds=("mrkdwn", "plain_text"), most=3000, where=where)
    if kind == "actions":
        elements = block.get("elements")
        if not isinstance(elements, list) or not 1 <= len(elements) <= SLACK_LIMITS["elements"]:
            return [f"{where}: actions need 1..25 elements"]
        return [problem for i, e in enumerate(elements) for problem in _button(e, f"{where}.{i}")]
    return [f"{where}: unknown block type {kind!r}"]


def _button(element: Any, where: str) -> list[str]:
    if not isinstance(element, dict) or element.get("type") != "button":
        return [f"{where}: not a button"]
    problems = _text(element.get("text"), kinds=("plain_text",), most=75, where=where)
    url = element.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")) or len(url) > 3000:
        problems.append(f"{where}: url must be an http(s) URL of at most 3000 characters")
    return problems


def slack_problems(body: Any) -> list[str]:
    """A Slack incoming webhook message: `text` and/or Block Kit `blocks`."""
    if not isinstance(body, dict):
        return ["the body is not a JSON object"]
    blocks = body.get("blocks")
    if blocks is None:
        return [] if isinstance(body.get("text"), str) and body["text"] else ["no_text"]
    if not isinstance(blocks, list) or not 1 <= len(blocks) <= SLACK_LIMITS["blocks"]:
        return ["invalid_blocks: blocks must be a list of 1..50"]
    return [
        problem for i, block in enumerate(blocks) for problem in _slack_block(block, f"blocks.{i}")
    ]


def _card_element(element: Any, where: str) -> list[str]:
    kind = element.get("type") if isinstance(element, dict) else None
    if kind == "TextBlock":
        return [] if isinstance(element.get("text"), str) else [f"{where}: TextBlock without text"]
    if kind == "FactSet":
        facts = element.get("facts")
        good = isinstance(facts, list) and all(
            isinstance(f, dict)
            and isinstance(f.get("title"), str)
            and isinstance(f.get("value"), str)
            for f in facts
        )
        return [] if good else [f"{where}: FactSet facts need string title and value"]
    return [f"{where}: element type {kind!r} is not used by the portal"]


def _card(card: Any) -> list[str]:
    if not isinstance(card, dict) or card.get("type") != "AdaptiveCard":
        return ["content is not an AdaptiveCard"]
    if not isinstance(card.get("version"), str):
        return ["AdaptiveCard without a version"]
    body = card.get("body")
    if not isinstance(body, list) or not body:
        return ["AdaptiveCard without a body"]
    problems = [p for i, element in enumerate(body) for p in _card_element(element, f"body.{i}")]
    for i, action in enumerate(card.get("actions") or []):
        if not isinstance(action, dict) or action.get("type") != "Action.OpenUrl":
            problems.append(f"actions.{i}: not an Action.OpenUrl")
        elif not isinstance(action.get("url"), str) or not isinstance(action.get("title"), str):
            problems.append(f"actions.{i}: Action.OpenUrl needs a title and a url")
    return problems


def teams_problems(body: Any) -> list[str]:
    """A Teams incoming webhook / Workflows message carrying Adaptive Cards."""
    if not isinstance(body, dict) or body.get("type") != "message":
        return ["the body is not a message"]
    attachments = body.get("attachments")
    if not isinstance(attachments, list) or not attachments:
        return ["a message needs attachments"]
    problems = []
    for attachment in attachments:
        if not isinstance(attachment, dict) or attachment.get("contentType") != ADAPTIVE_CARD:
            problems.append(f"an attachment's contentType is not {ADAPTIVE_CARD}")
        else:
            problems += _card(attachment.get("content"))
    return problems
