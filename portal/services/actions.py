"""Operator actions on a canary: pause, resume, rollback, promote, approve, retry.

Each action is authorised by the router, checked against the canary's state (409 with the
reason when it does not apply), and applied with Flagger's own mechanism. Its audit row is
committed as "requested" before any effect and completed in the transaction of its database
change (claim, gate opening), which commits before the answer is returned. Run-bound actions
claim an idempotency key (`cluster/ns/name/action/.../run`) with a unique constraint, so
concurrent identical requests have one effect: the first is "applied", the rest "already
requested". Refusals and failed Kubernetes calls are audited too, in their own commit, before
the error is raised. While the cluster's canary watch is disconnected (API server down or
unreachable) nothing is attempted: the action is audited as failed and answered 503.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NoReturn

from kubernetes_asyncio.client import ApiClient
from sqlmodel.ext.asyncio.session import AsyncSession

from portal.db import DATABASE_UNAVAILABLE
from portal.domain.action_rules import (
    ActionPlan,
    ActionRefusal,
    plan_action,
    rollback_hook_hint,
    takes_effect,
)
from portal.domain.canaries import CanaryView
from portal.domain.canary_gates import Gate
from portal.domain.flagger_checksum import observed_checksum
from portal.domain.kube_names import InvalidKubeName, dns1123_subdomain
from portal.errors import Conflict, NotFound, PortalError, Unprocessable
from portal.kube.patching import KubeWriteFailed
from portal.kube.view import ClusterView, RawObject
from portal.services import fleet
from portal.services.actions_audit import audit_requested, complete_audit
from portal.services.actions_context import audit_by
from portal.services.actions_patches import (
    CanaryRef,
    annotate_for_retry,
    reset_skip_analysis,
    set_spec_flag,
)
from portal.services.actions_records import (
    ActionRecord,
    Claim,
    claim_action,
    existing_action,
    open_gate,
)
from portal.services.actions_requests import (
    ActionEnv,
    ActionRequest,
    ClusterUnavailable,
    KubernetesCallFailed,
    cluster_error,
    cluster_outage,
)
from portal.services.actions_unaudited import not_audited
from portal.services.audit import Actor
from portal.services.gates import last_calls, target_template
from portal.services.gates_freezes import active_freeze_for
from portal.services.notification_hooks import notify_operator_rollback

__all__ = [
    "ActionEnv",
    "ActionNotApplicable",
    "ActionRecord",
    "ActionRequest",
    "ClusterUnavailable",
    "KubernetesCallFailed",
    "perform_action",
]


class ActionNotApplicable(Conflict):
    """The canary's state does not allow the action now."""


class RetryTargetRefused(Unprocessable):
    """A retry whose target is not a Deployment the portal sees in the canary's namespace."""


def retry_target_problem(view: ClusterView, *, canary: CanaryView) -> str | None:
    """Why a retry may not patch the canary's target, or None. The name goes into a Kubernetes
    path, so it must be a valid Deployment name, and the Deployment must be in the view in the
    canary's own namespace: never another team's object."""
    name = canary.target.name
    try:
        dns1123_subdomain(name, what="spec.targetRef.name")
    except InvalidKubeName as invalid:
        return f"retry refused for {canary.namespace}/{canary.name}: {invalid}"
    found = view.get("deployments", cluster=canary.cluster, namespace=canary.namespace, name=name)
    if found is None:
        return (
            f"retry refused for {canary.namespace}/{canary.name}: its target Deployment "
            f"{canary.namespace}/{name} is not in the portal's view"
        )
    return None


