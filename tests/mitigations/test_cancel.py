"""A commander cancels a previewed or queued mitigation; a running one is followed to its end."""

import pytest
from django.core.exceptions import PermissionDenied

from mitigations import services
from mitigations.models import Mitigation
from mitigations.services import MitigationError
from mitigations.tasks import execute_mitigation

pytestmark = pytest.mark.django_db
DEPLOYMENT = "bharatcart-api"


def real_writes(cluster) -> list:
    return [r for r in cluster.requests() if r.method.upper() in ("PATCH", "POST", "PUT", "DELETE")
            and not r.params.get("dryRun")]


@pytest.fixture
def previewed(cluster, k8s_target, incident_at, commander):
    return services.mitigation_request(incident=incident_at("SEV3"), action="kubernetes.scale", target=k8s_target,
                                       params={"replicas": 5}, by=commander)


@pytest.fixture
def queued(previewed, commander, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():  # the worker never gets it during the test
        return services.mitigation_confirm(mitigation=previewed, by=commander, confirm=DEPLOYMENT)


def test_cancel_a_previewed_one_is_on_the_timeline_with_who(previewed, second_commander):
    cancelled = services.mitigation_cancel(mitigation=previewed, by=second_commander)
    assert cancelled.status == Mitigation.Status.CANCELLED and cancelled.cancelled_by == second_commander
    assert cancelled.finished_at
    entry = previewed.incident.entries.latest("pk")
    assert entry.data["event"] == "cancelled" and entry.author == second_commander
    assert entry.text == "@deputy cancelled: scale bharatcart-api to 5 replicas. Nothing was changed."
    with pytest.raises(MitigationError, match="runs once"):
        services.mitigation_confirm(mitigation=previewed, by=second_commander, confirm=DEPLOYMENT)


def test_cancel_a_queued_one_frees_the_deployment_and_the_late_task_does_nothing(queued, cluster, k8s_target,
                                                                                commander):
    services.mitigation_cancel(mitigation=queued, by=commander)
    nxt = services.mitigation_request(incident=queued.incident, action="kubernetes.scale", target=k8s_target,
                                      params={"replicas": 6}, by=commander)
    assert services.mitigation_confirm(mitigation=nxt, by=commander,
                                       confirm=DEPLOYMENT).status == Mitigation.Status.QUEUED
    execute_mitigation(queued.pk)  # its message arrives after the cancel
    assert Mitigation.objects.get(pk=queued.pk).status == Mitigation.Status.CANCELLED
    assert real_writes(cluster) == []


def test_a_running_one_cannot_be_cancelled(queued, commander):
    assert services.mitigation_claim(queued.pk)
    with pytest.raises(MitigationError, match="It is running: a change under way cannot be cancelled"):
        services.mitigation_cancel(mitigation=Mitigation.objects.get(pk=queued.pk), by=commander)
    assert Mitigation.objects.get(pk=queued.pk).status == Mitigation.Status.RUNNING


def test_a_worker_claiming_it_meanwhile_wins_over_a_cancel_that_read_it_queued(queued, commander):
    """The page read it queued; a worker claims it before the click lands: the cancel must not overwrite that."""
    stale = Mitigation.objects.get(pk=queued.pk)
    assert services.mitigation_claim(queued.pk)
    with pytest.raises(MitigationError, match="It is running"):
        services.mitigation_cancel(mitigation=stale, by=commander)
    current = Mitigation.objects.get(pk=queued.pk)
    assert current.status == Mitigation.Status.RUNNING and current.cancelled_by is None
    assert not queued.incident.entries.filter(data__event="cancelled").exists()


def test_a_cancel_first_means_the_worker_does_not_claim_it(queued, commander):
    services.mitigation_cancel(mitigation=queued, by=commander)
    assert services.mitigation_claim(queued.pk) is False


def test_an_ended_one_cannot_be_cancelled(queued, commander):
    services.mitigation_cancel(mitigation=queued, by=commander)
    with pytest.raises(MitigationError, match=r"already ended \(cancelled\)"):
        services.mitigation_cancel(mitigation=Mitigation.objects.get(pk=queued.pk), by=commander)
    assert queued.incident.entries.filter(data__event="cancelled").count() == 1


def test_only_commanders_cancel(previewed, responder, viewer):
    for person in (responder, viewer):
        with pytest.raises(PermissionDenied):
            services.mitigation_cancel(mitigation=previewed, by=person)
    assert Mitigation.objects.get(pk=previewed.pk).status == Mitigation.Status.PREVIEWED


def test_new_parameters_for_a_cancelled_mitigation_are_refused_before_any_call_to_the_cluster(
        cluster, k8s_target, make_incident, commander):
    incident = make_incident(severity="SEV3", acknowledge=True)
    mitigation = services.mitigation_request(incident=incident, action="kubernetes.scale", target=k8s_target,
                                             params={"replicas": 4}, by=commander)
    services.mitigation_cancel(mitigation=mitigation, by=commander)
    calls = len(cluster.requests())
    with pytest.raises(MitigationError, match="cancelled; start a new one"):
        services.mitigation_change_params(mitigation=mitigation, params={"replicas": 5}, by=commander)
    assert len(cluster.requests()) == calls


def test_new_parameters_whose_dry_run_fails_are_refused_and_the_old_ones_kept(cluster, k8s_target, make_incident,
                                                                              commander):
    incident = make_incident(severity="SEV3", acknowledge=True)
    mitigation = services.mitigation_request(incident=incident, action="kubernetes.rollout_undo", target=k8s_target,
                                             params={}, by=commander)
    with pytest.raises(MitigationError, match="Preview failed"):
        services.mitigation_change_params(mitigation=mitigation, params={"to_revision": 99}, by=commander)
    kept = Mitigation.objects.get(pk=mitigation.pk)
    assert kept.params == mitigation.params and kept.params_digest == mitigation.params_digest
