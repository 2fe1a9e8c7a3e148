"""The incident page's solutions and memory watches: buttons, prefilled scale up, the DBA to call, a chart per pod,
the watch buttons' answers, and a constant number of queries whatever the number of samples."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from diagnostics.models import MemorySample, MemoryWatch, Run
from diagnostics.panel import scale_up_to
from diagnostics.trend import MIB
from mitigations.models import ScaleLimits
from targets.models import Target

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def incident(make_incident):
    return make_incident(title="api memory climbing", severity="SEV2", acknowledge=True)


@pytest.fixture
def k8s(db):
    target = Target.objects.create(name="prod-api", kind="kubernetes", url="http://127.0.0.1:9", namespace="default",
                                   deployment="bharatcart-api")
    ScaleLimits.objects.create(target=target, min_replicas=2, max_replicas=12)
    return target


def pods_run(incident, target, n: int) -> Run:
    return Run.objects.create(incident=incident, target=target, check_name="kubernetes.pods", status="succeeded",
                              verdict="ok", columns=["pod", "ready", "status", "restarts", "age", "node"],
                              rows=[[f"bharatcart-api-x-{i}", "2/2", "Running", 0, "1h", "n"] for i in range(n)],
                              finished_at=timezone.now())


def test_scale_up_to_is_plus_half_within_bounds():
    assert scale_up_to(4, 2, 12) == 6
    assert scale_up_to(3, 2, 12) == 5  # 4.5 rounded up
    assert scale_up_to(1, None, None) == 2  # at least one more
    assert scale_up_to(10, 2, 12) == 12  # capped by the target's bound
    assert scale_up_to(8, 2, 12) == 12
    assert scale_up_to(7, 2, 12) == 11
    assert scale_up_to(1, 4, 12) == 4  # raised to the floor
    assert scale_up_to(None, 2, 12) is None


def test_solutions_are_buttons_with_scale_up_prefilled(client, responder, incident, k8s):
    pods_run(incident, k8s, 4)
    client.force_login(responder)
    html = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert 'name="scale-up"' in html and 'value="6"' in html and 'max="12"' in html
    assert 'name="watch-memory"' in html and 'name="rollout-restart"' in html
    assert "node --inspect dist/index.js" in html
    assert 'name="connections-by-application"' in html
    assert html.count('name="delete-pod"') == 4  # one per pod of the pods table


def test_the_dba_to_call_comes_from_people(client, responder, incident):
    from people.models import Contact, Role

    role, _ = Role.objects.get_or_create(name="DBA")
    role.holders.clear()  # the runbook's seeded placeholder
    client.force_login(responder)
    html = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "nobody holds the DBA role" in html
    role.holders.add(Contact.objects.create(name="Lena Fischer", phone="+1-555-0103", slack_handle="@lena"))
    html = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "call the DBA" in html and "<b>Lena Fischer</b>" in html and 'href="tel:+1-555-0103"' in html


def test_viewer_sees_charts_but_no_buttons(client, viewer, responder, incident, k8s):
    watch_with_samples(incident, k8s, responder, pods=1, samples=8)
    client.force_login(viewer)
    html = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert '<svg class="memory-chart"' in html
    assert 'name="cancel-watch"' not in html and 'name="delete-pod"' not in html and 'name="scale-up"' not in html


def watch_with_samples(incident, target, by, *, pods: int, samples: int) -> MemoryWatch:
    start = timezone.now() - dt.timedelta(minutes=10)
    watch = MemoryWatch.objects.create(incident=incident, target=target, requested_by=by, interval_seconds=15,
                                       duration_seconds=1800, status="running", started_at=start,
                                       ends_at=start + dt.timedelta(minutes=30), next_sample_at=timezone.now(),
                                       samples_taken=samples)
    MemorySample.objects.bulk_create([
        MemorySample(watch=watch, at=start + dt.timedelta(seconds=15 * i), pod=f"bharatcart-api-x-{p}",
                     memory_bytes=(200 + 3 * i * (p == 0)) * MIB, request_bytes=320 * MIB, limit_bytes=640 * MIB)
        for p in range(pods) for i in range(samples)])
    return watch


def test_a_growing_pod_is_flagged_with_its_options(client, responder, incident, k8s):
    watch_with_samples(incident, k8s, responder, pods=2, samples=37)
    client.force_login(responder)
    html = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert html.count('<svg class="memory-chart"') == 2
    assert "Steady growth" in html
    assert "bharatcart-api-x-0: +12 MiB/min for 9 min, limit reached in ~28 min" in html
    assert 'name="cancel-watch"' in html
    assert html.count('value="bharatcart-api-x-0"') == 1  # "Restart this pod" beside the flagged one only


def test_the_page_keeps_its_queries_whatever_the_samples(client, responder, incident, k8s, make_incident):
    client.force_login(responder)
    watch_with_samples(incident, k8s, responder, pods=1, samples=3)
    client.get(f"/incidents/{incident.pk}/")  # warm: the first request fills caches (session, settings)
    with CaptureQueriesContext(connection) as small:
        client.get(f"/incidents/{incident.pk}/")
    other = Target.objects.create(name="prod-web", kind="kubernetes", url="http://127.0.0.1:9", deployment="web")
    watch_with_samples(incident, other, responder, pods=4, samples=40)
    with CaptureQueriesContext(connection) as large:
        client.get(f"/incidents/{incident.pk}/")
    assert len(large.captured_queries) == len(small.captured_queries)


def test_watch_buttons_answer(client, responder, incident, k8s):
    client.force_login(responder)
    url = f"/incidents/{incident.pk}/watches/"
    bad = client.post(url, {"target": "prod-api", "minutes": "0"}, **HTMX)
    assert bad.status_code == 400 and "minutes must be between 1 and 120" in bad.content.decode()
    assert client.post(url, {"target": "nope"}, **HTMX).status_code == 400
    assert client.post(url, {"target": "prod-api", "minutes": "5"}, **HTMX).status_code == 200
    watch = MemoryWatch.objects.get()
    assert watch.duration_seconds == 300
    again = client.post(url, {"target": "prod-api"}, **HTMX)
    assert again.status_code == 409 and "already watched" in again.content.decode()
    cancel = f"/incidents/{incident.pk}/watches/{watch.pk}/cancel/"
    assert client.post(cancel, **HTMX).status_code == 200
    assert MemoryWatch.objects.get().status == "cancelled"
    assert client.post(cancel, **HTMX).status_code == 409


def test_the_api_gives_each_pods_samples_and_trend(api, viewer, responder, incident, k8s):
    watch = watch_with_samples(incident, k8s, responder, pods=2, samples=37)
    response = api(viewer).get(f"/api/incidents/{incident.pk}/memory-watches/")
    assert response.status_code == 200
    [data] = response.json()
    assert data["id"] == watch.pk and data["deployment"] == "bharatcart-api" and data["status"] == "running"
    leak = next(p for p in data["pods"] if p["pod"] == "bharatcart-api-x-0")
    assert leak["steady_growth"] and leak["slope_mib_per_min"] == 12.0 and leak["minutes_to_limit"] == 28
    assert leak["limit_bytes"] == 640 * MIB and len(leak["samples"]) == 37 and leak["samples"][1] == [15.0, 203 * MIB]
    assert api(viewer).get("/api/incidents/999999/memory-watches/").status_code == 404
