"""Fixtures and helpers for the Kubernetes action tests: JSON objects as the API sends them, unsaved targets, and
an emulated API server that applies server-side apply as a real one does."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import kmock

from mitigations.actions import REGISTRY
from targets.models import Target
from tests.kube_server import KubeServer

FIXTURES = Path(__file__).parent.parent / "fixtures"
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
