"""Timeline and panel texts read as sentences: parameters in words, never a Python repr or an action's code."""

import datetime as dt
import re

import pytest

from mitigations import services
from mitigations.models import MaintenanceManifest, Mitigation
from targets.models import Target

DEPLOYMENT = "bharatcart-api"
CODE = re.compile(r"[{}\[\]]|None|True|False|kubernetes\.|\w_\w")


def words(action: str, params: dict, manifest=None) -> str:
    target = Target(name="prod-api", kind="kubernetes", namespace="default", deployment=DEPLOYMENT)
    return services.in_words(Mitigation(action=action, target=target, params=params, manifest=manifest))


@pytest.mark.parametrize(("action", "params", "expected"), [
    ("kubernetes.rollout_undo", {"to_revision": None}, "roll back bharatcart-api to the previous revision"),
    ("kubernetes.rollout_undo", {}, "roll back bharatcart-api to the previous revision"),
    ("kubernetes.rollout_undo", {"to_revision": 3}, "roll back bharatcart-api to revision 3"),
    ("kubernetes.scale", {"replicas": 10}, "scale bharatcart-api to 10 replicas"),
    ("kubernetes.scale", {"replicas": 1}, "scale bharatcart-api to 1 replica"),
    ("kubernetes.maintenance_off", {}, "turn maintenance mode off for bharatcart-api"),
    ("kubernetes.rollout_status", {}, "follow the rollout of bharatcart-api"),
])
def test_each_action_and_its_parameters_in_words(action, params, expected):
    assert words(action, params) == expected


def test_the_maintenance_manifest_is_named_by_its_version():
    manifest = MaintenanceManifest(pk=1, version=4)
    assert words("kubernetes.maintenance_on", {}, manifest) == ("turn maintenance mode on for bharatcart-api "
                                                                "with maintenance manifest v4")


@pytest.mark.django_db
def test_every_timeline_text_of_a_mitigations_life_reads_as_a_sentence(cluster, k8s_target, incident_at, commander,
                                                                       second_commander, settings,
                                                                       django_capture_on_commit_callbacks):
    settings.MITIGATION_ROLLOUT_SECONDS = 10
    incident = incident_at("SEV1")
    undo = services.mitigation_request(incident=incident, action="kubernetes.rollout_undo", target=k8s_target,
                                       params={}, by=commander)
    services.mitigation_approve(mitigation=undo, by=second_commander)
    approval = incident.entries.latest("pk").text
    assert approval == f"@deputy approved: roll back {DEPLOYMENT} to the previous revision, valid for 15 min."
    services.mitigation_change_params(mitigation=undo, params={"to_revision": 9}, by=commander)
    services.mitigation_approve(mitigation=undo, by=second_commander)
    assert "roll back bharatcart-api to revision 9" in incident.entries.latest("pk").text
    services.mitigation_confirm(mitigation=undo, by=commander, confirm=DEPLOYMENT)
    services.mitigation_claim(undo.pk)
    services.mitigation_execute(undo.pk)

    scale = services.mitigation_request(incident=incident, action="kubernetes.scale", target=k8s_target,
                                        params={"replicas": 6}, by=commander)
    with django_capture_on_commit_callbacks():
        services.mitigation_confirm(mitigation=scale, by=commander, confirm=DEPLOYMENT)
        follow = services.mitigation_request(incident=incident, action="kubernetes.rollout_status", target=k8s_target,
                                             params={}, by=commander)
    services.mitigation_claim(follow.pk)  # and its worker is lost
    busy = services.mitigation_request(incident=incident, action="kubernetes.scale", target=k8s_target,
                                       params={"replicas": 7}, by=commander)
    with pytest.raises(services.MitigationError) as refused:
        services.mitigation_confirm(mitigation=busy, by=commander, confirm=DEPLOYMENT)
    services.mitigation_cancel(mitigation=busy, by=commander)
    services.mitigations_reap(now=Mitigation.objects.get(pk=scale.pk).confirmed_at + dt.timedelta(hours=1))

    texts = list(incident.entries.filter(kind="mitigation").values_list("text", flat=True))
    assert len(texts) >= 12
    assert "@commander asked to follow the rollout of bharatcart-api." in texts
    assert ("Follow the rollout of bharatcart-api: no result, the worker was lost. Check the deployment's state."
            in texts)
    for text in [*texts, str(refused.value)]:
        assert not CODE.search(text), text
