"""Two people for a destructive change on SEV1/SEV2: one approves, another executes; approvals expire."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from mitigations import services
from mitigations.models import Mitigation
from mitigations.services import MitigationError
from tests.workers import worker_tasks

pytestmark = pytest.mark.django_db
DEPLOYMENT = "bharatcart-api"


def undo(incident, k8s_target, by) -> Mitigation:
    return services.mitigation_request(incident=incident, action="kubernetes.rollout_undo", target=k8s_target,
                                       params={}, by=by)


# --- which severities need a second commander --------------------------------------------------------------------

@pytest.mark.parametrize(("severity", "needed"), [("SEV1", True), ("SEV2", True), ("SEV3", False), ("SEV4", False)])
def test_a_destructive_action_needs_approval_on_sev1_and_sev2_only(cluster, k8s_target, incident_at, commander,
                                                                    severity, needed):
    mitigation = undo(incident_at(severity), k8s_target, commander)
    assert services.needs_approval(mitigation) is needed
    if needed:
        with pytest.raises(MitigationError, match="needs a second commander's approval"):
            services.mitigation_confirm(mitigation=mitigation, by=commander, confirm=DEPLOYMENT)
        assert Mitigation.objects.get(pk=mitigation.pk).status == Mitigation.Status.PREVIEWED
    else:
        confirmed = services.mitigation_confirm(mitigation=mitigation, by=commander, confirm=DEPLOYMENT)
        assert confirmed.status == Mitigation.Status.QUEUED


@pytest.mark.parametrize("severity", ["SEV1", "SEV2"])
def test_a_non_destructive_action_needs_no_approval_even_on_sev1(cluster, k8s_target, incident_at, commander,
                                                                  severity):
    mitigation = services.mitigation_request(incident=incident_at(severity), action="kubernetes.scale",
                                             target=k8s_target, params={"replicas": 4}, by=commander)
    assert services.needs_approval(mitigation) is False


def test_approving_what_needs_no_approval_is_refused(cluster, k8s_target, incident_at, commander, second_commander):
    mitigation = undo(incident_at("SEV3"), k8s_target, commander)
    with pytest.raises(MitigationError, match="SEV3: this action needs no approval"):
        services.mitigation_approve(mitigation=mitigation, by=second_commander)


# --- approver, preparer and executor --------------------------------------------------------------------------------

def test_the_approver_cannot_also_execute(cluster, k8s_target, incident_at, commander, second_commander,
                                          django_capture_on_commit_callbacks):
    mitigation = undo(incident_at("SEV2"), k8s_target, commander)
    services.mitigation_approve(mitigation=mitigation, by=second_commander)
    with django_capture_on_commit_callbacks() as queued, \
            pytest.raises(MitigationError, match="You approved this: another commander must execute it"):
        services.mitigation_confirm(mitigation=mitigation, by=second_commander, confirm=DEPLOYMENT)
    assert not worker_tasks(queued)
    assert Mitigation.objects.get(pk=mitigation.pk).status == Mitigation.Status.PREVIEWED
    confirmed = services.mitigation_confirm(mitigation=mitigation, by=commander, confirm=DEPLOYMENT)
    assert confirmed.status == Mitigation.Status.QUEUED and confirmed.confirmed_by == commander


def test_a_responders_preview_is_approved_by_one_commander_and_executed_by_another(
        cluster, k8s_target, incident_at, responder, commander, second_commander):
    mitigation = undo(incident_at("SEV1"), k8s_target, responder)
    services.mitigation_approve(mitigation=mitigation, by=commander)
    with pytest.raises(MitigationError, match="You approved this"):
        services.mitigation_confirm(mitigation=mitigation, by=commander, confirm=DEPLOYMENT)
    confirmed = services.mitigation_confirm(mitigation=mitigation, by=second_commander, confirm=DEPLOYMENT)
    assert (confirmed.requested_by, confirmed.approved_by, confirmed.confirmed_by) == (
        responder, commander, second_commander)


def test_a_third_commander_may_execute(cluster, k8s_target, incident_at, commander, second_commander,
                                       third_commander):
    mitigation = undo(incident_at("SEV1"), k8s_target, commander)
    services.mitigation_approve(mitigation=mitigation, by=second_commander)
    assert services.mitigation_confirm(mitigation=mitigation, by=third_commander,
                                       confirm=DEPLOYMENT).status == Mitigation.Status.QUEUED


def test_a_valid_approval_is_not_given_twice(cluster, k8s_target, incident_at, commander, second_commander,
                                             third_commander):
    mitigation = undo(incident_at("SEV1"), k8s_target, commander)
    services.mitigation_approve(mitigation=mitigation, by=second_commander)
    with pytest.raises(MitigationError, match="Already approved by @deputy"):
        services.mitigation_approve(mitigation=mitigation, by=third_commander)
    assert Mitigation.objects.get(pk=mitigation.pk).approved_by == second_commander


# --- what the panel is told: the same checks ------------------------------------------------------------------------

def test_allowed_actions_follow_the_same_rules(cluster, k8s_target, incident_at, commander, second_commander,
                                               responder, viewer):
    mitigation = undo(incident_at("SEV2"), k8s_target, commander)
    preparer = services.mitigation_allowed_actions(mitigation, commander)
    assert (preparer.approve, preparer.execute, preparer.cancel) == (False, False, True)
    assert "You prepared this: another commander must approve it." in preparer.reasons
    other = services.mitigation_allowed_actions(mitigation, second_commander)
    assert (other.approve, other.execute) == (True, False)

    mitigation = services.mitigation_approve(mitigation=mitigation, by=second_commander)
    approver = services.mitigation_allowed_actions(mitigation, second_commander)
    assert (approver.approve, approver.execute, approver.cancel) == (False, False, True)
    assert approver.reasons == ("You approved this: another commander must execute it.",)
    preparer = services.mitigation_allowed_actions(mitigation, commander)
    assert (preparer.approve, preparer.execute, preparer.reasons) == (False, True, ())

    for not_a_commander in (responder, viewer):
        seen = services.mitigation_allowed_actions(mitigation, not_a_commander)
        assert (seen.approve, seen.execute, seen.cancel) == (False, False, False)
        assert seen.reasons == ("Only commanders approve, execute and cancel mitigations.",)


def test_allowed_actions_on_sev3_offer_execute_to_whoever_prepared_it(cluster, k8s_target, incident_at, commander):
    mitigation = undo(incident_at("SEV3"), k8s_target, commander)
    allowed = services.mitigation_allowed_actions(mitigation, commander)
    assert (allowed.approve, allowed.execute, allowed.cancel, allowed.reasons) == (False, True, True, ())


def test_a_responder_is_refused_each_commander_step(cluster, k8s_target, incident_at, responder):
    mitigation = undo(incident_at("SEV1"), k8s_target, responder)
    for check in (services.check_approve, services.check_execute, services.check_cancel):
        with pytest.raises(PermissionDenied):
            check(mitigation, responder)


# --- approval expiry, on both sides of WARROOM_APPROVAL_MINUTES --------------------------------------------------

@pytest.fixture
def approved(cluster, k8s_target, incident_at, commander, second_commander, settings):
    settings.MITIGATION_APPROVAL_MINUTES = 7
    mitigation = undo(incident_at("SEV1"), k8s_target, commander)
    return services.mitigation_approve(mitigation=mitigation, by=second_commander)


def test_approval_lasts_exactly_the_configured_minutes(approved):
    assert approved.approval_expires_at - approved.approved_at == dt.timedelta(minutes=7)


def test_approval_is_good_just_before_it_expires(approved, commander):
    just_before = approved.approval_expires_at - dt.timedelta(microseconds=1)
    services.check_execute(approved, commander, now=just_before)
    assert approved.approval_valid_at(just_before)
    assert services.mitigation_allowed_actions(approved, commander, now=just_before).execute is True


@pytest.mark.parametrize("after", [dt.timedelta(0), dt.timedelta(seconds=1)])
def test_approval_is_void_at_and_after_its_expiry(approved, commander, second_commander, after):
    at = approved.approval_expires_at + after
    with pytest.raises(MitigationError, match="The approval has expired"):
        services.check_execute(approved, commander, now=at)
    assert not approved.approval_valid_at(at)
    allowed = services.mitigation_allowed_actions(approved, commander, now=at)
    assert allowed.execute is False and "The approval has expired: ask for a new one." in allowed.reasons
    assert services.mitigation_allowed_actions(approved, second_commander, now=at).approve is True  # approve anew


def test_confirm_just_before_expiry_passes_and_just_after_is_refused(approved, commander):
    now = dt.datetime.now(dt.UTC)
    Mitigation.objects.filter(pk=approved.pk).update(approval_expires_at=now - dt.timedelta(milliseconds=1))
    with pytest.raises(MitigationError, match="expired"):
        services.mitigation_confirm(mitigation=approved, by=commander, confirm=DEPLOYMENT)
    Mitigation.objects.filter(pk=approved.pk).update(approval_expires_at=now + dt.timedelta(seconds=30))
    assert services.mitigation_confirm(mitigation=approved, by=commander,
                                       confirm=DEPLOYMENT).status == Mitigation.Status.QUEUED


def test_a_responder_typing_a_wrong_name_is_refused_for_the_role_not_the_typo(cluster, k8s_target, incident_at,
                                                                             responder):
    mitigation = undo(incident_at("SEV3"), k8s_target, responder)
    with pytest.raises(PermissionDenied):
        services.mitigation_confirm(mitigation=mitigation, by=responder, confirm="typo")


def test_a_cancelled_mitigation_cannot_be_approved(cluster, k8s_target, incident_at, commander, second_commander):
    mitigation = undo(incident_at("SEV1"), k8s_target, commander)
    services.mitigation_cancel(mitigation=mitigation, by=commander)
    with pytest.raises(MitigationError, match="cancelled; nothing to approve"):
        services.mitigation_approve(mitigation=mitigation, by=second_commander)
    assert Mitigation.objects.get(pk=mitigation.pk).approved_by is None
