"""GitHub's own example payloads parsed into DORA facts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from portal.domain.dora_facts import ChangeFact, DeploymentFact
from portal.domain.github_events import (
    DeploymentStarted,
    PayloadInvalid,
    PushSeen,
    parse_deployment,
    parse_deployment_status,
    parse_push,
    parse_workflow_run,
)
from tests.support.github_examples import example

SHA = "6113728f27ae82c7b1a177c8d03f9e96e0adf246"


def test_a_push_to_the_default_branch_gives_its_commits_and_chain_link() -> None:
    assert parse_push(example("push", 4)) == PushSeen(
        repo="Codertocat/Hello-World",
        before="0" * 40,
        after=SHA,
        commits=[
            ChangeFact(
                repo="Codertocat/Hello-World",
                sha=SHA,
                committed_at=datetime(2019, 5, 15, 15, 19, 25, tzinfo=UTC),
                push_head=SHA,
            )
        ],
    )


def test_tags_and_deleted_refs_are_no_changes() -> None:
    assert parse_push(example("push", 0)) is None
    assert parse_push(example("push", 1)) is None


def test_a_squash_merge_is_one_commit_like_any_other() -> None:
    payload = example("push", 4)
    payload["commits"][0] |= {
        "message": "Add search (#42)",
        "timestamp": "2026-11-20T10:00:00+01:00",
    }
    seen = parse_push(payload)
    assert seen is not None
    assert [c.committed_at for c in seen.commits] == [datetime(2026, 11, 20, 9, tzinfo=UTC)]


def test_a_successful_deployment_status_is_a_deployment() -> None:
    assert parse_deployment_status(example("deployment_status", 0)) == DeploymentFact(
        source="github",
        external_key="Codertocat/Hello-World/deployments/145988746",
        service="Hello-World",
        environment="production",
        repo="Codertocat/Hello-World",
        commit_sha="f95f852bd8fca8fcc58a9a2d6c842781e32a215e",
        revision="master",
        started_at=datetime(2019, 5, 15, 15, 20, 53, tzinfo=UTC),
        finished_at=datetime(2019, 5, 15, 15, 20, 55, tzinfo=UTC),
        outcome="success",
    )


def test_a_created_deployment_names_the_key_its_status_will_finish() -> None:
    assert parse_deployment(example("deployment", 0)) == DeploymentStarted(
        external_key="Codertocat/Hello-World/deployments/145988746",
        commit_sha="f95f852bd8fca8fcc58a9a2d6c842781e32a215e",
        started_at=datetime(2019, 5, 15, 15, 20, 53, tzinfo=UTC),
    )
    status = parse_deployment_status(example("deployment_status", 0))
    assert status is not None
    assert status.external_key == "Codertocat/Hello-World/deployments/145988746"


def test_a_created_deployment_without_its_commit_is_refused() -> None:
    payload = example("deployment", 0)
    del payload["deployment"]["sha"]
    with pytest.raises(PayloadInvalid, match=r"deployment\.sha is missing"):
        parse_deployment(payload)


def test_a_deployment_in_progress_is_not_yet_one() -> None:
    assert parse_deployment_status(example("deployment_status", 1)) is None


def test_a_failed_hotfix_deployment_to_a_named_service() -> None:
    payload = example("deployment_status", 0)
    payload["deployment_status"] |= {"state": "failure", "description": "pods crashlooping"}
    payload["deployment"]["payload"] = {"service": "search", "cluster": "prod", "hotfix": True}
    fact = parse_deployment_status(payload)
    assert fact is not None
    assert (fact.service, fact.cluster, fact.outcome, fact.failure_cause, fact.planned) == (
        "search",
        "prod",
        "failed",
        "deployment pods crashlooping",
        False,
    )


def test_a_completed_deploy_workflow_run_is_a_deployment_and_its_head_commit_a_change() -> None:
    found = parse_workflow_run(
        example("workflow_run", 1), workflows=frozenset({".github/workflows/test.yml"})
    )
    assert found is not None
    deployment, change = found
    assert (deployment.external_key, deployment.service, deployment.outcome) == (
        "octo-org/octo-repo/actions/runs/289782451/1",
        "octo-repo",
        "success",
    )
    assert change == ChangeFact(
        repo="octo-org/octo-repo",
        sha="3484a3fb816e0859fd6e1cea078d76385ff50625",
        committed_at=datetime(2020, 10, 5, 16, 32, 7, tzinfo=UTC),
    )


def test_other_workflows_and_unfinished_runs_are_not_deployments() -> None:
    assert parse_workflow_run(example("workflow_run", 1), workflows=frozenset({"Deploy"})) is None
    deploy = frozenset({".github/workflows/test.yml"})
    assert parse_workflow_run(example("workflow_run", 3), workflows=deploy) is None


def test_a_payload_without_its_fields_is_refused_with_the_field() -> None:
    payload = example("deployment_status", 0)
    del payload["deployment"]["created_at"]
    with pytest.raises(PayloadInvalid, match="created_at"):
        parse_deployment_status(payload)
