"""Two commanders clicking at the same moment, on the real PostgreSQL: one action per deployment, run once."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from mitigations import services
from mitigations.models import Mitigation
from tests.workers import poll

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def settled() -> bool:
    """The queued one really runs on the session's worker; wait for it before the cluster goes away."""
    return not Mitigation.objects.filter(status__in=["queued", "running"]).exists()


def _confirm(mitigation, user):
    try:
        services.mitigation_confirm(mitigation=mitigation, by=user, confirm="bharatcart-api")
        return "queued"
    except services.MitigationError:
        return "refused"
    finally:
        connection.close()


def test_a_double_click_queues_once(celery_worker, cluster, k8s_target, make_incident, commander):
    incident = make_incident(severity="SEV3", acknowledge=True)
    mitigation = services.mitigation_request(incident=incident, action="kubernetes.scale", target=k8s_target,
                                             params={"replicas": 5}, by=commander)
    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(lambda _: _confirm(mitigation, commander), range(4)))
    assert sorted(outcomes) == ["queued", "refused", "refused", "refused"]
    assert incident.entries.filter(data__event="confirmed").count() == 1
    poll(settled, what="the mitigation to finish")
    assert Mitigation.objects.get().status == "succeeded"


def test_two_actions_on_one_deployment_at_once_one_is_refused(celery_worker, cluster, k8s_target, make_incident,
                                                              commander, second_commander):
    incident = make_incident(severity="SEV3", acknowledge=True)
    first, second = (services.mitigation_request(incident=incident, action="kubernetes.scale", target=k8s_target,
                                                 params={"replicas": n}, by=commander) for n in (5, 8))
    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = sorted(pool.map(_confirm, [first, second], [commander, second_commander]))
    assert outcomes == ["queued", "refused"]
    assert Mitigation.objects.exclude(status="previewed").count() == 1
    poll(settled, what="the mitigation to finish")
    assert Mitigation.objects.filter(status="succeeded").count() == 1
