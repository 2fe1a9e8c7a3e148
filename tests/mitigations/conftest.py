"""A Kubernetes API server for mitigations: kmock over real HTTP, plus what a real cluster does that kmock doesn't.

kmock applies dry-run writes for real and has no controllers. This emulator honours dryRun=All (the answer
shows the would-be object, the stored one is put back), creates objects on server-side apply, and converges a
deployment's status at once after a real write, as a healthy deployment controller would in the end.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import kmock
import pytest

from mitigations.models import ScaleLimits
from targets.models import Target
from tests.kube_server import KubeServer, free_port

FIXTURES = Path(__file__).parent / "fixtures"
NS, API = "default", "bharatcart-api"
DEPLOYMENTS = "apps/v1/deployments"
SCALE_PATH = f"/apis/apps/v1/namespaces/{NS}/deployments/{API}/scale"


def fixture(name: str):
    return json.loads((FIXTURES / name).read_text())


def _snapshot(objects, key) -> dict | None:
    try:
        obj = objects[key]
    except KeyError:
        return None
    return None if obj.deleted else copy.deepcopy(dict(obj.raw))


class ClusterEmulator(kmock.KubernetesEmulator):
    # Called (in a thread, with the request) while a dry run is on the wire, before it is answered: lets a test
    # look at, or change, the database while a service waits for the API server.
    on_dry_run: Callable[[kmock.Request], None] | None = None

    async def _handle(self, request: kmock.Request):
        key = (request.resource, request.namespace, request.name)
        write = request.method != kmock.method.GET and request.name
        dry = write and request.params.get("dryRun") == "All"
        if dry and self.on_dry_run:
            await asyncio.to_thread(self.on_dry_run, request)
        async with self._lock:
            before = _snapshot(self.objects, key) if write else None
            if (request.method == kmock.method.PATCH and request.name and not request.subresource
                    and request.headers.get("Content-Type", "").startswith("application/apply-patch")
                    and before is None):
                self.objects[key] = request.data  # server-side apply creates what is missing
        response = await super()._handle(request)
        if not write:
            return response
        async with self._lock:
            if dry:
                if before is None:
                    del self.objects[key]
                else:
                    self.objects[key] = before
            elif request.resource == DEPLOYMENTS and (after := _snapshot(self.objects, key)):
                replicas = after.get("spec", {}).get("replicas", 0)
                after["status"] = {**after.get("status", {}), "replicas": replicas, "updatedReplicas": replicas,
                                   "readyReplicas": replicas, "availableReplicas": replicas,
                                   "observedGeneration": after["metadata"].get("generation", 0)}
                self.objects[key] = after
        return response


class Cluster(KubeServer):
    async def _start(self):
        emulator = ClusterEmulator()
        await emulator.__aenter__()
        server = kmock.Server(emulator)
        await server.__aenter__()
        return emulator, server

    def on_dry_run(self, hook: Callable[[kmock.Request], None] | None) -> None:
        def set_hook(emulator):
            emulator.on_dry_run = hook

        self.call(set_hook)

    def deployment(self) -> dict:
        return self.call(lambda emulator: _snapshot(emulator.objects, (DEPLOYMENTS, NS, API)))

    def scale(self) -> dict:
        """The Scale view of the stored deployment; called by reactions, inside the server's own loop."""
        replicas = _snapshot(self.emulator.objects, (DEPLOYMENTS, NS, API))["spec"]["replicas"]
        return {"apiVersion": "autoscaling/v1", "kind": "Scale", "metadata": {"name": API, "namespace": NS},
                "spec": {"replicas": replicas}, "status": {"replicas": replicas, "selector": f"app={API}"}}


@contextmanager
def running_cluster() -> Iterator[Cluster]:
    """bharatcart-api at revision 10 with its ReplicaSets; /scale answered as the API server does."""
    with Cluster() as server:
        server.add(fixture("deployment.json"), *fixture("replicasets.json")["items"])
        server.react(f"get {SCALE_PATH}", lambda request: server.scale())
        server.react(f"patch {SCALE_PATH}", lambda request: server.scale())
        yield server


@pytest.fixture
def cluster():
    with running_cluster() as server:
        yield server


@pytest.fixture
def k8s_target(db, cluster):
    target = Target.objects.create(name="prod-api", kind="kubernetes", url=cluster.url, namespace=NS,
                                   deployment=API, timeout_seconds=2)
    ScaleLimits.objects.create(target=target, min_replicas=2, max_replicas=12)
    return target


@pytest.fixture
def down_k8s_target(db):
    return Target.objects.create(name="down-api", kind="kubernetes", url=f"http://127.0.0.1:{free_port()}",
                                 namespace=NS, deployment=API, timeout_seconds=2)


@pytest.fixture
def maintenance_manifest() -> str:
    return (FIXTURES / "maintenance-mode.yaml").read_text()


@pytest.fixture
def third_commander(runbook):
    from django.contrib.auth.models import Group, User

    user = User.objects.create_user(username="marshal", password="marshal-password")
    user.groups.add(Group.objects.get(name="commander"))
    return user


@pytest.fixture
def incident_at(make_incident):
    """An acknowledged incident of the given severity: incident_at("SEV2")."""
    return lambda name: make_incident(title=f"{name} incident", severity=name, acknowledge=True)
