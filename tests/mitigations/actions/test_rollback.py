"""Rolling back (kubectl rollout undo): revision choice, template and annotation rules on JSON fixtures, and the
wire contract against an emulated API server.

The server is kmock's emulator in a thread (tests/kube_server.py); the kubernetes client is never patched.
"""

from __future__ import annotations

import copy
import json

import kmock
import pytest

from mitigations.actions import ActionError, ActionParamError, Change, rollback
from targets.kubernetes import kubectl
from tests.mitigations.actions.helpers import (
    API,
    DEPLOYMENT_PATH,
    DEPLOYMENTS,
    NS,
    REV9,
    REV10,
    WANTED_ANNOTATIONS,
    action,
    changes,
    deployment,
    execute,
    preview,
    replicasets,
    rs_named,
    stored,
    target,
)

# --- rollout undo: revision choice, pure ---------------------------------------------------------------------------

def test_previous_revision_is_the_second_newest_of_the_deployments_own():
    chosen = rollback.choose_revision(deployment(), replicasets(), None)
    assert chosen["metadata"]["name"] == REV9


def test_revision_10_is_newer_than_9_not_a_string_comparison():
    assert [rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"]
            for rs in kubectl.owned_replicasets(deployment(), replicasets())] == ["10", "9", "8", "2"]


def test_a_chosen_revision():
    assert rollback.choose_revision(deployment(), replicasets(), 8)["metadata"]["name"] == "bharatcart-api-7c8d9e0f12"
    assert rollback.choose_revision(deployment(), replicasets(), 10)["metadata"]["name"] == REV10


@pytest.mark.parametrize(("revision", "why"), [
    (7, "no such revision"),
    (12, "the orphan with the same labels has no controller reference"),
    (99, "another deployment's ReplicaSet"),
    (11, "an owner reference that is not the controller"),
])
def test_unknown_revisions_are_refused_with_kubectls_message(revision, why):
    with pytest.raises(ActionError) as caught:
        rollback.choose_revision(deployment(), replicasets(), revision)
    assert str(caught.value) == f"unable to find specified revision {revision} in history"


def test_another_deployments_replicasets_are_ignored():
    names = [rs["metadata"]["name"] for rs in kubectl.owned_replicasets(deployment(), replicasets())]
    assert not [n for n in names if "web" in n or "orphan" in n or "adopted" in n or "norev" in n]
    # Even holding the highest revisions, they never make "previous".
    web_only = [rs for rs in replicasets() if rs["metadata"]["name"] in (REV10, "bharatcart-web-9f8e7d6c5b",
                                                                         "bharatcart-api-orphan")]
    with pytest.raises(ActionError, match=r'^no rollout history found for deployment "bharatcart-api"$'):
        rollback.choose_revision(deployment(), web_only, None)


# --- rollout undo: template and annotation rules, pure -----------------------------------------------------------

def test_the_pod_template_hash_label_is_removed_and_nothing_else():
    original = rs_named(REV9)["spec"]["template"]
    template = rollback.without_hash(original)
    assert template["metadata"]["labels"] == {"app": "bharatcart-api", "tier": "api"}
    assert template["metadata"]["annotations"] == {"prometheus.io/scrape": "true"}
    assert template["spec"] == original["spec"]
    assert original["metadata"]["labels"]["pod-template-hash"] == "5d4b8c7a21"  # the input is left alone
    assert "labels" not in rollback.without_hash({"metadata": {"labels": {"pod-template-hash": "x"}}})["metadata"]


def test_annotations_as_kubectl_computes_them():
    annotations = rollback.rollback_annotations(deployment(), rs_named(REV9))
    assert annotations == WANTED_ANNOTATIONS
    # Skip-listed ones on the ReplicaSet (revision, revision-history, desired/max replicas, last-applied,
    # rollback.to) never reach the deployment; the deployment's own "team" is dropped, as kubectl does.
    assert "deployment.kubernetes.io/revision-history" not in annotations
    assert "deprecated.deployment.rollback.to" not in annotations
    assert "team" not in annotations
    skipped = {"kubectl.kubernetes.io/last-applied-configuration", "deployment.kubernetes.io/revision",
               "deployment.kubernetes.io/revision-history", "deployment.kubernetes.io/desired-replicas",
               "deployment.kubernetes.io/max-replicas", "deprecated.deployment.rollback.to"}
    assert skipped == rollback.ANNOTATIONS_TO_SKIP


