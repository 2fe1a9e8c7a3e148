"""Restarting pods: `kubectl rollout restart` (the restartedAt annotation, a strategic-merge PATCH with
fieldManager=warroom, previewed with dryRun=All, refused when paused) and deleting one pod (refused for a bare pod,
a pod no ReplicaSet of the deployment controls, and below the deployment's ready minimum, with the numbers).

The server is the mitigations' emulator (tests/mitigations/conftest.py): kmock over HTTP that honours dryRun=All.
"""

from __future__ import annotations

import copy
import re
from datetime import UTC, datetime

import kmock
import pytest

from mitigations.actions import ActionError, ActionParamError
from mitigations.actions.restart import (
    RESTARTED_AT,
    delete_refusal,
    ready_minimum,
    restart_annotation,
    rolling_bounds,
)
from tests.mitigations.actions.helpers import (
    API,
    DEPLOYMENT_PATH,
    DEPLOYMENTS,
    NS,
    action,
    changes,
    deployment,
    execute,
    preview,
    put,
    stored,
    target,
)
from tests.mitigations.conftest import running_cluster

PODS = "v1/pods"
RS = "bharatcart-api-6f7c9d8b45"
DEPLOYMENT_UID = "5b0e7c1a-3f43-4c7e-9a51-0d8a4b2f6a11"


def pod(name: str, *, ready: bool = True, owner: dict | str | None = "rs") -> dict:
    meta: dict = {"name": name, "namespace": NS, "uid": f"uid-{name}",
                  "labels": {"app": API, "pod-template-hash": "6f7c9d8b45"}}
    if owner == "rs":
        meta["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": RS, "uid": "rs-uid",
                                    "controller": True}]
    elif owner is not None:
        meta["ownerReferences"] = [owner]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta,
            "spec": {"containers": [{"name": "api", "image": "x"}], "nodeName": "node-1"},
            "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}}


@pytest.fixture
def cluster3():
    """bharatcart-api, 3 replicas, maxUnavailable 25 % (0 pods: rounded down, so the minimum is 3), three pods."""
    with running_cluster() as server:
        put(server, PODS, pod("bharatcart-api-6f7c9d8b45-aaaaa"), pod("bharatcart-api-6f7c9d8b45-bbbbb"),
            pod("bharatcart-api-6f7c9d8b45-ccccc"))
        yield server


def with_strategy(server, replicas: int, max_unavailable, max_surge="25%") -> None:
    dep = copy.deepcopy(deployment())
    dep["spec"]["replicas"] = replicas
    dep["spec"]["strategy"]["rollingUpdate"] = {"maxUnavailable": max_unavailable, "maxSurge": max_surge}
    put(server, DEPLOYMENTS, dep)


# --- pure ------------------------------------------------------------------------------------------------------------

def test_rolling_bounds_round_surge_up_and_unavailable_down():
    assert rolling_bounds("RollingUpdate", "25%", "25%", 3) == (1, 0)  # ceil(0.75), floor(0.75)
    assert rolling_bounds("RollingUpdate", "25%", "25%", 10) == (3, 2)  # ceil(2.5), floor(2.5)
    assert rolling_bounds("RollingUpdate", 0, 0, 4) == (0, 1)  # both zero: one unavailable, as the controller does
    assert rolling_bounds("RollingUpdate", None, None, 8) == (2, 2)  # the defaults, 25 % each
    assert rolling_bounds("RollingUpdate", 2, "50%", 5) == (2, 2)
    assert rolling_bounds("Recreate", None, None, 4) == (0, 4)
    with pytest.raises(ActionError, match="invalid rolling-update value"):
        rolling_bounds("RollingUpdate", "lots", 1, 3)
    with pytest.raises(ActionError, match="invalid rolling-update value 'x%'"):
        rolling_bounds("RollingUpdate", 1, "x%", 3)


def test_ready_minimum_is_replicas_minus_max_unavailable_at_least_one():
    assert ready_minimum(3, 0) == 3
    assert ready_minimum(10, 2) == 8
    assert ready_minimum(4, 4) == 1  # Recreate: still leave one serving
    assert ready_minimum(0, 0) == 0


def test_restart_annotation_is_rfc3339_in_utc():
    assert restart_annotation(datetime(2026, 12, 1, 21, 5, 9, 123456, tzinfo=UTC)) == "2026-12-01T21:05:09Z"


