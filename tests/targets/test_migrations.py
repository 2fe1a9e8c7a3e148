"""Target moved from diagnostics to targets with its table: an existing database migrates forward and keeps its
targets, the runs and mitigations pointing at them, and the permissions groups hold on them."""

import pytest
from django.contrib.auth.models import Group

from diagnostics.models import Run
from mitigations.models import Mitigation
from targets.models import Target
from tests.migrations import migrate

pytestmark = pytest.mark.django_db(transaction=True)
BEFORE = [("targets", None)]  # the database as it was: Target in diagnostics


@pytest.fixture
def forward_at_the_end():
    yield
    migrate(None)


def test_runs_and_mitigations_keep_their_target_through_the_move(forward_at_the_end, make_incident, commander):
    incident = make_incident(severity="SEV2", acknowledge=True)
    old = migrate(BEFORE)
    assert "target" in old.all_models["diagnostics"]
    OldTarget = old.get_model("diagnostics", "Target")
    target = OldTarget.objects.create(name="prod-api", kind="kubernetes", deployment="bharatcart-api",
                                      namespace="shop", min_replicas=2, max_replicas=12)
    run = old.get_model("diagnostics", "Run").objects.create(check_name="kubernetes.pods", target_id=target.pk)
    mitigation = old.get_model("mitigations", "Mitigation").objects.create(
        incident_id=incident.pk, action="kubernetes.scale", target_id=target.pk, params={"replicas": 3},
        params_digest="-", requested_by_id=commander.pk)
    Permission = old.get_model("auth", "Permission")
    viewer = old.get_model("auth", "Group").objects.create(name="target-viewers")
    viewer.permissions.add(Permission.objects.get(content_type__app_label="diagnostics", codename="view_target"))

    migrate(None)

    moved = Target.objects.get(pk=target.pk)
    assert (moved.name, moved.kind, moved.deployment, moved.namespace) == ("prod-api", "kubernetes",
                                                                            "bharatcart-api", "shop")
    assert Run.objects.get(pk=run.pk).target == moved
    assert Mitigation.objects.get(pk=mitigation.pk).target == moved
    assert list(Group.objects.get(name="target-viewers").permissions.values_list(
        "content_type__app_label", "codename")) == [("targets", "view_target")]


def test_the_table_is_the_one_it_always_was():
    assert Target._meta.db_table == "diagnostics_target"
    assert Run._meta.get_field("target").related_model is Target
    assert Mitigation._meta.get_field("target").related_model is Target
