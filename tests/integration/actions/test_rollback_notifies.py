"""An operator's rollback queues its notice in the action's own transaction, grouped with the
release it rolls back; a canary the rule does not select queues nothing."""

from __future__ import annotations

import json

from sqlmodel import col, select

from portal.models.notifications import NotificationChannel, NotificationOutbox, NotificationRule
from portal.security.roles import Role
from tests.integration.actions.support import (
    CLUSTER,
    NS,
    Stage,
    act,
    add_canary,
    release,
    wait_phase,
)
from tests.integration.actions.test_actions import gate_saw_this_run, slow_canary
from tests.support.apps import signed_in


async def queued(stage: Stage) -> list[NotificationOutbox]:
    async with stage.portal.app.state.portal.sessionmaker() as session:
        statement = select(NotificationOutbox).where(
            NotificationOutbox.transition == "operator_rollback"
        )
        return list(await session.exec(statement.order_by(col(NotificationOutbox.id))))


async def test_an_operator_rollback_is_queued_with_the_action(stage: Stage) -> None:
    async with stage.portal.app.state.portal.sessionmaker() as session:
        channel = NotificationChannel(
            name="ops", kind="slack", url_env="NOTIFY_OPS", created_by="tests"
        )
        session.add(channel)
        await session.flush()
        assert channel.id is not None
        for selector in ("", "app=other"):
            session.add(
                NotificationRule(
                    channel_id=channel.id,
                    transitions="operator_rollback",
                    selector=selector,
                    created_by="tests",
                )
            )
        await session.commit()
    await add_canary(stage, slow_canary(stage))
    release(stage, "web", "registry/web:a")
    await wait_phase(stage, "web", "Progressing")
    await gate_saw_this_run(stage)
    # Flagger's loop for web stops at its next status write until both are answered, so the
    # run cannot end (and the sweeper retire its claim) between the two requests.
    status_path = f"/apis/flagger.app/v1beta1/namespaces/{NS}/canaries/web/status"
    hold = stage.dc.faults.hold_next_request(method="PATCH", path_prefix=status_path)
    try:
        async with signed_in(stage.portal, Role.operator) as operator:
            first = await act(operator, "web", "rollback", reason="bad build")
            again = await act(operator, "web", "rollback", reason="bad build")
    finally:
        hold.release()
    assert (first.status_code, first.json()["outcome"]) == (202, "applied")
    assert (again.status_code, again.json()["outcome"]) == (202, "already requested")

    [row] = await queued(stage)
    raw = stage.portal.app.state.portal.view.get(
        "canaries", cluster=CLUSTER, namespace=NS, name="web"
    )
    revision = raw["status"]["lastAppliedSpec"]
    assert row.group_key == f"canary:{CLUSTER}/{NS}/web@{revision}"
    payload = json.loads(row.payload)
    assert payload["cause"].endswith(": bad build")
    assert payload["subject"] == {
        "cluster": CLUSTER,
        "namespace": NS,
        "name": "web",
        "service": None,
    }