async def perform_action(
    session: AsyncSession, *, request: ActionRequest, actor: Actor, env: ActionEnv
) -> ActionRecord:
    """Apply one action and return its record (already-applied requests say so)."""
    try:
        canary = fleet.get_canary(
            env.view,
            cluster=request.cluster,
            namespace=request.namespace,
            name=request.name,
            now=env.now,
        )
    except NotFound as missing:  # an unknown cluster or canary: refused, and audited as such
        await audit_by(
            session,
            actor,
            outcome="rejected",
            error=missing.detail,
            action=request.action.value,
            cluster=request.cluster,
            namespace=request.namespace,
            name=request.name,
            reason=request.reason,
        )
        await session.commit()
        raise
    outage = cluster_outage(env.view, cluster=request.cluster, namespace=request.namespace)
    if outage is not None:
        await _fail(session, request=request, actor=actor, canary=canary, error=outage)
    raw = _raw_canary(env.view, request)  # read with the view above, no await between
    version = str(((raw or {}).get("metadata") or {}).get("resourceVersion") or "")
    observed = observed_checksum(raw) if raw is not None else None
    template = target_template(env.view, cluster=request.cluster, canary=raw or {})
    if env.flush_gate_calls is not None:
        await env.flush_gate_calls()
    calls = await last_calls(
        session, cluster=request.cluster, namespace=request.namespace, name=request.name
    )
    held = {g for g, c in calls.items() if not c.passed and c.revision == canary.revision}
    hint = rollback_hook_hint(env.portal_url, token_key=env.token_configured)
    plan = plan_action(request.action, canary, held_gates=held, rollback_hint=hint)
    if isinstance(plan, ActionRefusal):
        await _refuse(session, request=request, actor=actor, canary=canary, reason=plan.reason)
    step = _Step(
        session=session,
        request=request,
        actor=actor,
        env=env,
        canary=canary,
        version=version,
        template=template,
    )
    try:
        record = await step.run(plan, calls_checksum=observed)
        await session.commit()  # the answer goes out only once the effect's rows are committed
    except KubeWriteFailed as failed:
        raise await step.failed(failed) from None
    except DATABASE_UNAVAILABLE as error:
        if not step.audit_id:  # failed before the "requested" row: no effect was attempted
            raise
        raise not_audited(
            error,
            action=request.action.value,
            target=f"{request.cluster}/{request.namespace}/{request.name}",
            audit_id=step.audit_id,
            done=step.done,
        ) from error
    return record


async def _refuse(
    session: AsyncSession, *, request: ActionRequest, actor: Actor, canary: CanaryView, reason: str
) -> NoReturn:
    """Audit the refusal in its own commit (the request's rollback cannot undo it), then 409."""
    await audit_by(session, actor, outcome="rejected", error=reason, **_target(request, canary))
    await session.commit()
    raise ActionNotApplicable(reason)


async def _fail(
    session: AsyncSession,
    *,
    request: ActionRequest,
    actor: Actor,
    canary: CanaryView,
    error: PortalError,
) -> NoReturn:
    """Audit an action that was not attempted as failed (its own commit), then raise."""
    await audit_by(session, actor, outcome="failed", error=error.detail, **_target(request, canary))
    await session.commit()
    raise error


def _target(request: ActionRequest, canary: CanaryView) -> dict[str, Any]:
    return {
        "action": request.action.value,
        "cluster": request.cluster,
        "namespace": request.namespace,
        "name": request.name,
        "reason": request.reason,
        "phase_before": canary.phase or None,
        "weight_before": canary.canary_weight,
    }


