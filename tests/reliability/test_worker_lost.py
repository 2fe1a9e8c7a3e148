"""A Celery worker SIGKILLed in the middle of a check and of a mitigation, against the real broker, database and
local servers that hold the worker at a known point: a PostgreSQL proxy that never answers its first connection,
and a Kubernetes API server that holds the real PATCH.

What must hold (docs/architecture.md, "When a worker dies"): the run is tried once more or ends failed saying the
worker was lost; the mitigation is never run twice — it ends failed, "outcome unknown, worker lost — check the
cluster", on the timeline; nothing stays running past its time limit plus a minute.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import kmock
import pytest

from diagnostics import services as diagnostics
from diagnostics.models import Run
from mitigations import services as mitigations
from mitigations.models import Mitigation
from targets.models import Target
from tests.mitigations.conftest import API, NS, SCALE_PATH, Cluster, ClusterEmulator, fixture
from tests.reliability.peers import hold_first
from tests.workers import poll, start_worker

ROOT = Path(__file__).resolve().parents[2]
# Short bounds for the worker that takes over, so that the broker hands the killed worker's messages on within
# seconds instead of an hour (its visibility timeout must outlast its own longest task: warroom/settings.py).
TAKE_OVER = {"WARROOM_RUN_TIME_LIMIT": "2", "WARROOM_ROLLOUT_SECONDS": "2", "WARROOM_MITIGATION_TIME_LIMIT": "3",
             "WARROOM_BROKER_VISIBILITY_TIMEOUT": "9", "WARROOM_BROKER_RESTORE_INTERVAL": "1"}


def real_writes(cluster) -> list:
    return [r for r in cluster.requests() if r.method != kmock.method.GET and not r.params.get("dryRun")]


class HoldingEmulator(ClusterEmulator):
    """Holds every real (not dry-run) write until `release` is set: the worker is caught mid-change."""

    release = threading.Event()

    async def _handle(self, request: kmock.Request):
        if request.method != kmock.method.GET and not request.params.get("dryRun"):
            await asyncio.to_thread(self.release.wait, 60)
        return await super()._handle(request)


class HoldingCluster(Cluster):
    async def _start(self):
        emulator = HoldingEmulator()
        await emulator.__aenter__()
        server = kmock.Server(emulator)
        await server.__aenter__()
        return emulator, server


@pytest.fixture
def holding_cluster():
    HoldingEmulator.release = threading.Event()
    with HoldingCluster() as server:
        server.add(fixture("deployment.json"), *fixture("replicasets.json")["items"])
        server.react(f"get {SCALE_PATH}", lambda request: server.scale())
        server.react(f"patch {SCALE_PATH}", lambda request: server.scale())
        try:
            yield server
        finally:
            HoldingEmulator.release.set()


@pytest.fixture
def queue(settings) -> str:
    """Runs and mitigations go to a queue of these tests' own: the session's worker must not take them."""
    name = f"worker-lost-{os.getpid()}"
    settings.DIAGNOSTICS_QUEUE = settings.MITIGATION_QUEUE = name
    return name


@pytest.fixture
def workers(tmp_path):
    started: list[subprocess.Popen] = []

    def start(name: str, queue: str, env: dict | None = None) -> subprocess.Popen:
        worker = start_worker(tmp_path, env=env, queue=queue, name=name, concurrency=2, session=True)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)  # its work is done (or the test failed): nothing to wait for
            worker.wait(timeout=10)


@pytest.fixture
def world(holding_cluster, make_incident, responder, queue):
    """An incident, a PostgreSQL target behind `proxy` (its first connection held, the later ones reaching the
    real server) and a Kubernetes target whose real writes are held."""
    with hold_first(("127.0.0.1", 5432)) as proxy:
        incident = make_incident(title="Checkout down", severity="SEV3", acknowledge=True)
        pg = Target.objects.create(name="prod-db", kind="postgres", timeout_seconds=30,
                                   url=f"postgres://postgres@127.0.0.1:{proxy.port}/postgres")
        k8s = Target.objects.create(name="prod-api", kind="kubernetes", url=holding_cluster.url, namespace=NS,
                                    deployment=API, timeout_seconds=30)
        yield incident, pg, k8s, proxy


def catch(world, cluster, responder, commander) -> tuple[Run, Mitigation]:
    """Ask for a check and confirm a scale, then wait until the worker is inside both: the check's login held by
    the proxy, the scale's PATCH held by the API server."""
    incident, pg, k8s, proxy = world
    run = diagnostics.run_request(incident=incident, check="postgres.connections", target=pg, by=responder)
    scale = mitigations.mitigation_request(incident=incident, action="kubernetes.scale", target=k8s,
                                           params={"replicas": 5}, by=commander)
    mitigations.mitigation_confirm(mitigation=scale, by=commander, confirm=API)
    poll(lambda: proxy.connections == 1 and Run.objects.get(pk=run.pk).status == Run.Status.RUNNING,
         what="the check held in its login")
    poll(lambda: len(real_writes(cluster)) == 1 and Mitigation.objects.get(pk=scale.pk).status
         == Mitigation.Status.RUNNING, what="the scale held in its PATCH")
    return run, scale


