"""Following a rollout: kubectl rollout status's decision with counts, and follow() polling a deployment to its end.

The server is kmock's emulator in a thread (tests/kube_server.py); the kubernetes client is never patched.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from kubernetes.client import V1Deployment

from mitigations.actions import Progress, rollout
from tests.mitigations.actions.helpers import (
    DEPLOYMENT_PATH,
    action,
    changes,
    deployment,
    fixture,
    target,
)

# --- rollout status decisions, pure --------------------------------------------------------------------------------

@pytest.mark.parametrize("case", fixture("rollout_cases.json"), ids=lambda c: c["why"])
def test_rollout_progress_follows_kubectl_rollout_status(case):
    dep = deployment()
    dep["metadata"]["generation"] = case["generation"]
    dep["spec"]["replicas"] = case["replicas"]
    dep["status"].update(case["status"])
    progress = rollout.progress_of(V1Deployment.from_dict(dep))
    assert progress.state == case["state"]
    assert case["words"] in progress.message and progress.message.startswith("deployment bharatcart-api: ")
    assert [progress.updated, progress.available, progress.total] == case["counts"]


# --- over HTTP: rollout status and follow() ----------------------------------------------------------------------

def _status(**status) -> dict:
    dep = deployment()
    dep["status"].update(status)
    return dep


def _recorder() -> tuple[list[Progress], Any]:
    seen: list[Progress] = []
    return seen, seen.append


def test_follow_a_complete_rollout(api_server):
    api_server.add(deployment())
    seen, record = _recorder()
    final = rollout.follow(target(api_server.url), deadline_seconds=5, on_progress=record, interval=0.01)
    assert final == Progress("complete", "deployment bharatcart-api: successfully rolled out", 3, 3, 3)
    assert seen == [final]
    assert all(r.params == {} and r.url.path == DEPLOYMENT_PATH for r in api_server.requests())


def test_follow_reports_each_change_until_complete(api_server):
    states = [_status(updatedReplicas=1, replicas=4), _status(updatedReplicas=1, replicas=4),
              _status(updatedReplicas=3, replicas=4), _status(availableReplicas=2), deployment()]
    api_server.react(f"get {DEPLOYMENT_PATH}", lambda request: states.pop(0) if len(states) > 1 else states[0])
    seen, record = _recorder()
    final = rollout.follow(target(api_server.url), deadline_seconds=5, on_progress=record, interval=0.01)
    assert final.state == "complete"
    assert [(p.state, p.updated, p.available, p.total) for p in seen] == [
        ("progressing", 1, 3, 3), ("progressing", 3, 3, 3), ("progressing", 3, 2, 3), ("complete", 3, 3, 3)]
    assert "1 old replicas are pending termination" in seen[1].message
    assert len(api_server.requests()) == 5  # the unchanged second poll was not reported


def test_follow_a_rollout_past_its_progress_deadline(api_server):
    api_server.add(_status(updatedReplicas=1, conditions=[
        {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"}]))
    seen, record = _recorder()
    final = rollout.follow(target(api_server.url), deadline_seconds=5, on_progress=record, interval=0.01)
    assert final.state == "failed"
    assert final.message == "deployment bharatcart-api: rollout exceeded its progress deadline"
    assert seen == [final]


def test_follow_gives_up_at_its_own_deadline(api_server):
    api_server.add(_status(updatedReplicas=1))
    seen, record = _recorder()
    started = time.monotonic()
    final = rollout.follow(target(api_server.url), deadline_seconds=0.3, on_progress=record, interval=0.05)
    assert 0.3 <= time.monotonic() - started < 1.5
    assert final.state == "failed"
    assert final.message.startswith("deployment bharatcart-api: the rollout did not finish within the 0.3 s "
                                    "deadline; last seen: deployment bharatcart-api: rollout in progress: 1 of 3")
    assert [p.state for p in seen] == ["progressing", "failed"]
    assert (final.updated, final.available, final.total) == (1, 3, 3)
    assert len(api_server.requests()) >= 3  # polled, not waited blindly


def test_rollout_status_action_reports_the_state_now(api_server):
    api_server.add(_status(availableReplicas=1))
    status = action("kubernetes.rollout_status")
    assert not status.changes_cluster and not status.destructive
    tgt = target(api_server.url)
    outcome = status.execute(tgt, status.clean_params(tgt, None))
    assert outcome.summary == "deployment bharatcart-api: rollout in progress: 1 of 3 updated replicas are available"
    assert outcome.changes == [] and outcome.follow_rollout
    assert outcome.before == {"state": "progressing", "message": outcome.summary, "updated": 3, "available": 1,
                              "total": 3}
    assert changes(api_server) == []