def test_delete_refusal_boundaries():
    owned = {"kind": "ReplicaSet", "name": RS, "controller": True}
    rs_owner = {"kind": "Deployment", "name": API, "uid": DEPLOYMENT_UID, "controller": True}
    common = dict(pod="p", deployment=API, controller=owned, replicaset_owner=rs_owner, deployment_uid=DEPLOYMENT_UID)
    # 4 replicas, maxUnavailable 1: minimum 3. 4 ready → 3 after: allowed; 3 ready → 2: refused.
    assert delete_refusal(**common, pod_ready=True, ready=4, replicas=4, max_unavailable=1) is None
    refused = delete_refusal(**common, pod_ready=True, ready=3, replicas=4, max_unavailable=1)
    assert refused == ("deleting pod p would leave 2 ready pods of deployment bharatcart-api, below its minimum of 3 "
                       "(4 replicas − maxUnavailable 1); 3 ready now. Refused: scale up first, or wait for the others "
                       "to be ready.")
    # a pod that is not ready takes nothing away
    assert delete_refusal(**common, pod_ready=False, ready=3, replicas=4, max_unavailable=1) is None
    assert "bare pod" in delete_refusal(**{**common, "controller": None}, pod_ready=True, ready=9, replicas=4,
                                        max_unavailable=1)
    assert "controlled by StatefulSet db" in delete_refusal(
        **{**common, "controller": {"kind": "StatefulSet", "name": "db"}}, pod_ready=True, ready=9, replicas=4,
        max_unavailable=1)
    assert "does not control" in delete_refusal(
        **{**common, "replicaset_owner": {**rs_owner, "uid": "another"}}, pod_ready=True, ready=9, replicas=4,
        max_unavailable=1)
    assert "does not control" in delete_refusal(**{**common, "replicaset_owner": None}, pod_ready=True, ready=9,
                                                replicas=4, max_unavailable=1)


def test_delete_pod_params():
    spec = action("kubernetes.delete_pod")
    tgt = target("http://unused")
    assert spec.clean_params(tgt, {"pod": "api-7f9c-abcde"}) == {"pod": "api-7f9c-abcde"}
    assert spec.confirm_word(tgt, {"pod": "api-7f9c-abcde"}) == "api-7f9c-abcde"
    for bad in ({}, {"pod": ""}, {"pod": "../x"}, {"pod": "Api"}, {"pod": 3}):
        with pytest.raises(ActionParamError, match="pod must be a pod's name"):
            spec.clean_params(tgt, bad)
    with pytest.raises(ActionParamError, match="unknown parameter replicas"):
        spec.clean_params(tgt, {"pod": "a", "replicas": 3})
    with pytest.raises(ActionParamError, match="takes no parameters"):
        action("kubernetes.rollout_restart").clean_params(tgt, {"pod": "a"})
    assert action("kubernetes.rollout_restart").confirm_word(tgt, {}) == API


# --- over HTTP: rollout restart --------------------------------------------------------------------------------------

def test_restart_preview_is_a_dry_run_strategic_merge_of_the_annotation(cluster3):
    outcome = preview("kubernetes.rollout_restart", target(cluster3.url))
    [patch] = changes(cluster3)
    assert (patch.method, patch.url.path) == (kmock.method.PATCH, DEPLOYMENT_PATH)
    assert patch.params == {"fieldManager": "warroom", "dryRun": "All"}
    assert patch.headers["Content-Type"] == "application/strategic-merge-patch+json"
    stamp = patch.data["spec"]["template"]["metadata"]["annotations"][RESTARTED_AT]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", stamp)
    assert patch.data == {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: stamp}}}}}
    # nothing stored: a dry run
    assert RESTARTED_AT not in stored(cluster3, DEPLOYMENTS, API)["spec"]["template"]["metadata"]["annotations"]
    assert outcome.summary == ("Restart deployment bharatcart-api: replace 3 pods (bharatcart-api-6f7c9d8b45-aaaaa, "
                               "bharatcart-api-6f7c9d8b45-bbbbb, bharatcart-api-6f7c9d8b45-ccccc); at most 0 "
                               "unavailable and 1 extra at a time, at least 3 of 3 serving")
    assert outcome.after["maxSurge"] == 1 and outcome.after["maxUnavailable"] == 0
    assert outcome.changes[0].before is None and outcome.changes[0].after == stamp
    assert not outcome.follow_rollout


def test_restart_execute_sets_the_annotation_and_follows_the_rollout(cluster3):
    outcome = execute("kubernetes.rollout_restart", target(cluster3.url))
    [patch] = changes(cluster3)
    assert patch.params == {"fieldManager": "warroom"}
    annotations = stored(cluster3, DEPLOYMENTS, API)["spec"]["template"]["metadata"]["annotations"]
    assert annotations[RESTARTED_AT] == outcome.after["restartedAt"]
    assert annotations["prometheus.io/scrape"] == "true"  # the others are kept (a merge, not a replace)
    assert outcome.follow_rollout


