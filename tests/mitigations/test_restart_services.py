"""The new actions under the existing rules: preview first, confirm by name (the pod's name for deleting a pod), no
second commander (neither is destructive: README), one action per deployment across all actions."""

import copy

import pytest
from django.core.exceptions import ValidationError

from mitigations import services
from mitigations.models import Mitigation
from mitigations.services import MitigationError
from tests.mitigations.actions.helpers import DEPLOYMENTS, deployment, put
from tests.mitigations.actions.test_restart import PODS, pod
from tests.workers import worker_tasks

pytestmark = pytest.mark.django_db
POD = "bharatcart-api-6f7c9d8b45-aaaaa"


@pytest.fixture
def pods(cluster):
    dep = copy.deepcopy(deployment())
    dep["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] = 1  # 3 replicas, minimum 2 ready
    put(cluster, DEPLOYMENTS, dep)
    put(cluster, PODS, pod(POD), pod("bharatcart-api-6f7c9d8b45-bbbbb"), pod("bharatcart-api-6f7c9d8b45-ccccc"))
    return cluster


@pytest.fixture
def sev1(make_incident):
    return make_incident(title="Checkout leaking memory", severity="SEV1", acknowledge=True)


def test_restart_on_sev1_needs_no_second_commander(pods, k8s_target, sev1, commander,
                                                   django_capture_on_commit_callbacks):
    mitigation = services.mitigation_request(incident=sev1, action="kubernetes.rollout_restart", target=k8s_target,
                                             params={}, by=commander)
    assert not services.needs_approval(mitigation)
    assert "replace 3 pods" in mitigation.preview["summary"]
    with django_capture_on_commit_callbacks() as queued:
        services.mitigation_confirm(mitigation=mitigation, by=commander, confirm="bharatcart-api")
    assert len(worker_tasks(queued)) == 1
    entry = sev1.entries.filter(data__event="preview").latest("pk")
    assert entry.text.startswith("@commander previewed how to restart the pods of bharatcart-api one by one")


def test_delete_pod_is_confirmed_by_the_pods_name_not_the_deployments(pods, k8s_target, sev1, commander,
                                                                      django_capture_on_commit_callbacks):
    mitigation = services.mitigation_request(incident=sev1, action="kubernetes.delete_pod", target=k8s_target,
                                             params={"pod": POD}, by=commander)
    with django_capture_on_commit_callbacks() as queued, pytest.raises(ValidationError, match=f"the pod's name, {POD}"):
        services.mitigation_confirm(mitigation=mitigation, by=commander, confirm="bharatcart-api")
    assert not worker_tasks(queued)
    with django_capture_on_commit_callbacks() as queued:
        services.mitigation_confirm(mitigation=mitigation, by=commander, confirm=POD)
    assert len(worker_tasks(queued)) == 1


def test_delete_pod_refused_below_the_minimum_fails_its_preview_on_the_timeline(cluster, k8s_target, sev1,
                                                                                commander):
    put(cluster, PODS, pod(POD), pod("bharatcart-api-6f7c9d8b45-bbbbb"))  # maxUnavailable 25 % of 3 = 0
    with pytest.raises(MitigationError, match="would leave 1 ready pod of deployment bharatcart-api, below its "
                                              r"minimum of 3 \(3 replicas − maxUnavailable 0\); 2 ready now"):
        services.mitigation_request(incident=sev1, action="kubernetes.delete_pod", target=k8s_target,
                                    params={"pod": POD}, by=commander)
    assert Mitigation.objects.get().status == Mitigation.Status.FAILED
    assert "below its minimum of 3" in sev1.entries.latest("pk").text


@pytest.mark.parametrize(("first", "first_params", "second", "second_params"), [
    ("kubernetes.rollout_restart", {}, "kubernetes.delete_pod", {"pod": POD}),
    ("kubernetes.delete_pod", {"pod": POD}, "kubernetes.rollout_restart", {}),
    ("kubernetes.scale", {"replicas": 5}, "kubernetes.rollout_restart", {}),
    ("kubernetes.rollout_restart", {}, "kubernetes.scale", {"replicas": 5}),
])
def test_one_action_per_deployment_across_the_new_actions(pods, k8s_target, sev1, commander, second_commander,
                                                          django_capture_on_commit_callbacks,
                                                          first, first_params, second, second_params):
    def confirm_word(m):
        return m.params.get("pod") or "bharatcart-api"

    a = services.mitigation_request(incident=sev1, action=first, target=k8s_target, params=first_params,
                                    by=commander)
    b = services.mitigation_request(incident=sev1, action=second, target=k8s_target, params=second_params,
                                    by=commander)
    with django_capture_on_commit_callbacks():  # the worker never runs it: it stays queued, holding the slot
        services.mitigation_confirm(mitigation=a, by=commander, confirm=confirm_word(a))
    with pytest.raises(MitigationError, match=r"bharatcart-api is busy: .* One action at a time"):
        services.mitigation_confirm(mitigation=b, by=commander, confirm=confirm_word(b))
    assert Mitigation.objects.get(pk=b.pk).status == Mitigation.Status.PREVIEWED
    services.mitigation_cancel(mitigation=a, by=commander)
    with django_capture_on_commit_callbacks() as queued:
        services.mitigation_confirm(mitigation=b, by=commander, confirm=confirm_word(b))
    assert len(worker_tasks(queued)) == 1


def test_restart_executes_and_follows_the_rollout(pods, k8s_target, sev1, commander):
    mitigation = services.mitigation_request(incident=sev1, action="kubernetes.rollout_restart", target=k8s_target,
                                             params={}, by=commander)
    Mitigation.objects.filter(pk=mitigation.pk).update(status=Mitigation.Status.RUNNING)
    done = services.mitigation_execute(mitigation.pk)
    assert done.status == Mitigation.Status.SUCCEEDED
    executed = sev1.entries.filter(data__event="executed").get()
    assert executed.data["before"]["restartedAt"] is None
    assert executed.data["after"]["restartedAt"]
    assert "Rollout complete" in sev1.entries.latest("pk").text


HTMX = {"HTTP_HX_REQUEST": "true"}


def test_delete_pod_from_the_page_asks_for_the_pods_name(client, pods, k8s_target, sev1, commander,
                                                         django_capture_on_commit_callbacks):
    client.force_login(commander)
    bad = client.post(f"/incidents/{sev1.pk}/mitigations/",
                      {"action": "kubernetes.delete_pod", "target": "prod-api", "pod": "../etc"}, **HTMX)
    assert bad.status_code == 400 and "pod must be a pod&#x27;s name" in bad.content.decode()
    ok = client.post(f"/incidents/{sev1.pk}/mitigations/",
                     {"action": "kubernetes.delete_pod", "target": "prod-api", "pod": POD}, **HTMX)
    assert ok.status_code == 200
    mitigation = Mitigation.objects.get(status=Mitigation.Status.PREVIEWED)
    assert mitigation.params == {"pod": POD}
    html = ok.content.decode()
    assert f'placeholder="type {POD} to confirm"' in html and 'aria-label="Pod name"' in html
    url = f"/incidents/{sev1.pk}/mitigations/{mitigation.pk}/confirm/"
    wrong = client.post(url, {"confirm": "bharatcart-api"}, **HTMX)
    assert wrong.status_code == 400 and f"Type the pod&#x27;s name, {POD}, to confirm." in wrong.content.decode()
    with django_capture_on_commit_callbacks() as queued:
        assert client.post(url, {"confirm": POD}, **HTMX).status_code == 200
    assert len(worker_tasks(queued)) == 1


def test_the_panel_offers_a_restart_preview(client, commander, sev1, k8s_target):
    client.force_login(commander)
    assert 'name="preview-restart"' in client.get(f"/incidents/{sev1.pk}/").content.decode()