def confirm(scale, commander):
    return mitigations.mitigation_confirm(mitigation=scale, by=commander, confirm=API)


def pid_of(row) -> int:
    return int(type(row).objects.get(pk=row.pk).worker.rsplit("process ", 1)[1])


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_pool_process_killed_mid_check_and_mid_change_retries_the_check_and_never_repeats_the_change(
        world, holding_cluster, workers, queue, responder, commander):
    """The OOM killer's case: one process of the pool dies, the worker lives and hands its messages on at once."""
    incident, _, _, proxy = world
    workers("killed-child", queue)
    run, scale = catch(world, holding_cluster, responder, commander)
    first = Run.objects.get(pk=run.pk).worker

    for pid in {pid_of(run), pid_of(scale)}:
        os.kill(pid, signal.SIGKILL)

    run = poll(lambda: Run.objects.filter(pk=run.pk, status=Run.Status.SUCCEEDED).first(), timeout=20,
               what="the check tried again")
    assert run.attempts == 2 and run.worker != first and proxy.connections == 2
    assert "tried again after its worker was lost" in incident.entries.get(data__run=run.pk).text

    lost = poll(lambda: Mitigation.objects.filter(pk=scale.pk, status=Mitigation.Status.FAILED).first(),
                what="the scale ended")
    assert lost.error.startswith("Outcome unknown, worker lost — check the cluster")
    assert "may or may not have reached the cluster. It was not run again." in lost.error
    HoldingEmulator.release.set()  # the held PATCH goes through now: it was the only one
    assert len(real_writes(holding_cluster)) == 1
    finished = incident.entries.filter(kind="mitigation", data__event="finished")
    assert [e.text for e in finished] == [
        "Scale bharatcart-api to 5 replicas: outcome unknown, the worker was lost — check the cluster. "
        "The change may or may not have reached the cluster; it was not run again."]


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_whole_worker_killed_mid_check_and_mid_change_is_taken_over_and_the_change_is_not_repeated(
        world, holding_cluster, workers, queue, responder, commander):
    """The host's case: the worker's whole process group is SIGKILLed; the broker hands its unacknowledged
    messages to the next worker once its visibility timeout has passed."""
    incident = world[0]
    killed = workers("killed", queue)
    run, scale = catch(world, holding_cluster, responder, commander)

    os.killpg(killed.pid, signal.SIGKILL)
    killed.wait(timeout=10)
    workers("takes-over", queue, TAKE_OVER)

    run = poll(lambda: Run.objects.filter(pk=run.pk, status=Run.Status.SUCCEEDED).first(), timeout=30,
               what="the check tried again by the next worker")
    assert run.attempts == 2 and run.worker.startswith("takes-over-")
    lost = poll(lambda: Mitigation.objects.filter(pk=scale.pk, status=Mitigation.Status.FAILED).first(),
                what="the scale ended")
    assert "Outcome unknown, worker lost — check the cluster: the worker (killed-" in lost.error
    HoldingEmulator.release.set()
    assert len(real_writes(holding_cluster)) == 1
    assert incident.entries.filter(kind="mitigation", data__event="finished").count() == 1
    assert incident.entries.filter(data__run=run.pk, data__event="finished").count() == 1


