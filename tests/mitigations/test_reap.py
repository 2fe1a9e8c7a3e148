"""Nothing holds a deployment for ever: a lost message ends failed after WARROOM_MITIGATION_QUEUE_TIMEOUT."""

import datetime as dt

import pytest

from mitigations import services
from mitigations.models import Mitigation
from mitigations.tasks import execute_mitigation
from tests.workers import messages_sent
from warroom.models import Outbox

pytestmark = pytest.mark.django_db
DEPLOYMENT = "bharatcart-api"


def writes(cluster) -> list:
    return [r for r in cluster.requests() if r.method.upper() in ("PATCH", "POST", "PUT", "DELETE")
            and not r.params.get("dryRun")]


@pytest.fixture
def lost(cluster, k8s_target, incident_at, commander, django_capture_on_commit_callbacks, settings):
    """A confirmed scale whose message went out and never reached a worker (the on-commit send is captured, never
    run; the outbox says it was sent when it was confirmed)."""
    settings.MITIGATION_QUEUE_TIMEOUT = 120
    mitigation = services.mitigation_request(incident=incident_at("SEV3"), action="kubernetes.scale",
                                             target=k8s_target, params={"replicas": 5}, by=commander)
    with django_capture_on_commit_callbacks():
        confirmed = services.mitigation_confirm(mitigation=mitigation, by=commander, confirm=DEPLOYMENT)
    messages_sent(confirmed.confirmed_at)
    return confirmed


def test_a_queued_mitigation_is_left_alone_before_the_bound(lost):
    assert services.mitigations_reap(now=lost.confirmed_at + dt.timedelta(seconds=119)) == 0
    assert Mitigation.objects.get(pk=lost.pk).status == Mitigation.Status.QUEUED


def test_a_queued_mitigation_no_worker_took_fails_at_the_bound_and_says_why(lost):
    at_bound = lost.confirmed_at + dt.timedelta(seconds=120)
    assert services.mitigations_reap(now=at_bound) == 1
    reaped = Mitigation.objects.get(pk=lost.pk)
    assert reaped.status == Mitigation.Status.FAILED and reaped.finished_at == at_bound
    assert "No worker picked this up within 120 s" in reaped.error
    entry = lost.incident.entries.latest("pk")
    assert entry.data["event"] == "finished" and entry.data["status"] == "failed"
    assert entry.text.startswith("Scale bharatcart-api to 5 replicas: failed, no worker picked it up within 120 s")


def test_reaping_frees_the_deployment_and_a_late_message_changes_nothing(lost, cluster, k8s_target, commander):
    nxt = services.mitigation_request(incident=lost.incident, action="kubernetes.scale", target=k8s_target,
                                      params={"replicas": 6}, by=commander)
    with pytest.raises(services.MitigationError, match="busy"):
        services.mitigation_confirm(mitigation=nxt, by=commander, confirm=DEPLOYMENT)
    services.mitigations_reap(now=lost.confirmed_at + dt.timedelta(seconds=120))
    assert services.mitigation_confirm(mitigation=nxt, by=commander,
                                       confirm=DEPLOYMENT).status == Mitigation.Status.QUEUED
    execute_mitigation(lost.pk)  # the lost message turns up after all
    assert Mitigation.objects.get(pk=lost.pk).status == Mitigation.Status.FAILED
    assert writes(cluster) == []


def test_a_worker_that_claimed_it_first_keeps_it(lost):
    assert services.mitigation_claim(lost.pk)
    assert services.mitigations_reap(now=lost.confirmed_at + dt.timedelta(seconds=120)) == 0
    assert services.mitigation_expire(mitigation_id=lost.pk) is False  # the reaper read it queued, just before
    current = Mitigation.objects.get(pk=lost.pk)
    assert current.status == Mitigation.Status.RUNNING and not current.error


def test_the_beat_task_runs_the_reaper(lost):
    from mitigations.tasks import reap_mitigations

    Mitigation.objects.filter(pk=lost.pk).update(confirmed_at=lost.confirmed_at - dt.timedelta(seconds=121))
    Outbox.objects.update(sent_at=lost.confirmed_at - dt.timedelta(seconds=121))  # its message went out then
    assert reap_mitigations() == 1
    assert Mitigation.objects.get(pk=lost.pk).status == Mitigation.Status.FAILED
