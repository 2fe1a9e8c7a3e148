"""A target that drips its answer a byte a second ends its check within the target's timeout, like one that never
answers at all; the other checks and the incident page carry on meanwhile. (Black holes at the check level:
tests/diagnostics/test_{postgres,redis,kubernetes}_checks.py; HTTP's slow and hanging URLs: test_http_checks.py.)

A socket timeout bounds each read, so a drip resets it at every byte: without targets.deadline these checks
ran until the worker's time limit killed them.
"""

import time

import pytest
from kubernetes.client import AppsV1Api, CoreV1Api, CustomObjectsApi  # noqa: F401 - loaded lazily (~1 s), not timed

from diagnostics.checks import REGISTRY, CheckError
from diagnostics.models import Run
from targets.kubernetes.errors import ClusterError
from targets.models import Target
from tests.reliability.peers import HTTP_DRIP, POSTGRES_DRIP, REDIS_DRIP, drip, postgres_login
from tests.workers import poll

PEERS = {
    "postgres": dict(payload=POSTGRES_DRIP, login=postgres_login),
    "redis": dict(payload=REDIS_DRIP),
    "kubernetes": dict(payload=HTTP_DRIP),
}
CHECKS = {"postgres": "postgres.connections", "redis": "redis.memory", "kubernetes": "kubernetes.pods"}


def target(kind: str, port: int, timeout: int) -> Target:
    scheme = {"postgres": "postgres://postgres@", "redis": "redis://", "kubernetes": "http://"}[kind]
    return Target(name=f"drip-{kind}", kind=kind, url=f"{scheme}127.0.0.1:{port}" + ("/0" if kind == "redis" else ""),
                  namespace="default", deployment="bharatcart-api", timeout_seconds=timeout)


@pytest.mark.parametrize("kind", PEERS)
def test_a_target_dripping_a_byte_a_second_fails_within_its_timeout(kind):
    with drip(every=0.5, **PEERS[kind]) as peer:
        check = REGISTRY[CHECKS[kind]]
        started = time.monotonic()
        with pytest.raises((CheckError, ClusterError)) as failed:
            check.run(target(kind, peer.port, timeout=2), check.clean_params({}))
        elapsed = time.monotonic() - started
    assert peer.connections == 1  # it did get an answer started: this is the drip, not a refusal
    assert "did not answer within 2 s" in str(failed.value)
    assert elapsed < 2 + 1 + 1  # the timeout (PostgreSQL's reply gets one second more), and slack for the machine


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_dripping_targets_fail_on_the_worker_while_a_healthy_check_and_the_page_carry_on(
        celery_worker, client, responder, make_incident):
    from diagnostics import services

    incident = make_incident(title="Everything is slow", severity="SEV2", acknowledge=True)
    healthy = Target.objects.create(name="local-postgres", kind="postgres", timeout_seconds=3,
                                    url="postgres://postgres@127.0.0.1:5432/postgres")
    with drip(**PEERS["postgres"]) as pg, drip(**PEERS["redis"]) as rd, drip(**PEERS["kubernetes"]) as kube:
        slow = []
        for kind, peer in (("postgres", pg), ("redis", rd), ("kubernetes", kube)):
            t = target(kind, peer.port, timeout=2)
            t.save()
            slow.append(services.run_request(incident=incident, check=CHECKS[kind], target=t, by=responder).pk)
        ok = services.run_request(incident=incident, check="postgres.connections", target=healthy, by=responder)

        poll(lambda: pg.connections and rd.connections and kube.connections, what="every peer dripping")
        client.force_login(responder)
        started = time.monotonic()
        assert client.get(f"/incidents/{incident.pk}/").status_code == 200
        assert time.monotonic() - started < 1.0  # the page never waits for a target

        done = poll(lambda: Run.objects.filter(pk=ok.pk, status=Run.Status.SUCCEEDED).first(), timeout=15,
                    what="the healthy check")
        assert Run.objects.filter(pk__in=slow, status=Run.Status.RUNNING).count() == 3  # still dripping meanwhile
        ended = poll(lambda: list(Run.objects.filter(pk__in=slow).exclude(status=Run.Status.RUNNING)
                                  .exclude(status=Run.Status.QUEUED)) if not Run.objects.filter(
            pk__in=slow, status__in=[Run.Status.QUEUED, Run.Status.RUNNING]).exists() else None,
            timeout=15, what="the dripping checks' ends")
    assert done.finished_at < min(run.finished_at for run in ended)
    for run in ended:
        assert run.status == Run.Status.FAILED and "did not answer within 2 s" in run.error, run.error
        assert (run.finished_at - run.started_at).total_seconds() < 2 + 1 + 1.5
        assert incident.entries.filter(data__run=run.pk, data__event="finished").count() == 1
