"""Scaling: the target's bounds, and the wire contract (a dry-run merge patch of the scale subresource, conflicts
retried, nothing sent out of bounds).

The server is kmock's emulator in a thread (tests/kube_server.py); the kubernetes client is never patched.
"""

from __future__ import annotations

import kmock
import pytest

from mitigations.actions import ActionError, ActionParamError, Change
from mitigations.models import ScaleLimits
from tests.kube_server import KubeServer
from tests.mitigations.actions.helpers import (
    API,
    DEPLOYMENTS,
    NS,
    SCALE_PATH,
    action,
    changes,
    conflict,
    deployment,
    execute,
    preview,
    scale_of,
    serve_scale,
    stored,
    target,
)

# --- scale bounds, pure ------------------------------------------------------------------------------------------

def test_scale_params_stay_within_the_targets_bounds():
    scale = action("kubernetes.scale")
    tgt = target("http://unused")
    tgt.scale_limits = ScaleLimits(min_replicas=2, max_replicas=12)
    assert scale.clean_params(tgt, {"replicas": 2}) == {"replicas": 2}
    assert scale.clean_params(tgt, {"replicas": 12}) == {"replicas": 12}
    for bad in (1, 13, 0, -3):
        with pytest.raises(ActionParamError) as caught:
            scale.clean_params(tgt, {"replicas": bad})
        assert str(caught.value) == (f"kubernetes.scale: replicas must be between 2 and 12 for target shop-api "
                                     f"(got {bad})")
    for bad in ({"replicas": "5"}, {"replicas": True}, {"replicas": 5.0}, {"replicas": None}):
        with pytest.raises(ActionParamError, match="between 2 and 12"):
            scale.clean_params(tgt, bad)
    with pytest.raises(ActionParamError, match="replicas is required"):
        scale.clean_params(tgt, {})
    with pytest.raises(ActionParamError, match="unknown parameter namespace"):
        scale.clean_params(tgt, {"replicas": 5, "namespace": "kube-system"})


# --- over HTTP: scale --------------------------------------------------------------------------------------------

def test_scale_preview_is_a_dry_run_merge_patch_of_the_scale_subresource(cluster):
    outcome = preview("kubernetes.scale", target(cluster.url), {"replicas": 10})
    assert [(r.method, r.url.path) for r in cluster.requests()] == [
        (kmock.method.GET, SCALE_PATH), (kmock.method.PATCH, SCALE_PATH)]
    patch = changes(cluster)[0]
    assert patch.params == {"fieldManager": "warroom", "dryRun": "All"}
    assert patch.headers["Content-Type"] == "application/merge-patch+json"
    assert patch.data == {"spec": {"replicas": 10}}
    assert outcome.changes == [Change("replicas", 3, 10)]
    assert outcome.summary == "Scale bharatcart-api from 3 to 10 replicas"
    assert outcome.before == {"replicas": 3, "running": 3} and outcome.after == {"replicas": 10}
    assert not outcome.follow_rollout


def test_scale_execute_changes_the_deployment(cluster):
    outcome = execute("kubernetes.scale", target(cluster.url), {"replicas": 5})
    patch = changes(cluster)[0]
    assert patch.params == {"fieldManager": "warroom"}
    assert patch.headers["Content-Type"] == "application/merge-patch+json"
    assert stored(cluster, DEPLOYMENTS, API)["spec"]["replicas"] == 5
    assert outcome.changes == [Change("replicas", 3, 5)] and outcome.follow_rollout


def test_scale_to_the_current_count_sends_nothing(cluster):
    outcome = execute("kubernetes.scale", target(cluster.url), {"replicas": 3})
    assert outcome.noop and not outcome.follow_rollout
    assert changes(cluster) == []


def test_scale_out_of_bounds_never_reaches_the_server(cluster):
    with pytest.raises(ActionParamError, match="between 1 and 20"):
        action("kubernetes.scale").execute(target(cluster.url), {"replicas": 50})
    assert cluster.requests() == []


def _conflicts(server: KubeServer, times: int):
    """A /scale PATCH reply answering 409 the first times. A real server leaves the object alone on a conflict;
    kmock has already merged the patch by then, so the reply puts the replica count back."""
    calls = {"n": 0}
    replicas = deployment()["spec"]["replicas"]

    def reply(request: kmock.Request) -> dict:
        calls["n"] += 1
        if calls["n"] <= times:
            server.emulator.objects[DEPLOYMENTS, NS, API].patch({"spec": {"replicas": replicas}})
            raise conflict()
        return scale_of(server)

    return reply


def test_scale_conflict_is_retried_then_succeeds(api_server):
    api_server.add(deployment())
    serve_scale(api_server, _conflicts(api_server, 2))
    outcome = execute("kubernetes.scale", target(api_server.url), {"replicas": 6})
    assert [(r.method, r.url.path) for r in api_server.requests()] == [
        (kmock.method.GET, SCALE_PATH), (kmock.method.PATCH, SCALE_PATH)] * 3  # re-read, re-patch
    assert outcome.after == {"replicas": 6}


def test_scale_conflict_is_retried_at_most_twice(api_server):
    api_server.add(deployment())
    serve_scale(api_server, _conflicts(api_server, 3))
    with pytest.raises(ActionError, match=r"answered 409 Conflict while scaling deployment bharatcart-api .*modified"):
        execute("kubernetes.scale", target(api_server.url), {"replicas": 6})
    assert len(changes(api_server)) == 3


def test_scale_other_failures_are_not_retried(api_server):
    api_server.add(deployment())
    serve_scale(api_server, lambda request: kmock.Response(status=500, payload={
        "kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 500, "message": "etcd timeout"}))
    with pytest.raises(ActionError, match=r"answered 500 .*: etcd timeout"):
        execute("kubernetes.scale", target(api_server.url), {"replicas": 6})
    assert len(changes(api_server)) == 1
