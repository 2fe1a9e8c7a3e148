"""Kubernetes mitigations: kubectl's algorithms on JSON fixtures, and the wire contract against a real HTTP API server.

The server is kmock's emulator in a thread (tests/diagnostics/kube_server.py); the kubernetes client is never
patched. kmock applies dry-run requests for real, so previews are checked on the requests sent, executions also on
the state left behind. No test here needs the database: the targets are unsaved.
"""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path
from typing import Any

import kmock
import pytest
from kubernetes.client import V1Deployment

from mitigations.actions import REGISTRY, ActionError, ActionParamError, Change, Progress, manifests, rollback, rollout
from mitigations.models import ScaleLimits
from targets.kubernetes import kubectl
from targets.models import Target
from tests.diagnostics.kube_server import KubeServer, black_hole, free_port

FIXTURES = Path(__file__).parent / "fixtures"
NS = "default"
API = "bharatcart-api"
DEPLOYMENT_PATH = f"/apis/apps/v1/namespaces/{NS}/deployments/{API}"
SCALE_PATH = f"{DEPLOYMENT_PATH}/scale"
DEPLOYMENTS = "apps/v1/deployments"
MAINTENANCE_RESOURCES = {"ConfigMap": "v1/configmaps", "Service": "v1/services",
                         "Ingress": "networking.k8s.io/v1/ingresses", "Deployment": DEPLOYMENTS}
WANTED_ANNOTATIONS = {  # the deployment's skip-listed ones, then the ReplicaSet's others
    "deployment.kubernetes.io/revision": "10",
    "kubectl.kubernetes.io/last-applied-configuration": '{"kind":"Deployment","note":"from the deployment"}',
    "kubernetes.io/change-cause": "deploy api 1.9.0",
    "release": "2025.03.09",
}


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def manifest() -> str:
    return (FIXTURES / "maintenance-mode.yaml").read_text()


def deployment() -> dict:
    return fixture("deployment.json")


def replicasets() -> list[dict]:
    return fixture("replicasets.json")["items"]


def rs_named(name: str) -> dict:
    return next(rs for rs in replicasets() if rs["metadata"]["name"] == name)


REV9 = "bharatcart-api-5d4b8c7a21"
REV10 = "bharatcart-api-6f7c9d8b45"


def target(url: str, **fields) -> Target:
    fields.setdefault("timeout_seconds", 2)
    return Target(name="shop-api", kind="kubernetes", url=url, namespace=NS, deployment=API, **fields)


def action(name: str):
    return REGISTRY[name]


def preview(name: str, tgt: Target, params: dict | None = None, **kwargs):
    spec = action(name)
    return spec.preview(tgt, spec.clean_params(tgt, params), **kwargs)


def execute(name: str, tgt: Target, params: dict | None = None, **kwargs):
    spec = action(name)
    return spec.execute(tgt, spec.clean_params(tgt, params), **kwargs)


def changes(server: KubeServer) -> list[kmock.Request]:
    """The requests that could change something (everything but reads)."""
    return [r for r in server.requests() if r.method != kmock.method.GET]


def stored(server: KubeServer, resource: str, name: str, namespace: str | None = NS) -> dict | None:
    """An object as the emulator now holds it, or None when it is absent or deleted."""

    def read(emulator: kmock.KubernetesEmulator) -> dict | None:
        try:
            obj = emulator.objects[resource, namespace, name]
        except KeyError:
            return None
        return None if obj.deleted else copy.deepcopy(dict(obj.raw))

    return server.call(read)


def put(server: KubeServer, resource: str, *objects: dict) -> None:
    """Store objects of any resource (the harness's add() knows only the diagnostics' kinds)."""

    def store(emulator: kmock.KubernetesEmulator) -> None:
        for obj in objects:
            emulator.objects[resource, obj["metadata"].get("namespace"), obj["metadata"]["name"]] = obj

    server.call(store)


class ApplyingEmulator(kmock.KubernetesEmulator):
    """kmock answers 404 to a PATCH of a missing object; a real server's server-side apply creates it."""

    async def _handle(self, request: kmock.Request):
        content_type = request.headers.get("Content-Type", "")
        if request.method == kmock.method.PATCH and content_type.startswith("application/apply-patch") \
                and request.name and not request.subresource:
            key = (request.resource, request.namespace, request.name)
            async with self._lock:
                if key not in self.objects:
                    self.objects[key] = request.data
                elif self.objects[key].deleted:
                    self.objects[key].create(request.data)
        return await super()._handle(request)


class ApplyingServer(KubeServer):
    async def _start(self):
        emulator = ApplyingEmulator()
        await emulator.__aenter__()
        server = kmock.Server(emulator)
        await server.__aenter__()
        return emulator, server


@pytest.fixture
def api_server():
    with ApplyingServer() as server:
        yield server