@dataclass
class _Step:
    session: AsyncSession
    request: ActionRequest
    actor: Actor
    env: ActionEnv
    canary: CanaryView
    version: str
    """The canary's resourceVersion when `canary` was read: patches are conditional on it."""
    template: str | None
    """The target's pod-template hash in the view: a Waiting approval binds to it as well."""
    audit_id: int = 0
    """The action's audit row, committed as "requested" before any effect."""
    done: str | None = None
    """What the action did in the cluster, once it did it (before its audit row completes)."""

    async def run(self, plan: ActionPlan, *, calls_checksum: str | None) -> ActionRecord:
        self.audit_id = await audit_requested(
            self.session, self.actor, **_target(self.request, self.canary)
        )
        if plan.already is not None:
            return await self._record("already in that state", detail=plan.already)
        match plan.mechanism:
            case "suspend" | "resume":
                return await self._suspend(plan.mechanism == "suspend")
            case "gate":
                assert plan.gate is not None
                return await self._gate(plan, checksum=calls_checksum)
            case "skip-analysis":
                return await self._skip_analysis()
            case _:
                return await self._retry()

    async def _suspend(self, suspend: bool) -> ActionRecord:
        changed = await set_spec_flag(
            self._ref(), field="suspend", value=suspend, resource_version=self.version
        )
        word = "paused (spec.suspend: true)" if suspend else "resumed (spec.suspend: false)"
        if not changed:
            return await self._record("already in that state", detail=f"already {word}")
        return await self._record("applied", detail=word)

    async def _gate(self, plan: ActionPlan, *, checksum: str | None) -> ActionRecord:
        gate = plan.gate
        assert gate is not None
        always = self.request.scope == "always" and gate is not Gate.ROLLBACK
        if gate is Gate.CONFIRM_ROLLOUT:
            await self._refuse_when_frozen()
        if not always and checksum is None:
            await self._refuse_unseen(gate)
        bound = "*" if always else checksum
        assert bound is not None
        template = None if always else self.template
        if gate is Gate.CONFIRM_ROLLOUT and not always and template is None:
            await self._refuse(
                f"the portal does not see {self.request.namespace}/{self.canary.target.name}'s "
                "pod template, so it cannot bind the approval to the revision you saw"
            )
        suffix = f"{gate}/{bound}" + (
            f"/{template}" if gate is Gate.CONFIRM_ROLLOUT and template else ""
        )
        claim = await self._claim(suffix, checksum=bound)
        if not claim.new or claim.action_id is None:
            return await self._record(
                "already requested", detail=claim.detail, gate=gate, action_id=claim.action_id
            )
        withdrawn = ""
        if plan.withdraw_promote:
            await reset_skip_analysis(self._ref())
            withdrawn = "withdrew the pending promote (spec.skipAnalysis: false), then "
        await open_gate(
            self.session,
            self._key(),
            gate=gate,
            checksum=bound,
            template_hash=template,
            action_id=claim.action_id,
        )
        detail = withdrawn + f"opened the {gate} gate for "
        detail += "every run" if always else f"run {bound}"
        if gate is Gate.CONFIRM_ROLLOUT and template:
            detail += f" (pod template {template}; a newer push waits for a new approval)"
        if plan.resume_too:
            await set_spec_flag(
                self._ref(), field="suspend", value=False, resource_version=self.version
            )
            detail += " and resumed the canary (spec.suspend: false)"
        return await self._record("applied", detail=detail, gate=gate, action_id=claim.action_id)

    async def _skip_analysis(self) -> ActionRecord:
        claim = await self._claim("skip-analysis", checksum=None, reset_pending=True)
        if not claim.new or claim.action_id is None:
            return await self._record(
                "already requested", detail=claim.detail, action_id=claim.action_id
            )
        changed = await set_spec_flag(
            self._ref(), field="skipAnalysis", value=True, resource_version=self.version
        )
        detail = "set spec.skipAnalysis: true (reset to false once the run ends)"
        if not changed:
            detail = "spec.skipAnalysis was already true (reset to false once the run ends)"
        return await self._record("applied", detail=detail, action_id=claim.action_id)

    async def _retry(self) -> ActionRecord:
        target = self.canary.target
        if target.kind != "Deployment":
            await self._refuse(f"retry bumps a Deployment's pod template; target is {target.kind}")
        problem = retry_target_problem(self.env.view, canary=self.canary)
        if problem is not None:
            await self._refuse(problem, error=RetryTargetRefused)
        claim = await self._claim("retry", checksum=None)
        if not claim.new or claim.action_id is None:
            return await self._record(
                "already requested", detail=claim.detail, action_id=claim.action_id
            )
        await annotate_for_retry(
            self._client(),
            namespace=self.request.namespace,
            deployment=target.name,
            at=self.env.now,
            timeout_seconds=self.env.timeout,
        )
        detail = (
            f"annotated {target.name}'s pod template ({self.env.now.isoformat()}); the portal "
            "follows the canary and records in the audit log whether Flagger started a new run"
        )
        return await self._record("requested", detail=detail, action_id=claim.action_id)

    async def _claim(
        self, suffix: str, *, checksum: str | None, reset_pending: bool = False
    ) -> Claim:
        # A run-bound gate action is keyed by the checksum its opening binds to (in `suffix`), as
        # the opening itself is: one opening, one claim. Others by the revision they act on.
        bound_to_run = checksum is not None and checksum != "*"
        run = () if bound_to_run else (self.canary.revision or "none",)
        key = "/".join((*self._key(), self.request.action.value, suffix, *run))
        claim = await claim_action(
            self.session,
            key=key,
            target=self._key(),
            action=self.request.action.value,
            actor=self.actor.name,
            reason=self.request.reason,
            checksum=checksum,
            revision=self.canary.revision,
            reset_pending=reset_pending,
        )
        if not claim.new:
            return await existing_action(self.session, key=key)
        return claim

    async def _refuse_when_frozen(self) -> None:
        freeze = await active_freeze_for(
            self.session, cluster=self.request.cluster, namespace=self.request.namespace
        )
        if freeze is not None:
            await self._refuse(
                f"change freeze #{freeze.id} on {freeze.scope} ({freeze.reason}): lift it first"
            )

    async def _refuse_unseen(self, gate: Gate) -> NoReturn:
        if gate is Gate.ROLLBACK and self.canary.target_ready is False:
            await self._refuse(
                f"{self.request.namespace}/{self.request.name}'s canary pods are not ready: "
                "Flagger calls no rollback hook until they are, so the portal cannot bind a "
                "rollback to this run; Flagger rolls it back by itself at the progress deadline "
                f"(progressDeadlineSeconds {self.canary.progress_deadline_seconds})"
            )
        await self._refuse(
            f"{self.request.namespace}/{self.request.name} shows no run yet (no "
            f"status.lastAppliedSpec), so the {gate} decision has no run to bind to; try again "
            f"after the next analysis tick (within {self.canary.interval_seconds:g}s)"
        )

    async def _refuse(
        self, reason: str, *, error: type[PortalError] = ActionNotApplicable
    ) -> NoReturn:
        """Complete the audit row as rejected (in its own commit), then raise `error`."""
        await self.session.rollback()
        await complete_audit(self.session, self.audit_id, outcome="rejected", error=reason)
        await self.session.commit()
        raise error(reason)

    async def _record(
        self,
        outcome: str,
        *,
        detail: str,
        gate: Gate | None = None,
        action_id: int | None = None,
    ) -> ActionRecord:
        self.done = detail
        event = await complete_audit(self.session, self.audit_id, outcome=outcome)
        if outcome == "applied" and gate is Gate.ROLLBACK:
            await notify_operator_rollback(
                self.session,
                view=self.env.view,
                canary=self.canary,
                actor=self.actor.name,
                reason=self.request.reason,
                action_id=action_id,
                now=self.env.now,
            )
        return ActionRecord(
            id=action_id,
            cluster=self.request.cluster,
            namespace=self.request.namespace,
            name=self.request.name,
            action=self.request.action.value,
            outcome=outcome,
            detail=detail,
            reason=self.request.reason,
            actor=self.actor.name,
            phase_before=self.canary.phase or None,
            weight_before=self.canary.canary_weight,
            gate=gate.value if gate else None,
            scope=self.request.scope if gate else None,
            takes_effect=takes_effect(self.canary, action=self.request.action, now=self.env.now),
            audit_id=event.id or 0,
            requested_at=event.at,
        )

    async def failed(self, failed: KubeWriteFailed) -> PortalError:
        """Audit a failed Kubernetes call (in its own commit) and say what to raise."""
        await self.session.rollback()
        error = cluster_error(failed, cluster=self.request.cluster, target=self._name())
        await complete_audit(self.session, self.audit_id, outcome="failed", error=error.detail)
        await self.session.commit()
        return error

    def _key(self) -> tuple[str, str, str]:
        return (self.request.cluster, self.request.namespace, self.request.name)

    def _name(self) -> str:
        return f"{self.request.namespace}/{self.request.name}"

    def _client(self) -> ApiClient:
        return self.env.clients[self.request.cluster]

    def _ref(self) -> CanaryRef:
        return CanaryRef(
            client=self._client(),
            namespace=self.request.namespace,
            name=self.request.name,
            timeout=self.env.timeout,
        )


def _raw_canary(view: ClusterView, request: ActionRequest) -> RawObject | None:
    return view.get(
        "canaries", cluster=request.cluster, namespace=request.namespace, name=request.name
    )
