"""A memory watch through the real Celery worker: the first sample claims it, each sample schedules the next one,
a cancel stops the chain, and the chart's data is on the incident."""

import pytest

from diagnostics import watches
from diagnostics.models import MemorySample, MemoryWatch
from targets.models import Target
from tests.diagnostics.test_memory_watch import K2, M7, Z8, set_usage
from tests.kube_server import KubeServer, api_pods, fixture
from tests.workers import poll

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def kube():
    with KubeServer() as server:
        server.add(fixture("deployment_api.json"), *api_pods())
        set_usage(server, {K2: 300, M7: 200, Z8: 200})
        yield server


def test_a_watch_samples_on_the_worker_until_cancelled(celery_worker, kube, make_incident, responder):
    incident = make_incident(title="api memory climbing", severity="SEV2", acknowledge=True)
    target = Target.objects.create(name="prod-api", kind="kubernetes", url=kube.url, namespace="default",
                                   deployment="bharatcart-api", timeout_seconds=2)
    watch = watches.watch_start(incident=incident, target=target, by=responder, minutes=5, interval_seconds=1)
    poll(lambda: MemoryWatch.objects.get(pk=watch.pk).samples_taken >= 3, timeout=30,
         what="three samples, each scheduled by the one before")
    running = MemoryWatch.objects.get(pk=watch.pk)
    assert running.status == MemoryWatch.Status.RUNNING and running.started_at is not None
    assert set(MemorySample.objects.filter(watch=watch).values_list("pod", flat=True)) == {K2, M7, Z8}
    watches.watch_cancel(watch=running, by=responder)
    assert MemoryWatch.objects.get(pk=watch.pk).status == MemoryWatch.Status.CANCELLED
    assert incident.entries.filter(data__watch=watch.pk, data__event="ended").exists()