def test_restart_of_a_paused_deployment_is_refused_and_sends_nothing(cluster3):
    dep = deployment()
    dep["spec"]["paused"] = True
    put(cluster3, DEPLOYMENTS, dep)
    with pytest.raises(ActionError, match=r"can't restart paused deployment .*kubectl rollout resume "
                                          r"deployment/bharatcart-api"):
        preview("kubernetes.rollout_restart", target(cluster3.url))
    assert changes(cluster3) == []


# --- over HTTP: delete pod -------------------------------------------------------------------------------------------

def test_delete_pod_preview_is_a_dry_run_delete_with_the_uid(cluster3):
    with_strategy(cluster3, 3, 1)
    name = "bharatcart-api-6f7c9d8b45-bbbbb"
    outcome = preview("kubernetes.delete_pod", target(cluster3.url), {"pod": name})
    [delete] = changes(cluster3)
    assert (delete.method, delete.url.path) == (kmock.method.DELETE, f"/api/v1/namespaces/{NS}/pods/{name}")
    assert delete.params == {"dryRun": "All"}
    assert delete.data["preconditions"] == {"uid": f"uid-{name}"}
    assert stored(cluster3, PODS, name) is not None  # a dry run deletes nothing
    assert outcome.summary == (f"Delete pod {name} of deployment bharatcart-api; ReplicaSet {RS} replaces it "
                               "(2 of 3 ready meanwhile, minimum 2)")


def test_delete_pod_execute_deletes_it(cluster3):
    with_strategy(cluster3, 3, 1)
    name = "bharatcart-api-6f7c9d8b45-aaaaa"
    outcome = execute("kubernetes.delete_pod", target(cluster3.url), {"pod": name})
    assert changes(cluster3)[0].params == {}
    assert stored(cluster3, PODS, name) is None
    assert outcome.follow_rollout


def test_delete_pod_below_the_ready_minimum_is_refused_with_the_numbers(cluster3):
    # 3 replicas, maxUnavailable 25 % = 0 pods: every ready pod is needed
    name = "bharatcart-api-6f7c9d8b45-aaaaa"
    with pytest.raises(ActionError) as caught:
        preview("kubernetes.delete_pod", target(cluster3.url), {"pod": name})
    assert str(caught.value).startswith(f"deleting pod {name} would leave 2 ready pods of deployment bharatcart-api, "
                                        "below its minimum of 3 (3 replicas − maxUnavailable 0); 3 ready now.")
    assert changes(cluster3) == []


def test_delete_pod_one_above_the_minimum_is_allowed_and_one_below_is_not(cluster3):
    with_strategy(cluster3, 3, 1)  # minimum 2
    put(cluster3, PODS, pod("bharatcart-api-6f7c9d8b45-ccccc", ready=False))  # 2 ready
    with pytest.raises(ActionError, match="would leave 1 ready pod of deployment bharatcart-api, below its minimum "
                                          "of 2"):
        preview("kubernetes.delete_pod", target(cluster3.url), {"pod": "bharatcart-api-6f7c9d8b45-aaaaa"})
    # the one that is not ready can go: it takes nothing away
    outcome = preview("kubernetes.delete_pod", target(cluster3.url), {"pod": "bharatcart-api-6f7c9d8b45-ccccc"})
    assert "2 of 3 ready meanwhile" in outcome.summary


def test_delete_of_a_bare_pod_is_refused(cluster3):
    with_strategy(cluster3, 3, 3)
    put(cluster3, PODS, pod("bharatcart-api-debug", owner=None))
    with pytest.raises(ActionError, match="pod bharatcart-api-debug has no controller \\(a bare pod\\): nothing "
                                          "would replace it"):
        preview("kubernetes.delete_pod", target(cluster3.url), {"pod": "bharatcart-api-debug"})
    assert changes(cluster3) == []


def test_delete_of_a_pod_whose_replicaset_has_no_owner_is_refused(cluster3):
    with_strategy(cluster3, 3, 3)
    put(cluster3, PODS, pod("bharatcart-api-orphan-x1", owner={
        "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "bharatcart-api-orphan", "uid": "o",
        "controller": True}))
    with pytest.raises(ActionError, match="ReplicaSet bharatcart-api-orphan, which deployment bharatcart-api does "
                                          "not control"):
        preview("kubernetes.delete_pod", target(cluster3.url), {"pod": "bharatcart-api-orphan-x1"})
    assert changes(cluster3) == []


def test_delete_of_an_unknown_pod_says_so(cluster3):
    with pytest.raises(ActionError, match="pod nope not found in namespace default"):
        preview("kubernetes.delete_pod", target(cluster3.url), {"pod": "nope"})