def test_the_patch_replaces_the_template_and_the_annotations():
    plan = rollback.plan_rollback(deployment(), replicasets(), None)
    assert (plan.name, plan.current, plan.revision, plan.noop) == (API, 10, 9, False)
    template = rollback.without_hash(rs_named(REV9)["spec"]["template"])
    assert plan.patch == [{"op": "replace", "path": "/spec/template", "value": template},
                          {"op": "replace", "path": "/metadata/annotations", "value": WANTED_ANNOTATIONS}]


def test_already_at_that_revision_is_a_noop():
    plan = rollback.plan_rollback(deployment(), replicasets(), 10)
    assert plan.noop and plan.patch == [] and plan.revision == 10


def test_equal_ignoring_hash_compares_as_the_api_server_does():
    current = deployment()["spec"]["template"]
    rs_template = rs_named(REV10)["spec"]["template"]
    assert rollback.equal_ignoring_hash(rs_template, current)  # only the hash label differs
    same = copy.deepcopy(current)
    same["spec"]["containers"][0]["resources"]["requests"]["cpu"] = "0.25"  # 250m, written otherwise
    same["spec"]["containers"][1]["env"] = []  # empty is absent
    same["spec"]["nodeSelector"] = None
    assert rollback.equal_ignoring_hash(same, current)
    other = copy.deepcopy(current)
    other["spec"]["containers"][0]["image"] = "registry.example.com/bharatcart/api:1.9.0"
    assert not rollback.equal_ignoring_hash(other, current)
    labelled = copy.deepcopy(current)
    labelled["metadata"]["labels"]["canary"] = "true"
    assert not rollback.equal_ignoring_hash(labelled, current)


def test_a_paused_deployment_is_refused_with_kubectls_message():
    paused = deployment()
    paused["spec"]["paused"] = True
    with pytest.raises(ActionError) as caught:
        rollback.plan_rollback(paused, replicasets(), None)
    assert str(caught.value) == ("you cannot rollback a paused deployment; resume it first with "
                                 "'kubectl rollout resume deployment/bharatcart-api' and try again")
    with pytest.raises(ActionError, match="paused"):  # even when it would be a no-op, as in rollback.go
        rollback.plan_rollback(paused, replicasets(), 10)
    with pytest.raises(ActionError, match="unable to find specified revision 7"):  # the revision is looked up first
        rollback.plan_rollback(paused, replicasets(), 7)


def test_image_changes_per_container():
    before = rollback.container_images(deployment()["spec"]["template"])
    after = rollback.container_images(rs_named(REV9)["spec"]["template"])
    assert rollback.image_changes(before, after) == [
        Change("image api", "registry.example.com/bharatcart/api:1.10.0", "registry.example.com/bharatcart/api:1.9.0"),
        Change("image proxy", "envoyproxy/envoy:v1.31.2", "envoyproxy/envoy:v1.31.2")]
    assert rollback.image_changes({"api": "a:1"}, {"api": "a:0", "sidecar": "s:1"})[1] == Change("image sidecar", None,
                                                                                            "s:1")


def test_undo_params():
    undo = action("kubernetes.rollout_undo")
    tgt = target("http://unused")
    assert undo.clean_params(tgt, None) == {"to_revision": None}
    assert undo.clean_params(tgt, {"to_revision": 9}) == {"to_revision": 9}
    for bad in ({"to_revision": 0}, {"to_revision": -1}, {"to_revision": "9"}, {"to_revision": True},
                {"to_revision": 9.0}, {"revision": 9}):
        with pytest.raises(ActionParamError):
            undo.clean_params(tgt, bad)


# --- over HTTP: rollout undo -----------------------------------------------------------------------------------------

def test_undo_preview_sends_kubectls_patch_as_a_dry_run(cluster):
    outcome = preview("kubernetes.rollout_undo", target(cluster.url))
    reads = [r for r in cluster.requests() if r.method == kmock.method.GET]
    assert [r.url.path for r in reads] == [DEPLOYMENT_PATH, f"/apis/apps/v1/namespaces/{NS}/replicasets"]
    assert reads[1].params == {"labelSelector": "app=bharatcart-api"}
    [patch] = changes(cluster)
    assert patch.method == kmock.method.PATCH and patch.url.path == DEPLOYMENT_PATH
    assert patch.params == {"fieldManager": "warroom", "dryRun": "All"}
    assert patch.headers["Content-Type"] == "application/json-patch+json"
    assert patch.data == rollback.plan_rollback(deployment(), replicasets(), None).patch
    assert outcome.summary == "Roll back bharatcart-api from revision 10 to 9"
    assert outcome.changes[0] == Change("revision", 10, 9)
    assert outcome.changes[1] == Change("image api", "registry.example.com/bharatcart/api:1.10.0",
                                        "registry.example.com/bharatcart/api:1.9.0")
    assert outcome.objects == ["Deployment default/bharatcart-api"]
    assert outcome.before["revision"] == 10 and outcome.after["revision"] == 9
    assert not outcome.noop and not outcome.follow_rollout
    json.dumps(outcome.as_dict())  # kept in a JSONField