@pytest.fixture
def cluster(api_server: KubeServer) -> KubeServer:
    """The api deployment at revision 10 with its ReplicaSets, another deployment's, an orphan; /scale served."""
    api_server.add(deployment(), *replicasets())
    serve_scale(api_server)
    return api_server


def scale_of(server: KubeServer) -> dict:
    """The Scale the API server derives from the stored deployment (read in the emulator's own thread)."""
    obj = server.emulator.objects[DEPLOYMENTS, NS, API].raw
    return {"apiVersion": "autoscaling/v1", "kind": "Scale",
            "metadata": {"name": API, "namespace": NS},
            "spec": {"replicas": obj["spec"]["replicas"]},
            "status": {"replicas": obj.get("status", {}).get("replicas", 0), "selector": "app=bharatcart-api"}}


def serve_scale(server: KubeServer, patch_reply=None) -> None:
    """/scale needs a reaction (FIELD-NOTES). The emulator merges a PATCH to /scale into the stored deployment
    itself (it ignores the subresource), so the reactions only answer the Scale view of it."""
    server.react(f"get {SCALE_PATH}", lambda request: scale_of(server))
    server.react(f"patch {SCALE_PATH}", patch_reply or (lambda request: scale_of(server)))


def conflict() -> kmock.KubernetesError:
    return kmock.KubernetesError(status=409, reason="Conflict", message=(
        'Operation cannot be fulfilled on deployments.apps "bharatcart-api": the object has been modified; '
        "please apply your changes to the latest version and try again"))


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


# --- maintenance manifest parsing, pure ----------------------------------------------------------------------------

def test_the_manifest_parses_into_objects_in_the_targets_namespace():
    objects = manifests.parse_manifest(manifest(), "shop")
    assert [o.label for o in objects] == ["ConfigMap shop/maintenance-page", "Deployment shop/maintenance-page",
                                          "Service shop/maintenance-page", "Ingress default/shop-maintenance"]
    assert [o.path for o in objects] == [
        "/api/v1/namespaces/shop/configmaps/maintenance-page",
        "/apis/apps/v1/namespaces/shop/deployments/maintenance-page",
        "/api/v1/namespaces/shop/services/maintenance-page",
        "/apis/networking.k8s.io/v1/namespaces/default/ingresses/shop-maintenance"]
    assert objects[0].body["metadata"] == {"name": "maintenance-page", "namespace": "shop"}
    assert objects[0].body["data"]["index.html"].startswith("<h1>BharatCart is down")


@pytest.mark.parametrize(("text", "message"), [
    ("", "The maintenance manifest is empty"),
    (None, "The maintenance manifest is empty"),
    ("---\n---\n", "The maintenance manifest holds no objects"),
    ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x\n", "The maintenance manifest is not valid YAML (line 4)"),
    ("- just\n- a list\n", "Manifest document 1 is not a Kubernetes object"),
    ("apiVersion: v1\nkind: Secret\nmetadata: {name: x}\n",
     "Manifest document 1: kind Secret is not supported; supported kinds: ConfigMap, Deployment, Ingress, Service"),
    ("apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: x}\n",
     "Manifest document 1: Ingress must be apiVersion networking.k8s.io/v1, not extensions/v1beta1"),
    ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n---\napiVersion: v1\nkind: Service\nmetadata: {}\n",
     "Manifest document 2 (Service) has no metadata.name"),
    ("apiVersion: v1\nkind: ConfigMap\ndata: {}\n", "Manifest document 1 (ConfigMap) has no metadata.name"),
    ("kind: ConfigMap\nmetadata: {name: x}\n", "Manifest document 1 has no apiVersion"),
    ("apiVersion: v1\nmetadata: {name: x}\n", "Manifest document 1 has no kind"),
    ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ../../secrets/x}\n",
     "Manifest document 1: ConfigMap name '../../secrets/x' is not a valid Kubernetes name"),
    ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: Kube_System}\n",
     "Manifest document 1: namespace 'Kube_System' is not a valid namespace name"),
    ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n---\n"
     "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
     "Manifest document 2: ConfigMap default/x appears twice"),
])
def test_manifest_errors_say_what_is_wrong(text, message):
    with pytest.raises(ActionParamError) as caught:
        manifests.parse_manifest(text, NS)
    assert str(caught.value).startswith(message)


def test_the_way_back_never_deletes_the_targets_own_deployment():
    own = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: bharatcart-api}\nspec: {replicas: 0}\n"
    with pytest.raises(ActionParamError, match="names the target's own deployment default/bharatcart-api"):
        manifests.refuse_to_delete(manifests.parse_manifest(own, NS), NS, API)
    manifests.refuse_to_delete(manifests.parse_manifest(own, "other"), NS, API)  # another namespace's: fine


