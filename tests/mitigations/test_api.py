"""The mitigations API: request with its preview, approve, confirm, read; errors as JSON."""

import pytest
from django.urls import reverse

from mitigations import services
from mitigations.models import Mitigation

pytestmark = pytest.mark.django_db


@pytest.fixture
def sev1(make_incident):
    return make_incident(title="Checkout down", severity="SEV1", acknowledge=True)


def request_undo(api, user, incident, **params):
    return api(user).post(f"/api/incidents/{incident.pk}/mitigations/",
                          {"action": "kubernetes.rollout_undo", "target": "prod-api", "params": params}, format="json")


def test_request_answers_201_with_the_preview(api, cluster, k8s_target, commander, sev1):
    response = request_undo(api, commander, sev1)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "previewed" and body["deployment"] == "bharatcart-api"
    assert body["preview"]["summary"] and body["preview"]["changes"]
    assert api(commander).get(f"/api/mitigations/{body['id']}/").json()["id"] == body["id"]
    assert [m["id"] for m in api(commander).get(f"/api/incidents/{sev1.pk}/mitigations/").json()] == [body["id"]]


def test_the_full_safety_path_over_the_api(api, cluster, k8s_target, commander, second_commander, sev1):
    mitigation = request_undo(api, commander, sev1).json()
    confirm = f"/api/mitigations/{mitigation['id']}/confirm/"
    assert api(commander).post(confirm, {"confirm": "bharatcart-api"}, format="json").status_code == 409
    assert api(commander).post(f"/api/mitigations/{mitigation['id']}/approve/").status_code == 409  # not yourself
    approved = api(second_commander).post(f"/api/mitigations/{mitigation['id']}/approve/")
    assert approved.status_code == 200 and approved.json()["approval_valid"] is True
    wrong = api(commander).post(confirm, {"confirm": "bharatcart"}, format="json")
    assert wrong.status_code == 400 and "bharatcart-api" in wrong.json()["detail"]
    ok = api(commander).post(confirm, {"confirm": "bharatcart-api"}, format="json")
    assert ok.status_code == 202 and ok.json()["status"] == "queued"
    again = api(commander).post(confirm, {"confirm": "bharatcart-api"}, format="json")
    assert again.status_code == 409


def test_patching_params_voids_the_approval(api, cluster, k8s_target, commander, second_commander, sev1):
    mitigation = request_undo(api, commander, sev1).json()
    api(second_commander).post(f"/api/mitigations/{mitigation['id']}/approve/")
    patched = api(commander).patch(f"/api/mitigations/{mitigation['id']}/", {"params": {"to_revision": 8}},
                                   format="json")
    assert patched.status_code == 200 and patched.json()["approval_valid"] is False
    assert patched.json()["params"] == {"to_revision": 8}


@pytest.mark.parametrize(
    "payload",
    [{"action": "kubernetes.explode", "target": "prod-api"},
     {"action": "kubernetes.scale", "target": "nowhere", "params": {"replicas": 3}},
     {"action": "kubernetes.scale", "target": "prod-api", "params": {"replicas": 500}},
     {"action": "kubernetes.scale", "target": "prod-api", "params": {"replicas": 3, "force": True}},
     {"target": "prod-api"}],
)
def test_bad_requests_are_400(api, k8s_target, commander, sev1, payload):
    response = api(commander).post(f"/api/incidents/{sev1.pk}/mitigations/", payload, format="json")
    assert response.status_code == 400 and response.json()["detail"]
    assert not Mitigation.objects.exists()


def test_responder_previews_but_cannot_confirm_or_approve(api, cluster, k8s_target, responder, sev1):
    mitigation = request_undo(api, responder, sev1)
    assert mitigation.status_code == 201
    pk = mitigation.json()["id"]
    assert api(responder).post(f"/api/mitigations/{pk}/approve/").status_code == 403
    assert api(responder).post(f"/api/mitigations/{pk}/confirm/", {"confirm": "bharatcart-api"},
                               format="json").status_code == 403


def test_viewer_reads_but_cannot_request(api, k8s_target, viewer, sev1):
    assert api(viewer).get(f"/api/incidents/{sev1.pk}/mitigations/").status_code == 200
    assert request_undo(api, viewer, sev1).status_code == 403


# --- cancel -------------------------------------------------------------------------------------------------------

@pytest.fixture
def previewed(cluster, k8s_target, commander, sev1):
    return services.mitigation_request(incident=sev1, action="kubernetes.scale", target=k8s_target,
                                       params={"replicas": 5}, by=commander)


def cancel_url(mitigation) -> str:
    return reverse("mitigations-api:cancel", kwargs={"pk": mitigation.pk})


@pytest.mark.parametrize(("who", "status"), [("commander", 200), ("responder", 403), ("viewer", 403),
                                             ("outsider", 403), ("anonymous", 401)])
def test_who_may_cancel_over_the_api(api, people, previewed, who, status):
    response = api(people[who]).post(cancel_url(previewed))
    assert response.status_code == status, response.json()
    assert response.json()["status" if status == 200 else "detail"]
    expected = Mitigation.Status.CANCELLED if status == 200 else Mitigation.Status.PREVIEWED
    assert Mitigation.objects.get(pk=previewed.pk).status == expected


def test_cancel_answers_with_who_cancelled(api, commander, previewed):
    body = api(commander).post(cancel_url(previewed)).json()
    assert body["status"] == "cancelled" and body["cancelled_by"] == "commander"


def test_cancel_of_a_running_one_is_409(api, commander, previewed, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        services.mitigation_confirm(mitigation=previewed, by=commander, confirm="bharatcart-api")
    services.mitigation_claim(previewed.pk)
    response = api(commander).post(cancel_url(previewed))
    assert response.status_code == 409 and "cannot be cancelled" in response.json()["detail"]


def test_cancel_of_an_unknown_mitigation_is_404(api, commander, db):
    assert api(commander).post(reverse("mitigations-api:cancel", kwargs={"pk": 999999})).status_code == 404
