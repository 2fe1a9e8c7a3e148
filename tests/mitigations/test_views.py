"""The mitigations panel on the incident page."""

import pytest
from django.urls import reverse

from mitigations import services
from mitigations.models import Mitigation
from tests.workers import worker_tasks

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
    assert ok.status_code == 200 and len(worker_tasks(queued)) == 1
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


# --- two commanders: each person sees only the buttons they may press, and why not the others ------------------

def page(client, user, incident) -> str:
    client.force_login(user)
    return client.get(f"/incidents/{incident.pk}/").content.decode()


def test_the_approver_sees_no_execute_button_and_why(client, commander, second_commander, sev2, k8s_target):
    mitigation = services.mitigation_request(incident=sev2, action="kubernetes.rollout_undo", target=k8s_target,
                                             params={}, by=commander)
    before = page(client, commander, sev2)
    assert "You prepared this: another commander must approve it." in before
    assert 'name="approve"' not in before and 'name="execute"' not in before
    services.mitigation_approve(mitigation=mitigation, by=second_commander)
    approver = page(client, second_commander, sev2)
    assert "You approved this: another commander must execute it." in approver
    assert 'name="execute"' not in approver and 'name="approve"' not in approver
    preparer = page(client, commander, sev2)
    assert 'name="execute"' in preparer and "You approved this" not in preparer


def test_a_responder_sees_no_commander_buttons_and_why(client, commander, responder, sev2, k8s_target):
    services.mitigation_request(incident=sev2, action="kubernetes.rollout_undo", target=k8s_target, params={},
                                by=commander)
    html = page(client, responder, sev2)
    assert "Only commanders approve, execute and cancel mitigations." in html
    for button in ('name="approve"', 'name="execute"', 'name="cancel"'):
        assert button not in html


def test_the_panel_speaks_in_words(client, commander, sev2, k8s_target):
    services.mitigation_request(incident=sev2, action="kubernetes.rollout_undo", target=k8s_target,
                                params={"to_revision": 9}, by=commander)
    html = page(client, commander, sev2)
    assert '<div class="mitigation-what">Roll back bharatcart-api to revision 9.</div>' in html
    assert "{'to_revision'" not in html and "kubernetes.rollout_undo on" not in html


# --- cancel from the page -----------------------------------------------------------------------------------------

@pytest.fixture
def previewed(cluster, k8s_target, sev2, commander):
    return services.mitigation_request(incident=sev2, action="kubernetes.scale", target=k8s_target,
                                       params={"replicas": 5}, by=commander)


def cancel_url(mitigation) -> str:
    return reverse("mitigations:cancel", kwargs={"pk": mitigation.incident_id, "mitigation_pk": mitigation.pk})


def test_cancel_from_the_page(client, commander, previewed):
    client.force_login(commander)
    assert 'name="cancel"' in client.get(f"/incidents/{previewed.incident_id}/").content.decode()
    response = client.post(cancel_url(previewed), **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Cancelled by @commander" in html and 'name="cancel"' not in html
    assert Mitigation.objects.get(pk=previewed.pk).status == Mitigation.Status.CANCELLED


def test_cancel_of_a_running_one_is_409_with_a_message(client, commander, previewed,
                                                        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        services.mitigation_confirm(mitigation=previewed, by=commander, confirm="bharatcart-api")
    services.mitigation_claim(previewed.pk)
    client.force_login(commander)
    response = client.post(cancel_url(previewed), **HTMX)
    assert response.status_code == 409 and "cannot be cancelled" in response.content.decode()
    assert Mitigation.objects.get(pk=previewed.pk).status == Mitigation.Status.RUNNING


@pytest.mark.parametrize(("who", "status"), [("commander", 200), ("responder", 403), ("viewer", 403),
                                             ("outsider", 403), ("anonymous", 302)])
def test_who_may_cancel_from_the_page(client, people, previewed, who, status):
    if people[who]:
        client.force_login(people[who])
    response = client.post(cancel_url(previewed), **HTMX)
    assert response.status_code == status
    if who == "anonymous":
        assert response["Location"].startswith("/accounts/login/")
    expected = Mitigation.Status.CANCELLED if status == 200 else Mitigation.Status.PREVIEWED
    assert Mitigation.objects.get(pk=previewed.pk).status == expected


def test_cancel_of_a_mitigation_from_another_incident_is_404(client, commander, previewed, make_incident):
    other = make_incident(title="Another one", severity="SEV3", acknowledge=True)
    client.force_login(commander)
    response = client.post(reverse("mitigations:cancel", kwargs={"pk": other.pk, "mitigation_pk": previewed.pk}))
    assert response.status_code == 404