def test_other_managers_ignore_warroom_and_status_writers():
    obj = {"metadata": {"managedFields": [
        {"manager": "warroom", "operation": "Apply"},
        {"manager": "kube-controller-manager", "operation": "Update", "subresource": "status"},
    ]}}
    assert manifests.other_managers(obj) == []
    obj["metadata"]["managedFields"].append({"manager": "helm", "operation": "Update"})
    assert manifests.other_managers(obj) == ["helm"]
    assert manifests.other_managers({}) == []


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


# --- over HTTP: maintenance mode -----------------------------------------------------------------------------------

def _existing_configmap() -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "maintenance-page", "namespace": NS}, "data": {"index.html": "old"}}


def test_maintenance_on_preview_applies_server_side_as_a_dry_run(api_server):
    put(api_server, "v1/configmaps", _existing_configmap())
    outcome = preview("kubernetes.maintenance_on", target(api_server.url), manifest=manifest())
    objects = manifests.parse_manifest(manifest(), NS)
    reads = [r for r in api_server.requests() if r.method == kmock.method.GET]
    assert [r.url.path for r in reads] == [o.path for o in objects]  # all looked at before any change
    applies = changes(api_server)
    assert [(r.method, r.url.path) for r in applies] == [(kmock.method.PATCH, o.path) for o in objects]
    for request, obj in zip(applies, objects, strict=True):
        assert request.params == {"fieldManager": "warroom", "dryRun": "All", "force": "true"}
        assert request.headers["Content-Type"] == "application/apply-patch+yaml"
        assert request.data == obj.body
    assert outcome.changes == [
        Change("ConfigMap default/maintenance-page", "present", "update"),
        Change("Deployment default/maintenance-page", "absent", "create"),
        Change("Service default/maintenance-page", "absent", "create"),
        Change("Ingress default/shop-maintenance", "absent", "create")]
    assert outcome.objects == [o.label for o in objects]
    assert outcome.summary == "Turn maintenance mode on: apply 4 objects (3 new, 1 updated)"


def test_maintenance_on_execute_creates_and_updates(api_server):
    put(api_server, "v1/configmaps", _existing_configmap())
    execute("kubernetes.maintenance_on", target(api_server.url), manifest=manifest())
    assert all("dryRun" not in r.params and r.params["fieldManager"] == "warroom" for r in changes(api_server))
    for obj in manifests.parse_manifest(manifest(), NS):
        now = stored(api_server, MAINTENANCE_RESOURCES[obj.kind], obj.name)
        assert now is not None and now["metadata"]["namespace"] == NS
    assert stored(api_server, "v1/configmaps", "maintenance-page")["data"]["index.html"].startswith("<h1>")
    ingress = stored(api_server, MAINTENANCE_RESOURCES["Ingress"], "shop-maintenance")
    assert ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"] == "maintenance-page"


def test_maintenance_on_stops_at_a_failure_and_says_what_was_applied(api_server):
    api_server.react("patch /api/v1/namespaces/default/services/maintenance-page", 422, {
        "kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 422, "reason": "Invalid",
        "message": 'Service "maintenance-page" is invalid: spec.ports[0].port: Invalid value'})
    with pytest.raises(ActionError) as caught:
        execute("kubernetes.maintenance_on", target(api_server.url), manifest=manifest())
    assert "while applying Service default/maintenance-page" in str(caught.value)
    assert str(caught.value).endswith("(while on Service default/maintenance-page; already applied: ConfigMap "
                                      "default/maintenance-page, Deployment default/maintenance-page)")
    assert len(changes(api_server)) == 3  # nothing after the failure


def test_maintenance_without_a_usable_manifest(api_server):
    for text in (None, "apiVersion: v1\nkind: Secret\nmetadata: {name: x}\n"):
        for name in ("kubernetes.maintenance_on", "kubernetes.maintenance_off"):
            with pytest.raises(ActionParamError):
                preview(name, target(api_server.url), manifest=text)
    assert api_server.requests() == []
    with pytest.raises(ActionParamError, match="takes no parameters"):
        action("kubernetes.maintenance_on").clean_params(target(api_server.url), {"force": True})


def _maintenance_objects() -> list[tuple[str, dict]]:
    return [(MAINTENANCE_RESOURCES[o.kind], o.body) for o in manifests.parse_manifest(manifest(), NS)]


def test_maintenance_off_preview_deletes_as_a_dry_run(api_server):
    for resource, body in _maintenance_objects()[:3]:  # the Ingress is already gone
        put(api_server, resource, body)
    outcome = preview("kubernetes.maintenance_off", target(api_server.url), manifest=manifest())
    deletes = changes(api_server)
    assert [(r.method, r.url.path) for r in deletes] == [
        (kmock.method.DELETE, o.path) for o in manifests.parse_manifest(manifest(), NS)[:3]]
    assert all(r.params == {"propagationPolicy": "Background", "dryRun": "All"} for r in deletes)
    assert outcome.changes[-1] == Change("Ingress default/shop-maintenance", "absent", "absent")
    assert outcome.changes[0] == Change("ConfigMap default/maintenance-page", "present", "delete")
    assert outcome.summary == "Turn maintenance mode off: delete 3 of 4 objects (the others are already absent)"


