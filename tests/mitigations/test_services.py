"""The safety rules, over a real HTTP Kubernetes API: preview first, confirm by name, approval, one at a time."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from mitigations import services
from mitigations.actions import ActionParamError
from mitigations.models import Mitigation
from mitigations.services import MitigationError
from tests.workers import worker_tasks

pytestmark = pytest.mark.django_db


@pytest.fixture
def sev1(make_incident):
    return make_incident(title="Checkout down", severity="SEV1", acknowledge=True)


@pytest.fixture
def sev3(make_incident):
    return make_incident(title="Slow search", severity="SEV3", acknowledge=True)


def writes(cluster) -> list:
    """Requests that would change the cluster if the server honoured them (PATCH, POST, PUT, DELETE)."""
    return [r for r in cluster.requests() if r.method.upper() in ("PATCH", "POST", "PUT", "DELETE")]


def test_preview_sends_only_a_dry_run_and_records_it(cluster, k8s_target, sev3, commander,
                                                     django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as queued:
        mitigation = services.mitigation_request(incident=sev3, action="kubernetes.scale", target=k8s_target,
                                                 params={"replicas": 6}, by=commander)
    assert not worker_tasks(queued)  # nothing goes to a worker before confirmation
    assert mitigation.status == Mitigation.Status.PREVIEWED
    assert {"what": "replicas", "before": 3, "after": 6} in mitigation.preview["changes"]
    assert [r.params.get("dryRun") for r in writes(cluster)] == ["All"]
    assert sev3.entries.latest("pk").data["event"] == "preview"


def test_undo_preview_shows_revision_and_image_before_and_after(cluster, k8s_target, sev3, commander):
    mitigation = services.mitigation_request(incident=sev3, action="kubernetes.rollout_undo", target=k8s_target,
                                             params={}, by=commander)
    changes = {c["what"]: (c["before"], c["after"]) for c in mitigation.preview["changes"]}
    assert changes["revision"] == (10, 9)
    assert len(changes) >= 2  # the revision, and each container's image


def test_wrong_name_is_refused_and_nothing_is_queued(cluster, k8s_target, sev3, commander,
                                                    django_capture_on_commit_callbacks):
    mitigation = services.mitigation_request(incident=sev3, action="kubernetes.scale", target=k8s_target,
                                             params={"replicas": 5}, by=commander)
    with django_capture_on_commit_callbacks() as queued, pytest.raises(ValidationError, match="bharatcart-api"):
        services.mitigation_confirm(mitigation=mitigation, by=commander, confirm="bharatcart-ap")
    assert not worker_tasks(queued)
    assert Mitigation.objects.get(pk=mitigation.pk).status == Mitigation.Status.PREVIEWED


def test_confirm_queues_once_and_a_double_click_is_refused(cluster, k8s_target, sev3, commander,
                                                          django_capture_on_commit_callbacks):
    mitigation = services.mitigation_request(incident=sev3, action="kubernetes.scale", target=k8s_target,
                                             params={"replicas": 5}, by=commander)
    with django_capture_on_commit_callbacks() as queued:
        services.mitigation_confirm(mitigation=mitigation, by=commander, confirm="bharatcart-api")
    assert len(worker_tasks(queued)) == 1
    with pytest.raises(MitigationError, match="runs once"):
        services.mitigation_confirm(mitigation=mitigation, by=commander, confirm="bharatcart-api")
    assert services.mitigation_claim(mitigation.pk) is True
    assert services.mitigation_claim(mitigation.pk) is False  # a redelivered task does nothing


def test_sev1_destructive_action_needs_a_second_commanders_approval(cluster, k8s_target, sev1, commander,
                                                                   second_commander):
    mitigation = services.mitigation_request(incident=sev1, action="kubernetes.rollout_undo", target=k8s_target,
                                             params={}, by=commander)
    with pytest.raises(MitigationError, match="second commander"):
        services.mitigation_confirm(mitigation=mitigation, by=commander, confirm="bharatcart-api")
    with pytest.raises(MitigationError, match="You prepared this: another commander must approve it"):
        services.mitigation_approve(mitigation=mitigation, by=commander)
    services.mitigation_approve(mitigation=mitigation, by=second_commander)
    confirmed = services.mitigation_confirm(mitigation=mitigation, by=commander, confirm="bharatcart-api")
    assert confirmed.status == Mitigation.Status.QUEUED


def test_scale_on_sev1_needs_no_approval(cluster, k8s_target, sev1, commander):
    mitigation = services.mitigation_request(incident=sev1, action="kubernetes.scale", target=k8s_target,
                                             params={"replicas": 4}, by=commander)
    assert services.mitigation_confirm(mitigation=mitigation, by=commander, confirm="bharatcart-api").status == "queued"


def test_changing_parameters_voids_the_approval(cluster, k8s_target, sev1, commander, second_commander):
    mitigation = services.mitigation_request(incident=sev1, action="kubernetes.rollout_undo", target=k8s_target,
                                             params={}, by=commander)
    services.mitigation_approve(mitigation=mitigation, by=second_commander)
    mitigation = services.mitigation_change_params(mitigation=mitigation, params={"to_revision": 9}, by=commander)
    assert not mitigation.approval_valid
    with pytest.raises(MitigationError, match="parameters changed"):
        services.mitigation_confirm(mitigation=mitigation, by=commander, confirm="bharatcart-api")
    assert "no longer applies" in sev1.entries.latest("pk").text


def test_an_expired_approval_is_refused(cluster, k8s_target, sev1, commander, second_commander):
    mitigation = services.mitigation_request(incident=sev1, action="kubernetes.rollout_undo", target=k8s_target,
                                             params={}, by=commander)
    services.mitigation_approve(mitigation=mitigation, by=second_commander)
    Mitigation.objects.filter(pk=mitigation.pk).update(approval_expires_at=timezone.now() - dt.timedelta(seconds=1))
    with pytest.raises(MitigationError, match="expired"):
        services.mitigation_confirm(mitigation=mitigation, by=commander, confirm="bharatcart-api")


def test_two_actions_on_one_deployment_one_is_refused_naming_who(cluster, k8s_target, sev3, commander,
                                                                 second_commander):
    first = services.mitigation_request(incident=sev3, action="kubernetes.scale", target=k8s_target,
                                        params={"replicas": 5}, by=commander)
    second = services.mitigation_request(incident=sev3, action="kubernetes.scale", target=k8s_target,
                                         params={"replicas": 8}, by=second_commander)
    services.mitigation_confirm(mitigation=first, by=commander, confirm="bharatcart-api")
    with pytest.raises(MitigationError, match="busy: scale bharatcart-api to 5 replicas, confirmed by @commander"):
        services.mitigation_confirm(mitigation=second, by=second_commander, confirm="bharatcart-api")
    assert Mitigation.objects.get(pk=second.pk).status == Mitigation.Status.PREVIEWED


def test_responder_can_preview_but_not_approve_or_execute(cluster, k8s_target, sev3, responder, commander):
    mitigation = services.mitigation_request(incident=sev3, action="kubernetes.scale", target=k8s_target,
                                             params={"replicas": 5}, by=responder)
    with pytest.raises(PermissionDenied):
        services.mitigation_confirm(mitigation=mitigation, by=responder, confirm="bharatcart-api")
    with pytest.raises(PermissionDenied):
        services.mitigation_approve(mitigation=mitigation, by=responder)


def test_viewer_cannot_even_preview(k8s_target, sev3, viewer):
    with pytest.raises(PermissionDenied):
        services.mitigation_request(incident=sev3, action="kubernetes.scale", target=k8s_target,
                                    params={"replicas": 5}, by=viewer)


@pytest.mark.parametrize("replicas", [1, 13, "ten"])
def test_scale_outside_the_targets_bounds_is_refused(k8s_target, sev3, commander, replicas):
    with pytest.raises(ActionParamError):
        services.mitigation_request(incident=sev3, action="kubernetes.scale", target=k8s_target,
                                    params={"replicas": replicas}, by=commander)
    assert not Mitigation.objects.exists()


def test_maintenance_needs_a_manifest(k8s_target, sev3, commander):
    with pytest.raises(ActionParamError, match="no maintenance manifest"):
        services.mitigation_request(incident=sev3, action="kubernetes.maintenance_on", target=k8s_target,
                                    params={}, by=commander)


def test_execute_scales_and_follows_the_rollout_to_complete(cluster, k8s_target, sev3, commander, settings):
    settings.MITIGATION_ROLLOUT_SECONDS = 20
    mitigation = services.mitigation_request(incident=sev3, action="kubernetes.scale", target=k8s_target,
                                             params={"replicas": 5}, by=commander)
    services.mitigation_confirm(mitigation=mitigation, by=commander, confirm="bharatcart-api")
    services.mitigation_claim(mitigation.pk)
    mitigation = services.mitigation_execute(mitigation.pk)
    assert mitigation.status == Mitigation.Status.SUCCEEDED, mitigation.error
    assert mitigation.rollout["state"] == "complete"
    assert cluster.deployment()["spec"]["replicas"] == 5
    real = [r for r in writes(cluster) if not r.params.get("dryRun")]
    assert len(real) == 1 and real[0].params.get("fieldManager") == "warroom"
    events = list(sev3.entries.filter(kind="mitigation").values_list("data__event", flat=True))
    assert events == ["preview", "confirmed", "executed", "finished"]


def test_a_down_api_fails_the_preview_with_a_clear_error(down_k8s_target, sev3, commander):
    with pytest.raises(MitigationError, match="Preview failed"):
        services.mitigation_request(incident=sev3, action="kubernetes.scale", target=down_k8s_target,
                                    params={"replicas": 4}, by=commander)
    failed = Mitigation.objects.get()
    assert failed.status == Mitigation.Status.FAILED and failed.error
    assert "failed" in sev3.entries.latest("pk").text


def test_resolved_incident_takes_no_mitigations(k8s_target, make_incident, commander):
    incident = make_incident(status="resolved")
    with pytest.raises(MitigationError, match="resolved"):
        services.mitigation_request(incident=incident, action="kubernetes.scale", target=k8s_target,
                                    params={"replicas": 4}, by=commander)


def test_maintenance_on_then_off_applies_and_removes_the_manifest(cluster, k8s_target, sev3, commander,
                                                                  maintenance_manifest, settings):
    from mitigations.models import MaintenanceManifest

    settings.MITIGATION_ROLLOUT_SECONDS = 10
    MaintenanceManifest.objects.create(target=k8s_target, version=1, yaml=maintenance_manifest, created_by=commander)
    on = services.mitigation_request(incident=sev3, action="kubernetes.maintenance_on", target=k8s_target,
                                     params={}, by=commander)
    assert on.preview["objects"] and on.manifest.version == 1
    services.mitigation_confirm(mitigation=on, by=commander, confirm="bharatcart-api")
    services.mitigation_claim(on.pk)
    on = services.mitigation_execute(on.pk)
    assert on.status == Mitigation.Status.SUCCEEDED, on.error
    applied = [r for r in writes(cluster) if r.method.upper() == "PATCH" and not r.params.get("dryRun")]
    assert applied and all(r.params.get("fieldManager") == "warroom" for r in applied)

    off = services.mitigation_request(incident=sev3, action="kubernetes.maintenance_off", target=k8s_target,
                                      params={}, by=commander)
    services.mitigation_confirm(mitigation=off, by=commander, confirm="bharatcart-api")
    services.mitigation_claim(off.pk)
    off = services.mitigation_execute(off.pk)
    assert off.status == Mitigation.Status.SUCCEEDED, off.error
    deleted = [r for r in writes(cluster) if r.method.upper() == "DELETE" and not r.params.get("dryRun")]
    assert len(deleted) == len(applied)


def test_a_lost_worker_never_leaves_a_mitigation_running(cluster, k8s_target, sev3, commander):
    mitigation = services.mitigation_request(incident=sev3, action="kubernetes.scale", target=k8s_target,
                                             params={"replicas": 4}, by=commander)
    services.mitigation_confirm(mitigation=mitigation, by=commander, confirm="bharatcart-api")
    services.mitigation_claim(mitigation.pk)
    Mitigation.objects.filter(pk=mitigation.pk).update(started_at=timezone.now() - dt.timedelta(hours=1))
    assert services.mitigations_reap() == 1
    mitigation.refresh_from_db()
    assert mitigation.status == Mitigation.Status.FAILED and "worker was lost" in mitigation.error