# --- the same rules without a worker: the claims, the reapers' bounds, the settings ----------------------------------

@pytest.mark.django_db
def test_a_run_is_tried_twice_at_most_and_only_for_its_own_message(pg_target, make_incident, responder):
    incident = make_incident(severity="SEV2", acknowledge=True)
    run = diagnostics.run_request(incident=incident, check="postgres.connections", target=pg_target, by=responder)
    assert diagnostics.run_claim(run.pk, task_id="t-1", worker="w1")
    assert not diagnostics.run_claim(run.pk, task_id="t-other", worker="w2")  # another message: not ours to retry
    assert Run.objects.get(pk=run.pk).attempts == 1
    assert diagnostics.run_claim(run.pk, task_id="t-1", worker="w2")  # our message again: w1 died
    assert Run.objects.get(pk=run.pk).attempts == 2
    assert not diagnostics.run_claim(run.pk, task_id="t-1", worker="w3")  # and again: no third try
    lost = Run.objects.get(pk=run.pk)
    assert lost.status == Run.Status.FAILED and lost.attempts == 2
    assert lost.error == "The worker was lost again (w2: killed, or out of memory) on try 2 of 2; not tried again."
    assert incident.entries.filter(data__run=run.pk).count() == 1


@pytest.mark.django_db
def test_a_mitigation_whose_message_comes_back_is_ended_not_run_again(
        cluster, k8s_target, incident_at, commander):
    scale = mitigations.mitigation_request(incident=incident_at("SEV3"), action="kubernetes.scale", target=k8s_target,
                                           params={"replicas": 5}, by=commander)
    confirm(scale, commander)
    assert mitigations.mitigation_claim(scale.pk, task_id="t-1", worker="celery@a, process 7")
    assert not mitigations.mitigation_claim(scale.pk, task_id="t-other")  # someone else's duplicate: left alone
    assert Mitigation.objects.get(pk=scale.pk).status == Mitigation.Status.RUNNING
    assert not mitigations.mitigation_claim(scale.pk, task_id="t-1", worker="celery@b, process 9")
    lost = Mitigation.objects.get(pk=scale.pk)
    assert lost.status == Mitigation.Status.FAILED and lost.worker == "celery@a, process 7"
    assert lost.error.startswith("Outcome unknown, worker lost — check the cluster: the worker (celery@a, process 7)")
    assert real_writes(cluster) == []
    assert not mitigations.mitigation_claim(scale.pk, task_id="t-1")  # a third delivery finds it ended
    assert scale.incident.entries.filter(kind="mitigation", data__event="finished").count() == 1


@pytest.mark.django_db
def test_a_lost_mitigation_that_had_made_its_change_says_so(cluster, k8s_target, incident_at, commander):
    scale = mitigations.mitigation_request(incident=incident_at("SEV3"), action="kubernetes.scale", target=k8s_target,
                                           params={"replicas": 5}, by=commander)
    confirm(scale, commander)
    mitigations.mitigation_claim(scale.pk, task_id="t-1")
    Mitigation.objects.filter(pk=scale.pk).update(outcome={"summary": "Scale bharatcart-api from 3 to 5 replicas"})
    mitigations.mitigation_claim(scale.pk, task_id="t-1")
    assert ("the change was made (Scale bharatcart-api from 3 to 5 replicas) but its rollout was not followed to "
            "the end. It was not run again.") in Mitigation.objects.get(pk=scale.pk).error