def test_maintenance_off_execute_deletes_the_objects(api_server):
    for resource, body in _maintenance_objects():
        put(api_server, resource, body)
    outcome = execute("kubernetes.maintenance_off", target(api_server.url), manifest=manifest())
    assert all(r.params == {"propagationPolicy": "Background"} for r in changes(api_server))
    for obj in manifests.parse_manifest(manifest(), NS):
        assert stored(api_server, MAINTENANCE_RESOURCES[obj.kind], obj.name) is None
    assert not outcome.noop and outcome.after == {label: "deleted" for label in outcome.objects}


def test_maintenance_off_when_already_off_is_a_noop(api_server):
    outcome = execute("kubernetes.maintenance_off", target(api_server.url), manifest=manifest())
    assert outcome.noop and changes(api_server) == []
    assert {c.before for c in outcome.changes} == {"absent"}


def test_maintenance_on_then_off_round_trip(api_server):
    tgt = target(api_server.url)
    execute("kubernetes.maintenance_on", tgt, manifest=manifest())
    execute("kubernetes.maintenance_off", tgt, manifest=manifest())
    assert all(stored(api_server, MAINTENANCE_RESOURCES[o.kind], o.name) is None
               for o in manifests.parse_manifest(manifest(), NS))


def test_maintenance_off_keeps_objects_someone_else_manages(api_server):
    for resource, body in _maintenance_objects():
        put(api_server, resource, body)
    shared = copy.deepcopy(_maintenance_objects()[3][1])
    shared["metadata"]["managedFields"] = [{"manager": "helm", "operation": "Update"},
                                           {"manager": "warroom", "operation": "Apply"}]
    put(api_server, MAINTENANCE_RESOURCES["Ingress"], shared)
    with pytest.raises(ActionError, match="Ingress default/shop-maintenance is also managed by helm"):
        execute("kubernetes.maintenance_off", target(api_server.url), manifest=manifest())
    assert changes(api_server) == []  # refused before deleting anything


def test_maintenance_off_refuses_a_manifest_naming_the_targets_deployment(api_server):
    own = manifest() + "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: bharatcart-api}\n"
    with pytest.raises(ActionParamError, match="own deployment"):
        preview("kubernetes.maintenance_off", target(api_server.url), manifest=own)
    assert api_server.requests() == []


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


def test_actions_are_registered_with_their_runbook_lines():
    assert {name: (a.destructive, a.changes_cluster) for name, a in REGISTRY.items()
            if name.startswith("kubernetes.")} == {
        "kubernetes.rollout_undo": (True, True), "kubernetes.scale": (False, True),
        "kubernetes.maintenance_on": (True, True), "kubernetes.maintenance_off": (True, True),
        "kubernetes.rollout_status": (False, False)}
    assert action("kubernetes.maintenance_on").runbook == "kubectl apply -f k8s/maintenance-mode.yaml"


# --- down API servers --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "params", "kwargs"), [
    ("kubernetes.rollout_undo", None, {}),
    ("kubernetes.scale", {"replicas": 4}, {}),
    ("kubernetes.maintenance_on", None, {"manifest": manifest()}),
    ("kubernetes.maintenance_off", None, {"manifest": manifest()}),
    ("kubernetes.rollout_status", None, {}),
])
def test_a_silent_api_server_gives_an_action_error_within_the_timeout(name, params, kwargs):
    with black_hole() as url:
        started = time.monotonic()
        with pytest.raises(ActionError) as caught:
            preview(name, target(url, timeout_seconds=1), params, **kwargs)
        elapsed = time.monotonic() - started
    assert elapsed < 1 + 1
    assert str(caught.value).startswith(f"Kubernetes API at {url} did not answer within 1 s while ")


def test_follow_against_a_silent_api_server(api_server):
    with black_hole() as url:
        started = time.monotonic()
        with pytest.raises(ActionError, match="did not answer within 1 s while reading deployment bharatcart-api"):
            rollout.follow(target(url, timeout_seconds=1), deadline_seconds=30, on_progress=lambda p: None)
        assert time.monotonic() - started < 2


def test_a_refused_connection_fails_fast():
    url = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    with pytest.raises(ActionError) as caught:
        execute("kubernetes.scale", target(url), {"replicas": 4})
    assert time.monotonic() - started < 2
    assert str(caught.value) == f"Kubernetes API at {url} refused the connection (is the server up and the port right?)"
