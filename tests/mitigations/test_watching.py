"""Watching is not acting: following a rollout takes no slot, so a rollback can start while it is followed."""

import pytest

from mitigations import services
from mitigations.models import Mitigation
from tests.workers import worker_tasks

pytestmark = pytest.mark.django_db
DEPLOYMENT = "bharatcart-api"


@pytest.fixture
def following(cluster, k8s_target, incident_at, commander, django_capture_on_commit_callbacks):
    """A rollout being followed: queued for a worker (which this test never runs), so it stays active."""
    with django_capture_on_commit_callbacks():
        return services.mitigation_request(incident=incident_at("SEV2"), action="kubernetes.rollout_status",
                                           target=k8s_target, params={}, by=commander)


def test_a_rollback_starts_while_the_rollout_is_followed(following, k8s_target, commander, second_commander,
                                                          django_capture_on_commit_callbacks):
    assert following.status == Mitigation.Status.QUEUED and following.lock_key == ""
    undo = services.mitigation_request(incident=following.incident, action="kubernetes.rollout_undo",
                                       target=k8s_target, params={}, by=commander)
    services.mitigation_approve(mitigation=undo, by=second_commander)
    with django_capture_on_commit_callbacks() as queued:
        confirmed = services.mitigation_confirm(mitigation=undo, by=commander, confirm=DEPLOYMENT)
    assert confirmed.status == Mitigation.Status.QUEUED and len(worker_tasks(queued)) == 1
    assert Mitigation.objects.filter(status=Mitigation.Status.QUEUED).count() == 2


def test_two_people_follow_the_same_rollout(following, k8s_target, second_commander,
                                           django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        again = services.mitigation_request(incident=following.incident, action="kubernetes.rollout_status",
                                            target=k8s_target, params={}, by=second_commander)
    assert again.status == Mitigation.Status.QUEUED


def test_changes_still_take_the_slot_while_a_rollout_is_followed(following, k8s_target, commander,
                                                                 second_commander):
    first, second = (services.mitigation_request(incident=following.incident, action="kubernetes.scale",
                                                 target=k8s_target, params={"replicas": n}, by=commander)
                     for n in (5, 8))
    services.mitigation_confirm(mitigation=first, by=commander, confirm=DEPLOYMENT)
    with pytest.raises(services.MitigationError, match="busy: scale bharatcart-api to 5 replicas"):
        services.mitigation_confirm(mitigation=second, by=second_commander, confirm=DEPLOYMENT)
