"""Scale limits are a mitigation setting kept beside the target: the scale action, the panel and the admin read
them from mitigations.ScaleLimits, and a target without any gets 1 to 20."""

import pytest
from django.contrib.auth.models import User

from mitigations import selectors
from mitigations.actions import REGISTRY, ActionParamError
from mitigations.models import ScaleLimits
from targets.models import Target
from tests.migrations import migrate

scale = REGISTRY["kubernetes.scale"]


def k8s(name: str = "shop-api", **fields) -> Target:
    return Target.objects.create(name=name, kind="kubernetes", deployment="bharatcart-api", **fields)


@pytest.mark.django_db
def test_a_target_without_limits_scales_between_1_and_20():
    target = k8s()
    assert scale.clean_params(target, {"replicas": 1}) == {"replicas": 1}
    assert scale.clean_params(target, {"replicas": 20}) == {"replicas": 20}
    for bad in (0, 21):
        with pytest.raises(ActionParamError, match=rf"between 1 and 20 for target shop-api \(got {bad}\)"):
            scale.clean_params(target, {"replicas": bad})


@pytest.mark.django_db
def test_the_scale_action_reads_the_targets_own_limits():
    target = k8s()
    ScaleLimits.objects.create(target=target, min_replicas=3, max_replicas=5)
    target = Target.objects.get(pk=target.pk)
    assert scale.clean_params(target, {"replicas": 5}) == {"replicas": 5}
    with pytest.raises(ActionParamError, match=r"between 3 and 5 .*\(got 6\)"):
        scale.clean_params(target, {"replicas": 6})
    with pytest.raises(ActionParamError, match=r"between 3 and 5 .*\(got 2\)"):
        scale.clean_params(target, {"replicas": 2})


@pytest.mark.django_db
def test_the_panel_offers_each_targets_limits_in_one_query(django_assert_num_queries):
    ScaleLimits.objects.create(target=k8s("limited"), min_replicas=2, max_replicas=12)
    k8s("unlimited")
    with django_assert_num_queries(1):
        bounds = {t.name: (t.min_replicas, t.max_replicas) for t in selectors.deployment_targets()}
    assert bounds == {"limited": (2, 12), "unlimited": (1, 20)}


@pytest.mark.django_db
def test_limits_are_edited_on_the_targets_admin_page(client):
    client.force_login(User.objects.create_superuser("root", password="root-password"))
    target = k8s()
    page = client.get(f"/admin/targets/target/{target.pk}/change/")
    assert page.status_code == 200 and "Scale limits" in page.content.decode()
    form = {"name": "shop-api", "kind": "kubernetes", "deployment": "bharatcart-api", "namespace": "default",
            "timeout_seconds": 5, "enabled": "on", "scale_limits-TOTAL_FORMS": "1",
            "scale_limits-INITIAL_FORMS": "0", "scale_limits-0-min_replicas": "2",
            "scale_limits-0-max_replicas": "8"}
    response = client.post(f"/admin/targets/target/{target.pk}/change/", form)
    assert response.status_code == 302
    assert ScaleLimits.of(Target.objects.get(pk=target.pk)) == (2, 8)


@pytest.mark.django_db(transaction=True)
def test_existing_limits_are_copied_from_the_target_and_back():
    old = migrate([("mitigations", "0005_target_moved_to_targets"), ("targets", "0001_initial")])
    OldTarget = old.get_model("targets", "Target")
    try:
        limited = OldTarget.objects.create(name="prod-api", kind="kubernetes", deployment="api", min_replicas=3,
                                           max_replicas=7)
        OldTarget.objects.create(name="db", kind="postgres", url="postgres://db/x", min_replicas=4, max_replicas=9)
        migrate(None)
        assert list(ScaleLimits.objects.values_list("target__name", "min_replicas", "max_replicas")) == [
            ("prod-api", 3, 7)]  # only Kubernetes targets are ever scaled

        ScaleLimits.objects.filter(target_id=limited.pk).update(max_replicas=11)
        back = migrate([("mitigations", "0005_target_moved_to_targets"), ("targets", "0001_initial")])
        assert back.get_model("targets", "Target").objects.filter(pk=limited.pk).values_list(
            "min_replicas", "max_replicas").get() == (3, 11)
    finally:
        migrate(None)
