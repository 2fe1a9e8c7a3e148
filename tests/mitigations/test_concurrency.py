"""Two commanders clicking at the same moment, on the real PostgreSQL: one action per deployment, run once."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from mitigations import services
from mitigations.models import Mitigation

pytestmark = pytest.mark.django_db(transaction=True)


def _confirm(mitigation, user):
    try:
        services.mitigation_confirm(mitigation=mitigation, by=user, confirm="bharatcart-api")
        return "queued"
    except services.MitigationError:
        return "refused"
    finally:
        connection.close()


def test_a_double_click_queues_once(cluster, k8s_target, make_incident, commander):
    incident = make_incident(severity="SEV3", acknowledge=True)
    mitigation = services.mitigation_request(incident=incident, action="kubernetes.scale", target=k8s_target,
                                             params={"replicas": 5}, by=commander)
    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(lambda _: _confirm(mitigation, commander), range(4)))
    assert sorted(outcomes) == ["queued", "refused", "refused", "refused"]
    assert incident.entries.filter(data__event="confirmed").count() == 1


def test_two_actions_on_one_deployment_at_once_one_is_refused(cluster, k8s_target, make_incident, commander,
                                                              second_commander):
    incident = make_incident(severity="SEV3", acknowledge=True)
    first, second = (services.mitigation_request(incident=incident, action="kubernetes.scale", target=k8s_target,
                                                 params={"replicas": n}, by=commander) for n in (5, 8))
    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = sorted(pool.map(_confirm, [first, second], [commander, second_commander]))
    assert outcomes == ["queued", "refused"]
    assert Mitigation.objects.filter(status="queued").count() == 1
