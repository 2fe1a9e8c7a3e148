"""Maintenance mode: the manifest's parsing and rules, and server-side apply / delete over HTTP.

The server is kmock's emulator in a thread (tests/kube_server.py); the kubernetes client is never patched.
"""

from __future__ import annotations

import copy

import kmock
import pytest

from mitigations.actions import ActionError, ActionParamError, Change, manifests
from tests.mitigations.actions.helpers import (
    API,
    MAINTENANCE_RESOURCES,
    NS,
    action,
    changes,
    execute,
    manifest,
    preview,
    put,
    stored,
    target,
)

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
