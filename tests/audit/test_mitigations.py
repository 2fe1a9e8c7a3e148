"""Each step of a mitigation is in the audit log: who took it, from where, on which mitigation; refusals are not."""

import pytest
from django.test import Client

from audit.models import Action, AuditEvent

pytestmark = pytest.mark.django_db


def _as(user, ip: str) -> Client:
    client = Client(REMOTE_ADDR=ip, HTTP_USER_AGENT=f"curl/8.5 ({user.username})")
    client.force_login(user)
    return client


def _post(client: Client, url: str, body: dict | None = None):
    return client.post(url, body or {}, content_type="application/json")


def test_prepare_approve_execute_and_cancel_are_recorded(cluster, k8s_target, commander, second_commander,
                                                          make_incident):
    incident = make_incident(title="Checkout down", severity="SEV1", acknowledge=True)
    mine, deputy = _as(commander, "198.51.100.10"), _as(second_commander, "2001:db8::20")
    undo = _post(mine, f"/api/incidents/{incident.pk}/mitigations/",
                 {"action": "kubernetes.rollout_undo", "target": "prod-api", "params": {}}).json()
    assert _post(mine, f"/api/mitigations/{undo['id']}/approve/").status_code == 409  # refused: not recorded
    assert _post(deputy, f"/api/mitigations/{undo['id']}/approve/").status_code == 200
    assert _post(mine, f"/api/mitigations/{undo['id']}/confirm/", {"confirm": "bharatcart-api"}).status_code == 202
    scale = _post(mine, f"/api/incidents/{incident.pk}/mitigations/",
                  {"action": "kubernetes.scale", "target": "prod-api", "params": {"replicas": 4}}).json()
    assert _post(deputy, f"/api/mitigations/{scale['id']}/cancel/").status_code == 200

    events = list(AuditEvent.objects.filter(action__startswith="mitigation.").order_by("pk"))  # not force_login's
    assert [(e.action, e.actor_name, e.ip, e.target_id) for e in events] == [
        (Action.MITIGATION_PREPARE, "commander", "198.51.100.10", str(undo["id"])),
        (Action.MITIGATION_APPROVE, "deputy", "2001:db8::20", str(undo["id"])),
        (Action.MITIGATION_EXECUTE, "commander", "198.51.100.10", str(undo["id"])),
        (Action.MITIGATION_PREPARE, "commander", "198.51.100.10", str(scale["id"])),
        (Action.MITIGATION_CANCEL, "deputy", "2001:db8::20", str(scale["id"])),
    ]
    assert {e.target_type for e in events} == {"mitigations.mitigation"}
    assert events[1].user_agent == "curl/8.5 (deputy)" and events[0].actor == commander
    assert events[2].details["approved_by"] == "deputy" and events[2].details["status"] == "queued"
    assert events[3].details == {"incident": incident.pk, "action": "kubernetes.scale", "target_name": "prod-api",
                                 "params": {"replicas": 4}, "status": "previewed"}


def test_changing_the_parameters_is_recorded_from_the_page_too(cluster, k8s_target, commander, make_incident):
    incident = make_incident(title="Slow", severity="SEV3", acknowledge=True)
    page = _as(commander, "192.0.2.44")
    response = page.post(f"/incidents/{incident.pk}/mitigations/",
                         {"action": "kubernetes.scale", "target": "prod-api", "replicas": "6"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    pk = AuditEvent.objects.get(action=Action.MITIGATION_PREPARE).target_id
    assert page.patch(f"/api/mitigations/{pk}/", {"params": {"replicas": 7}},
                      content_type="application/json").status_code == 200
    changed = AuditEvent.objects.get(action=Action.MITIGATION_CHANGE)
    assert (changed.actor_name, changed.ip, changed.details["params"]) == ("commander", "192.0.2.44", {"replicas": 7})
