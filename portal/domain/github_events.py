"""What GitHub webhook payloads say about DORA facts (pure parsing; GitHub's payload shapes as
in its docs and @octokit/webhooks-examples).

- `push` to the repository's default branch: the chain link `before` → `after` and every
  commit with its `timestamp`, merge and squash commits alike (a tag or another branch: nothing);
- `deployment_status` in a final state (`success`; `failure` or `error`): a deployment keyed by
  the GitHub deployment id, started when the deployment was created; `payload.service`,
  `payload.cluster`, `payload.namespace` and `payload.hotfix` refine it, else the repository name
  is the service;
- `deployment` (created): not yet a fact. A deployment fact is a finished deployment (DORA counts
  deployments that finished; the row needs its outcome), and the `deployment_status` that
  finishes it carries the same `deployment` object (id, sha, created_at, payload), so the fact
  comes whole from that status under the same key. The event is checked for those fields and
  recorded on its delivery row (which deployment of which commit started when);
- `ping`: recorded on its delivery row with the hook id;
- `workflow_run` `completed` of a configured deploy workflow (its name or path), concluded
  `success` or `failure`: a deployment keyed by run id and attempt, and its head commit a change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from portal.domain.dora_facts import ChangeFact, DeploymentFact

DEPLOYMENT_STATES = {"success": "success", "failure": "failed", "error": "failed"}
RUN_CONCLUSIONS = {"success": "success", "failure": "failed"}
HANDLED_EVENTS = frozenset({"ping", "push", "deployment", "deployment_status", "workflow_run"})


class PayloadInvalid(ValueError):
    """The payload lacks a field its event type always carries."""


@dataclass(frozen=True, slots=True)
class PushSeen:
    repo: str
    before: str
    after: str
    commits: list[ChangeFact] = field(default_factory=list)


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(payload: dict[str, Any], *path: str) -> str:
    value: Any = payload
    for part in path:
        value = _dict(value).get(part)
    if not isinstance(value, (str, int)) or value == "":
        raise PayloadInvalid(f"{'.'.join(path)} is missing")
    return str(value)


def _time(payload: dict[str, Any], *path: str) -> datetime:
    text = _text(payload, *path)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as error:
        raise PayloadInvalid(f"{'.'.join(path)} is not an ISO-8601 time") from error
    if moment.tzinfo is None:
        raise PayloadInvalid(f"{'.'.join(path)} has no UTC offset")
    return moment


def parse_push(payload: dict[str, Any]) -> PushSeen | None:
    repo = _text(payload, "repository", "full_name")
    default = _dict(payload.get("repository")).get("default_branch")
    if payload.get("deleted") or payload.get("ref") != f"refs/heads/{default}":
        return None
    after = _text(payload, "after")
    commits = list(payload.get("commits") or [])
    head = payload.get("head_commit")
    if isinstance(head, dict) and all(_dict(c).get("id") != head.get("id") for c in commits):
        commits.append(head)
    return PushSeen(
        repo=repo,
        before=_text(payload, "before"),
        after=after,
        commits=[
            ChangeFact(
                repo=repo,
                sha=_text(commit, "id"),
                committed_at=_time(commit, "timestamp"),
                push_head=after,
            )
            for commit in commits
        ],
    )


@dataclass(frozen=True, slots=True)
class DeploymentStarted:
    external_key: str
    commit_sha: str
    started_at: datetime


def _deployment_key(payload: dict[str, Any]) -> str:
    repo = _text(payload, "repository", "full_name")
    return f"{repo}/deployments/{_text(payload, 'deployment', 'id')}"


def parse_deployment(payload: dict[str, Any]) -> DeploymentStarted:
    """A `deployment` event: the key its `deployment_status` events will record it under."""
    return DeploymentStarted(
        external_key=_deployment_key(payload),
        commit_sha=_text(payload, "deployment", "sha"),
        started_at=_time(payload, "deployment", "created_at"),
    )


def parse_deployment_status(payload: dict[str, Any]) -> DeploymentFact | None:
    state = DEPLOYMENT_STATES.get(_text(payload, "deployment_status", "state"))
    if state is None:
        return None
    deployment = _dict(payload.get("deployment"))
    extra = _dict(deployment.get("payload"))
    repo = _text(payload, "repository", "full_name")
    description = _dict(payload.get("deployment_status")).get("description") or ""
    return DeploymentFact(
        source="github",
        external_key=_deployment_key(payload),
        service=str(extra.get("service") or _text(payload, "repository", "name")),
        environment=str(deployment.get("environment") or "production"),
        cluster=str(extra.get("cluster") or ""),
        namespace=str(extra.get("namespace") or ""),
        repo=repo,
        commit_sha=_text(deployment, "sha"),
        revision=str(deployment.get("ref") or "") or None,
        started_at=_time(deployment, "created_at"),
        finished_at=_time(payload, "deployment_status", "created_at"),
        outcome=state,
        failure_cause=None if state == "success" else f"deployment {description}".strip(),
        planned=not bool(extra.get("hotfix")),
    )


def parse_workflow_run(
    payload: dict[str, Any], *, workflows: frozenset[str]
) -> tuple[DeploymentFact, ChangeFact | None] | None:
    run = _dict(payload.get("workflow_run"))
    names = {str(run.get("name") or ""), str(run.get("path") or "")}
    outcome = RUN_CONCLUSIONS.get(str(run.get("conclusion") or ""))
    if payload.get("action") != "completed" or not names & workflows or outcome is None:
        return None
    repo = _text(payload, "repository", "full_name")
    sha = _text(run, "head_sha")
    deployment = DeploymentFact(
        source="github",
        external_key=f"{repo}/actions/runs/{_text(run, 'id')}/{run.get('run_attempt') or 1}",
        service=_text(payload, "repository", "name"),
        repo=repo,
        commit_sha=sha,
        revision=str(run.get("head_branch") or "") or None,
        started_at=_time(run, "run_started_at"),
        finished_at=_time(run, "updated_at"),
        outcome=outcome,
        failure_cause=None if outcome == "success" else f"workflow {run.get('name')} failed",
    )
    head = _dict(run.get("head_commit"))
    change = None
    if head.get("timestamp"):
        change = ChangeFact(repo=repo, sha=sha, committed_at=_time(head, "timestamp"))
    return deployment, change
