"""The mitigations panel on the incident page."""

import pytest

from mitigations import services
from mitigations.models import Mitigation

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def sev2(make_incident):
    return make_incident(title="Payments failing", severity="SEV2", acknowledge=True)


def test_commander_sees_previews_for_each_deployment_and_the_dba_guidance(client, commander, sev2, k8s_target):
    client.force_login(commander)
    html = client.get(f"/incidents/{sev2.pk}/").content.decode()
    assert "deployment/bharatcart-api" in html
    for button in ("Preview rollback", "Preview scale", "Preview maintenance on", "Follow rollout"):
        assert button in html
    assert "contact the DBA team (@dba)" in html


def test_viewer_sees_mitigations_but_no_buttons(client, viewer, sev2, k8s_target):
    client.force_login(viewer)
    html = client.get(f"/incidents/{sev2.pk}/").content.decode()
    assert "Mitigations" in html and "Preview rollback" not in html
    response = client.post(f"/incidents/{sev2.pk}/mitigations/",
                           {"action": "kubernetes.scale", "target": "prod-api", "replicas": "4"}, **HTMX)
    assert response.status_code == 403


def test_preview_then_confirm_from_the_page(client, commander, sev2, k8s_target, django_capture_on_commit_callbacks):
    client.force_login(commander)
    preview = client.post(f"/incidents/{sev2.pk}/mitigations/",
                          {"action": "kubernetes.scale", "target": "prod-api", "replicas": "6"}, **HTMX)
    assert preview.status_code == 200
    html = preview.content.decode()
    assert "Would change" in html and "type bharatcart-api to confirm" in html
    mitigation = Mitigation.objects.get()
    url = f"/incidents/{sev2.pk}/mitigations/{mitigation.pk}/confirm/"
    wrong = client.post(url, {"confirm": "nope"}, **HTMX)
    assert wrong.status_code == 400 and "Type the deployment name" in wrong.content.decode()
    with django_capture_on_commit_callbacks() as queued:
        ok = client.post(url, {"confirm": "bharatcart-api"}, **HTMX)
    assert ok.status_code == 200 and len(queued) == 1
    again = client.post(url, {"confirm": "bharatcart-api"}, **HTMX)
    assert again.status_code == 409


def test_approval_button_for_a_second_commander_only(client, commander, second_commander, sev2, k8s_target):
    mitigation = services.mitigation_request(incident=sev2, action="kubernetes.rollout_undo", target=k8s_target,
                                             params={}, by=commander)
    client.force_login(commander)
    own = client.get(f"/incidents/{sev2.pk}/").content.decode()
    assert "needs a second commander" in own and 'name="approve"' not in own
    client.force_login(second_commander)
    assert 'name="approve"' in client.get(f"/incidents/{sev2.pk}/").content.decode()
    approved = client.post(f"/incidents/{sev2.pk}/mitigations/{mitigation.pk}/approve/", **HTMX)
    assert approved.status_code == 200 and "Approved by @deputy" in approved.content.decode()


@pytest.mark.parametrize("data", [{"action": "kubernetes.scale", "target": "prod-api", "replicas": "99"},
                                  {"action": "kubernetes.scale", "target": "prod-api", "replicas": "six"},
                                  {"action": "kubernetes.nuke", "target": "prod-api"},
                                  {"action": "kubernetes.scale", "target": "ghost", "replicas": "3"}])
def test_bad_requests_are_400_with_a_message(client, commander, sev2, k8s_target, data):
    client.force_login(commander)
    response = client.post(f"/incidents/{sev2.pk}/mitigations/", data, **HTMX)
    assert response.status_code == 400 and 'class="error-box"' in response.content.decode()
    assert not Mitigation.objects.exists()
