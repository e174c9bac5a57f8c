"""The notifications admin page (channels, rules, delivery status, test-message buttons) and the
"notify me" form of a canary page. Plain forms with the CSRF token; every change is audited by
the services; a refused change answers with its reason."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import SecretStr, ValidationError

from portal.deps import SessionDep, SettingsDep, TemplatesDep
from portal.domain.notification_rules import Transition
from portal.errors import Unprocessable
from portal.models.notifications import ChannelCreate, ChannelKind, RuleCreate
from portal.security.access import AdminUser, OperatorUser
from portal.security.actors import CurrentActor
from portal.services import notification_admin as admin

router = APIRouter(include_in_schema=False)

Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
KubeName = Annotated[
    str, Path(min_length=1, max_length=253, pattern=r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
]
Text = Annotated[str, Form(max_length=2000)]


def _blank(value: str | None) -> str | None:
    return value.strip() or None if value is not None else None


async def _page(
    request: Request, templates: TemplatesDep, session: SessionDep, *, notice: str | None = None
) -> HTMLResponse:
    context: dict[str, Any] = {
        "active": "admin",
        "channels": await admin.list_channels(session),
        "rules": await admin.list_rules(session),
        "messages": await admin.recent_messages(session),
        "transitions": admin.transition_choices(),
        "notice": notice,
    }
    return templates.TemplateResponse(request, "notifications/index.html", context)


def _back(request: Request) -> RedirectResponse:
    target = request.app.url_path_for("admin_notifications")
    return RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)


@router.get("/admin/notifications", response_class=HTMLResponse, name="admin_notifications")
async def notifications_page(
    request: Request, templates: TemplatesDep, session: SessionDep, _admin: AdminUser
) -> HTMLResponse:
    return await _page(request, templates, session)


@router.post("/admin/notifications/channels", name="admin_create_channel")
async def create_channel(
    request: Request,
    *,
    session: SessionDep,
    settings: SettingsDep,
    _admin: AdminUser,
    actor: CurrentActor,
    name: Annotated[str, Form(max_length=64)],
    kind: Annotated[ChannelKind, Form()],
    url: Text = "",
    url_env: Text = "",
    secret: Text = "",
    secret_env: Text = "",
    owner: Text = "",
) -> RedirectResponse:
    try:
        body = ChannelCreate(
            name=name,
            kind=kind,
            url=SecretStr(url.strip()) if url.strip() else None,
            url_env=_blank(url_env),
            secret=SecretStr(secret) if secret else None,
            secret_env=_blank(secret_env),
            owner=_blank(owner),
        )
    except ValidationError as error:
        raise Unprocessable(_first_problem(error)) from error
    await admin.create_channel(session, body=body, box=admin.secret_box(settings), actor=actor)
    return _back(request)


def _first_problem(error: ValidationError) -> str:
    item = error.errors()[0]
    return f"{'.'.join(str(part) for part in item['loc'])}: {item['msg']}"


@router.post("/admin/notifications/channels/{channel_id}/delete", name="admin_delete_channel")
async def delete_channel(
    request: Request, channel_id: Id, session: SessionDep, _admin: AdminUser, actor: CurrentActor
) -> RedirectResponse:
    await admin.delete_channel(session, channel_id=channel_id, actor=actor)
    return _back(request)


@router.post(
    "/admin/notifications/channels/{channel_id}/test",
    response_class=HTMLResponse,
    name="admin_test_channel",
)
async def send_channel_test(
    request: Request,
    *,
    channel_id: Id,
    templates: TemplatesDep,
    session: SessionDep,
    settings: SettingsDep,
    _admin: AdminUser,
    actor: CurrentActor,
) -> HTMLResponse:
    result = await admin.send_test_message(
        session, settings=settings, channel_id=channel_id, actor=actor, now=datetime.now(UTC)
    )
    return await _page(
        request, templates, session, notice=f"Test message to #{channel_id}: {result}"
    )


@router.post("/admin/notifications/rules", name="admin_create_rule")
async def create_rule(
    request: Request,
    *,
    session: SessionDep,
    _admin: AdminUser,
    actor: CurrentActor,
    channel_id: Annotated[int, Form(ge=1, le=2**31 - 1)],
    transitions: Annotated[list[Transition], Form()],
    cluster: Text = "",
    namespace: Text = "",
    canary: Text = "",
    service: Text = "",
    selector: Text = "",
    stale_minutes: Annotated[int, Form(ge=1, le=1440)] = 5,
) -> RedirectResponse:
    try:
        body = RuleCreate(
            channel_id=channel_id,
            transitions=transitions,
            cluster=_blank(cluster),
            namespace=_blank(namespace),
            canary=_blank(canary),
            service=_blank(service),
            selector=selector,
            stale_minutes=stale_minutes,
        )
    except ValidationError as error:
        raise Unprocessable(_first_problem(error)) from error
    await admin.create_rule(session, body=body, actor=actor)
    return _back(request)


@router.post("/admin/notifications/rules/{rule_id}/delete", name="admin_delete_rule")
async def delete_rule(
    request: Request, rule_id: Id, session: SessionDep, _admin: AdminUser, actor: CurrentActor
) -> RedirectResponse:
    await admin.delete_rule(session, rule_id=rule_id, actor=actor)
    return _back(request)


@router.post("/canaries/{cluster}/{namespace}/{name}/notify-me", name="canary_notify_me")
async def notify_me(
    request: Request,
    *,
    cluster: Annotated[str, Path(min_length=1, max_length=128)],
    namespace: KubeName,
    name: KubeName,
    session: SessionDep,
    _operator: OperatorUser,
    actor: CurrentActor,
) -> RedirectResponse:
    await admin.notify_me(session, cluster=cluster, namespace=namespace, name=name, actor=actor)
    target = request.app.url_path_for(
        "canary_page", cluster=cluster, namespace=namespace, name=name
    )
    return RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)


async def own_channel_name(request: Request, session: SessionDep) -> str | None:
    """The signed-in user's own channel, for the canary page's "notify me" button."""
    identity = getattr(request.state, "identity", None)
    if identity is None or not getattr(identity, "authenticated", False):
        return None
    channel = await admin.own_channel(session, user=identity.name)
    return channel.name if channel else None