def test_undo_execute_restores_the_older_template(cluster):
    outcome = execute("kubernetes.rollout_undo", target(cluster.url))
    [patch] = changes(cluster)
    assert patch.params == {"fieldManager": "warroom"}  # no dryRun
    assert patch.headers["Content-Type"] == "application/json-patch+json"
    now = stored(cluster, DEPLOYMENTS, API)
    assert now["spec"]["template"] == rollback.without_hash(rs_named(REV9)["spec"]["template"])
    assert "pod-template-hash" not in now["spec"]["template"]["metadata"]["labels"]
    assert now["metadata"]["annotations"] == WANTED_ANNOTATIONS
    assert now["spec"]["replicas"] == 3  # the rest of the deployment is untouched
    assert outcome.follow_rollout
    assert outcome.after["images"]["api"] == "registry.example.com/bharatcart/api:1.9.0"


def test_undo_to_a_chosen_revision(cluster):
    outcome = execute("kubernetes.rollout_undo", target(cluster.url), {"to_revision": 2})
    assert outcome.summary == "Roll back bharatcart-api from revision 10 to 2"
    images = [c["image"] for c in stored(cluster, DEPLOYMENTS, API)["spec"]["template"]["spec"]["containers"]]
    assert images == ["registry.example.com/bharatcart/api:1.2.0", "envoyproxy/envoy:v1.31.2"]


def test_undo_to_the_current_revision_sends_nothing(cluster):
    for run in (preview, execute):
        outcome = run("kubernetes.rollout_undo", target(cluster.url), {"to_revision": 10})
        assert outcome.noop and not outcome.follow_rollout and outcome.changes == []
        assert "already matches revision 10" in outcome.summary
    assert changes(cluster) == []


def test_undo_of_a_paused_deployment_sends_nothing(api_server):
    paused = deployment()
    paused["spec"]["paused"] = True
    api_server.add(paused, *replicasets())
    with pytest.raises(ActionError, match="you cannot rollback a paused deployment"):
        execute("kubernetes.rollout_undo", target(api_server.url))
    assert changes(api_server) == []


def test_undo_to_an_unknown_revision(cluster):
    with pytest.raises(ActionError, match=r"^unable to find specified revision 99 in history$"):
        preview("kubernetes.rollout_undo", target(cluster.url), {"to_revision": 99})
    assert changes(cluster) == []


def test_undo_of_a_missing_deployment(api_server):
    api_server.declare(DEPLOYMENTS)
    with pytest.raises(ActionError) as caught:
        preview("kubernetes.rollout_undo", target(api_server.url))
    assert str(caught.value) == "deployment bharatcart-api not found in namespace default"


def test_undo_refused_by_the_server_quotes_it(cluster):
    cluster.react(f"patch {DEPLOYMENT_PATH}", 403, {
        "kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "Forbidden", "code": 403,
        "message": 'deployments.apps "bharatcart-api" is forbidden: User "warroom" cannot patch resource'})
    with pytest.raises(ActionError) as caught:
        execute("kubernetes.rollout_undo", target(cluster.url))
    assert str(caught.value) == (
        f"Kubernetes API at {cluster.url} does not allow rolling back deployment bharatcart-api in namespace "
        'default (403 Forbidden): deployments.apps "bharatcart-api" is forbidden: User "warroom" cannot patch '
        "resource")


def test_the_bearer_token_goes_with_every_request(cluster, monkeypatch):
    monkeypatch.setenv("WARROOM_TARGET_TEST_KUBE_TOKEN", "s3cr3t-t0ken")
    preview("kubernetes.rollout_undo", target(cluster.url, secret_env="WARROOM_TARGET_TEST_KUBE_TOKEN"))
    assert {r.headers.get("Authorization") for r in cluster.requests()} == {"Bearer s3cr3t-t0ken"}
