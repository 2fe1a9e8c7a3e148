"""A memory watch over a fake metrics series, sampled by calling the service with now= (no clock, no sleeps),
against kmock over HTTP: flat, growing, noisy, a pod replaced mid-watch; claimed once, one per deployment, ended by
its duration, a cancel, the incident's resolution and the reaper."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from diagnostics import watches
from diagnostics.checks import ParamError
from diagnostics.models import MemorySample, MemoryWatch
from diagnostics.trend import MIB
from diagnostics.watches import WatchError
from incidents import services as incident_services
from targets.models import Target
from tests.kube_server import RESOURCES, KubeServer, api_pods, fixture
from tests.workers import worker_tasks
from warroom.models import Outbox

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 12, 1, 21, 0, tzinfo=dt.UTC)
K2, M7, Z8 = "bharatcart-api-1b0f3-k2x9p", "bharatcart-api-1b0f3-m7q4w", "bharatcart-api-1b0f3-z8r5t"
LIMIT = 640 * MIB  # api 512Mi + proxy 128Mi


def metrics(usage_mib: dict[str, float]) -> list[dict]:
    return [{"apiVersion": "metrics.k8s.io/v1beta1", "kind": "PodMetrics",
             "metadata": {"name": pod, "namespace": "default", "labels": {"app": "bharatcart-api"}},
             "timestamp": "2026-12-01T21:00:00Z", "window": "15s",
             "containers": [{"name": "api", "usage": {"cpu": "100m", "memory": f"{int(mib * 1024)}Ki"}},
                            {"name": "proxy", "usage": {"cpu": "10m", "memory": "0"}}]}
            for pod, mib in usage_mib.items()]


def set_usage(server: KubeServer, usage_mib: dict[str, float]) -> None:
    def replace(emulator):
        for key in [k for k in emulator.objects if k[0] == RESOURCES["PodMetrics"]]:
            del emulator.objects[key]
    server.call(replace)
    server.add(*metrics(usage_mib))


@pytest.fixture
def kube():
    with KubeServer() as server:
        server.add(fixture("deployment_api.json"), *api_pods())
        yield server


@pytest.fixture
def target(kube):
    return Target.objects.create(name="prod-api", kind="kubernetes", url=kube.url, namespace="default",
                                 deployment="bharatcart-api", timeout_seconds=2)


@pytest.fixture
def incident(make_incident):
    return make_incident(title="api memory climbing", severity="SEV2", acknowledge=True)


def start(incident, target, by, minutes=30, **kwargs) -> MemoryWatch:
    return watches.watch_start(incident=incident, target=target, by=by, minutes=minutes, now=T0, **kwargs)


def at(i: int) -> dt.datetime:
    return T0 + dt.timedelta(seconds=15 * i)


def report(watch: MemoryWatch) -> dict:
    return {s.pod: s for s in watches.watch_report(MemoryWatch.objects.get(pk=watch.pk))}


def test_growing_flat_and_noisy_pods_over_nine_minutes(kube, target, incident, responder,
                                                       django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as queued:
        watch = start(incident, target, responder)
    assert len(worker_tasks(queued)) == 1 and watch.status == MemoryWatch.Status.QUEUED
    for i in range(37):  # 0 … 540 s
        set_usage(kube, {K2: 200 + 3 * i,  # +3 MiB per 15 s = +12 MiB/min
                         M7: 150,  # flat
                         Z8: 300 + (40 if i % 2 else -40)})  # noise
        assert watches.watch_sample(watch.pk, now=at(i)) is not None
    series = report(watch)
    leak, flat, noisy = series[K2], series[M7], series[Z8]
    assert len(leak.samples) == 37 and leak.limit == LIMIT and leak.request == 320 * MIB
    # last 200 + 3·36 = 308 MiB; (640 − 308) / 12 = 27.67 → ~28 min
    assert leak.growth.sentence == f"{K2}: +12 MiB/min for 9 min, limit reached in ~28 min"
    assert leak.growth.steady and leak.growth.r2 == 1.0
    assert not flat.growth.steady and flat.growth.slope_mib_per_min == 0
    assert not noisy.growth.steady and noisy.growth.r2 < 0.8
    assert MemoryWatch.objects.get(pk=watch.pk).samples_taken == 37
    chart = str(leak.chart)
    assert chart.startswith("<svg") and 'class="limit"' in chart and 'class="request"' in chart
    assert chart.count(",") == 37  # one point per sample


def test_a_pod_replaced_mid_watch_is_a_series_that_stops_and_a_new_one(kube, target, incident, responder):
    watch = start(incident, target, responder)
    for i in range(10):
        set_usage(kube, {K2: 200 + 3 * i, M7: 150, Z8: 150})
        watches.watch_sample(watch.pk, now=at(i))
    new_pod = {**api_pods()[0]}
    new_pod["metadata"] = {**new_pod["metadata"], "name": "bharatcart-api-1b0f3-new01"}
    def delete_k2(emulator):
        del emulator.objects[RESOURCES["Pod"], "default", K2]

    kube.call(delete_k2)
    kube.add(new_pod)
    for i in range(10, 20):
        set_usage(kube, {"bharatcart-api-1b0f3-new01": 180, M7: 150, Z8: 150})
        watches.watch_sample(watch.pk, now=at(i))
    series = report(watch)
    assert not series[K2].present and len(series[K2].samples) == 10
    assert series[K2].growth.slope_mib_per_min == 12.0  # 9 intervals of 15 s: still +12 MiB/min
    new = series["bharatcart-api-1b0f3-new01"]
    assert new.present and new.samples[0][0] == 150 and len(new.samples) == 10 and not new.growth.steady


def test_each_sample_is_claimed_once(kube, target, incident, responder):
    watch = start(incident, target, responder)
    set_usage(kube, {K2: 200, M7: 200, Z8: 200})
    assert watches.watch_sample(watch.pk, now=at(0)) is not None
    assert watches.watch_sample(watch.pk, now=at(0)) is None  # a redelivered message
    assert watches.watch_sample(watch.pk, now=at(1) - dt.timedelta(seconds=1)) is None  # not due yet
    assert watches.watch_sample(watch.pk, now=at(1)) is not None
    assert MemorySample.objects.filter(watch=watch).count() == 6


def test_it_ends_after_its_duration_with_the_trend_on_the_timeline(kube, target, incident, responder):
    watch = start(incident, target, responder, minutes=2)
    for i in range(8):  # 0 … 105 s
        set_usage(kube, {K2: 200 + 3 * i, M7: 150, Z8: 150})
        assert watches.watch_sample(watch.pk, now=at(i)).status == MemoryWatch.Status.RUNNING
    ended = watches.watch_sample(watch.pk, now=at(8))  # 120 s: time is up
    assert ended.status == MemoryWatch.Status.FINISHED and ended.end_reason == "watched for 2 min"
    entry = incident.entries.filter(data__watch=watch.pk, data__event="ended").get()
    # last 200 + 3·7 = 221 MiB: (640 − 221) / 12 = 34.9 → ~35 min; 105 s of samples → "2 min"
    assert entry.text == (f"Memory watch of bharatcart-api finished (watched for 2 min; 8 samples): "
                          f"{K2}: +12 MiB/min for 2 min, limit reached in ~35 min.")
    assert entry.data["growth"][0] == {"pod": K2, "slope_mib_per_min": 12.0, "r2": 1.0, "minutes_to_limit": 35,
                                       "steady": True}
    assert watches.watch_sample(watch.pk, now=at(9)) is None


def test_one_watch_per_deployment(target, incident, responder, commander):
    first = start(incident, target, responder)
    with pytest.raises(WatchError, match="bharatcart-api is already watched: @responder started one at"):
        start(incident, target, commander)
    watches.watch_cancel(watch=first, by=commander)
    assert start(incident, target, commander).status == MemoryWatch.Status.QUEUED


def test_cancel_and_who_may(target, incident, responder, viewer):
    with pytest.raises(PermissionDenied):
        start(incident, target, viewer)
    watch = start(incident, target, responder)
    with pytest.raises(PermissionDenied):
        watches.watch_cancel(watch=watch, by=viewer)
    ended = watches.watch_cancel(watch=watch, by=responder)
    assert ended.status == MemoryWatch.Status.CANCELLED and ended.cancelled_by == responder
    with pytest.raises(WatchError, match="already ended"):
        watches.watch_cancel(watch=ended, by=responder)
    assert watches.watch_sample(watch.pk, now=at(1)) is None


def test_bad_input(target, incident, responder):
    for bad, message in ((0, "between 1 and 120"), (121, "between 1 and 120"), ("ten", "whole number"),
                         (True, "whole number")):
        with pytest.raises(ParamError, match=message):
            start(incident, target, responder, minutes=bad)
    assert start(incident, target, responder, minutes=120).duration_seconds == 7200
    pg = Target.objects.create(name="db", kind="postgres", url="postgres://x@127.0.0.1/db")
    with pytest.raises(ParamError, match="not a Kubernetes deployment target"):
        watches.watch_start(incident=incident, target=pg, by=responder)


def test_resolving_the_incident_ends_its_watches(kube, target, incident, responder, commander,
                                                 django_capture_on_commit_callbacks):
    watch = start(incident, target, responder)
    set_usage(kube, {K2: 200, M7: 200, Z8: 200})
    watches.watch_sample(watch.pk, now=at(0))
    with django_capture_on_commit_callbacks(execute=True):
        for step in ("investigating", "mitigating", "monitoring", "resolved"):
            incident = incident_services.incident_transition(incident=incident, to=step, by=commander,
                                                             reason="fixed")
    ended = MemoryWatch.objects.get(pk=watch.pk)
    assert ended.status == MemoryWatch.Status.FINISHED and ended.end_reason == "the incident was resolved"
    with pytest.raises(WatchError, match="resolved"):
        start(incident, target, responder)


def test_the_reaper_ends_every_watch(settings, kube, target, incident, responder, django_capture_on_commit_callbacks):
    settings.DIAGNOSTICS_QUEUE_TIMEOUT = 300
    unclaimed = start(incident, target, responder)
    Outbox.objects.update(sent_at=T0)  # its message went out at T0 (the reaper's wait counts from the send)
    assert watches.watches_reap(now=T0 + dt.timedelta(seconds=299)) == 0
    assert watches.watches_reap(now=T0 + dt.timedelta(seconds=301)) == 1
    assert MemoryWatch.objects.get(pk=unclaimed.pk).status == MemoryWatch.Status.FAILED
    overdue = start(incident, target, responder, minutes=1)
    set_usage(kube, {K2: 200, M7: 200, Z8: 200})
    watches.watch_sample(overdue.pk, now=at(0))
    grace = 2 * 15 + settings.DIAGNOSTICS_RUN_TIME_LIMIT
    assert watches.watches_reap(now=at(1) + dt.timedelta(seconds=grace)) == 0  # next sample due, not yet late
    watches.watch_sample(overdue.pk, now=at(1))
    end = T0 + dt.timedelta(seconds=60 + grace + 1)
    assert watches.watches_reap(now=end) == 1
    assert MemoryWatch.objects.get(pk=overdue.pk).status == MemoryWatch.Status.FINISHED


def test_a_cluster_that_stops_answering_fails_the_watch_after_three_samples(kube, target, incident, responder):
    watch = start(incident, target, responder)
    target.url = "http://127.0.0.1:9"
    target.save(update_fields=["url"])
    for i in range(2):
        assert watches.watch_sample(watch.pk, now=at(i)).status == MemoryWatch.Status.RUNNING
    ended = watches.watch_sample(watch.pk, now=at(2))
    assert ended.status == MemoryWatch.Status.FAILED and "3 samples in a row failed" in ended.end_reason


def test_boundaries_the_mutants_found(kube, target, incident, responder, commander, settings):
    # the interval's bounds, both sides
    for bad in (0, 301):
        with pytest.raises(ParamError, match="interval_seconds must be between 1 and 300"):
            start(incident, target, responder, interval_seconds=bad)
    watch = start(incident, target, responder, interval_seconds=300)
    assert watch.interval_seconds == 300
    # a sample of a watch that is gone does nothing
    assert watches.watch_sample(999_999, now=at(0)) is None
    # two cancels at once: the one holding a stale copy is told it already ended
    stale = MemoryWatch.objects.get(pk=watch.pk)
    ended = watches.watch_cancel(watch=watch, by=responder)
    assert ended.finished_at is not None  # without now=, the clock's
    with pytest.raises(WatchError, match=r"already ended \(cancelled\)"):
        watches.watch_cancel(watch=stale, by=commander)
    # resolving ends and counts the active ones
    other = start(incident, target, responder, interval_seconds=1)
    assert watches.watches_end_for_incident(incident_id=incident.pk, now=at(1)) == 1
    assert MemoryWatch.objects.get(pk=other.pk).status == MemoryWatch.Status.FINISHED
    assert watches.watches_end_for_incident(incident_id=incident.pk, now=at(2)) == 0


def test_the_reaper_waits_exactly_its_grace_after_the_end(kube, target, incident, responder, settings):
    watch = start(incident, target, responder, minutes=1)
    set_usage(kube, {K2: 200, M7: 200, Z8: 200})
    for i in range(4):
        watches.watch_sample(watch.pk, now=at(i))
    grace = dt.timedelta(seconds=2 * 15 + settings.DIAGNOSTICS_RUN_TIME_LIMIT)
    end = T0 + dt.timedelta(seconds=60)
    assert watches.watches_reap(now=end + grace) == 0
    assert watches.watches_reap(now=end + grace + dt.timedelta(seconds=1)) == 1


def test_only_enabled_kubernetes_deployments_are_watched(target, incident, responder):
    no_deployment = Target.objects.create(name="cluster", kind="kubernetes", url="http://127.0.0.1:9")
    with pytest.raises(ParamError, match="cluster is not a Kubernetes deployment target"):
        watches.watch_start(incident=incident, target=no_deployment, by=responder)
    target.enabled = False
    target.save(update_fields=["enabled"])
    with pytest.raises(ParamError, match="Target prod-api is disabled"):
        watches.watch_start(incident=incident, target="prod-api", by=responder)
    with pytest.raises(ParamError, match="Unknown target 'nope'"):
        watches.watch_start(incident=incident, target="nope", by=responder)
    target.enabled = True
    target.save(update_fields=["enabled"])
    assert start(incident, target, responder, interval_seconds=1).interval_seconds == 1


def test_series_start_at_the_first_sample_when_the_watch_has_no_start(target, incident, responder):
    watch = start(incident, target, responder)
    rows = [MemorySample(watch=watch, at=at(i + 4), pod="p", memory_bytes=(100 + i) * MIB) for i in range(3)]
    [series] = watches.series_of(rows, None)
    assert [t for t, _ in series.samples] == [0.0, 15.0, 30.0]
