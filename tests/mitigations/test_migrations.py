"""Migration 0004: a rollout being followed when it is applied gives the deployment's slot back."""

import pytest

from mitigations.models import Mitigation
from tests.migrations import migrate

pytestmark = pytest.mark.django_db(transaction=True)
BEFORE = [("mitigations", "0003_mitigation_cancelled_by")]
AFTER = [("mitigations", "0004_watching_takes_no_slot")]


def test_a_followed_rollout_frees_the_slot_it_held(k8s_target, make_incident, commander):
    incident = make_incident(severity="SEV2", acknowledge=True)
    old = migrate(BEFORE).get_model("mitigations", "Mitigation")  # the model as it was then, not today's fields
    try:
        following = old.objects.create(
            incident_id=incident.pk, action="kubernetes.rollout_status", target_id=k8s_target.pk, params={},
            params_digest="-", requested_by_id=commander.pk, status=Mitigation.Status.RUNNING,
            lock_key=f"{k8s_target.pk}:default/api")
        after = migrate(AFTER).get_model("mitigations", "Mitigation")
        assert after.objects.get(pk=following.pk).lock_key == ""
    finally:
        migrate(None)  # the later migrations too, for the tests that follow