@pytest.mark.django_db
def test_a_run_whose_worker_vanished_ends_within_a_minute_of_its_time_limit(
        pg_target, make_incident, responder, settings):
    settings.DIAGNOSTICS_RUN_TIME_LIMIT, settings.DIAGNOSTICS_RUN_HARD_LIMIT, settings.WORKER_LOST_GRACE = 30, 35, 15
    run = diagnostics.run_request(incident=make_incident(), check="postgres.connections", target=pg_target,
                                  by=responder)
    diagnostics.run_claim(run.pk, task_id="t-1", worker="celery@gone, process 3")
    started = Run.objects.get(pk=run.pk).started_at
    assert diagnostics.runs_reap(now=started + dt.timedelta(seconds=35 + 15)) == 0  # the limit and the grace
    assert diagnostics.runs_reap(now=started + dt.timedelta(seconds=35 + 15, microseconds=1)) == 1
    lost = Run.objects.get(pk=run.pk)
    assert lost.status == Run.Status.TIMED_OUT
    assert lost.error == "No result within 30 s: the worker (celery@gone, process 3) was lost or stuck."
    # beat sweeps every REAP_SECONDS: the run has ended at most this long after its (soft) time limit
    assert 5 + 15 + settings.REAP_SECONDS <= 60


@pytest.mark.django_db
def test_a_mitigation_whose_worker_vanished_ends_within_a_minute_of_its_time_limit(
        cluster, k8s_target, incident_at, commander, settings):
    settings.MITIGATION_HARD_LIMIT, settings.WORKER_LOST_GRACE = 365, 15
    scale = mitigations.mitigation_request(incident=incident_at("SEV3"), action="kubernetes.scale", target=k8s_target,
                                           params={"replicas": 5}, by=commander)
    confirm(scale, commander)
    mitigations.mitigation_claim(scale.pk, task_id="t-1", worker="celery@gone, process 3")
    started = Mitigation.objects.get(pk=scale.pk).started_at
    assert mitigations.mitigations_reap(now=started + dt.timedelta(seconds=365 + 15)) == 0
    assert mitigations.mitigations_reap(now=started + dt.timedelta(seconds=365 + 15, microseconds=1)) == 1
    lost = Mitigation.objects.get(pk=scale.pk)
    assert lost.status == Mitigation.Status.FAILED and "outcome unknown" in lost.error.lower()
    assert real_writes(cluster) == []


def _settings(**env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("WARROOM_")}
    return subprocess.run([sys.executable, "-c", "import warroom.settings"], cwd=ROOT, capture_output=True, text=True,
                          env={**environ, "CELERY_BROKER_URL": "redis://127.0.0.1:6379/2", **env}, timeout=30)


@pytest.mark.parametrize(("env", "error"), [
    ({"WARROOM_RUN_TIME_LIMIT": "5", "WARROOM_BROKER_VISIBILITY_TIMEOUT": "11"}, ""),
    ({"WARROOM_RUN_TIME_LIMIT": "5", "WARROOM_BROKER_VISIBILITY_TIMEOUT": "10"},
     "WARROOM_BROKER_VISIBILITY_TIMEOUT=10 must be more than the longest task's hard time limit (10 s)"),
    ({"WARROOM_WORKER_LOST_GRACE": "25"}, ""),
    ({"WARROOM_WORKER_LOST_GRACE": "26"}, "WARROOM_WORKER_LOST_GRACE=26 must be at most 25"),
])
def test_the_time_bounds_are_checked_at_start(env, error):
    if "WARROOM_BROKER_VISIBILITY_TIMEOUT" in env:  # the mitigation's limit must not be the longest here
        env = {**env, "WARROOM_ROLLOUT_SECONDS": "2", "WARROOM_MITIGATION_TIME_LIMIT": "3"}
    result = _settings(**env)
    assert (result.returncode != 0) == bool(error), result.stderr
    assert error in result.stderr
