"""What the migrations seed: the runbook's contacts table, the roles, each severity's escalation and the grants."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group

from people import selectors
from people.models import Contact, EscalationPolicy, Role

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("runbook")]  # migrations seed it; a flush empties it


def test_the_runbooks_roles_are_seeded_in_its_order_with_vp_engineering_added():
    assert list(Role.objects.values_list("name", "kind")) == [
        ("On-Call Engineer", "rotation"), ("Engineering Manager", "fixed"), ("CTO", "fixed"), ("DBA", "fixed"),
        ("VP Engineering", "fixed"),
    ]


def test_the_on_call_engineer_is_rotating_with_the_runbooks_shared_placeholders():
    role = Role.objects.get(name="On-Call Engineer")
    assert role.rotation.name == "Primary on-call" and not role.holders.exists()
    assert (role.phone, role.slack_handle) == ("+1-XXX", "@oncall")


@pytest.mark.parametrize(("role", "slack"), [("Engineering Manager", "@manager"), ("CTO", "@cto"), ("DBA", "@dba"),
                                             ("VP Engineering", "@vp-engineering")])
def test_fixed_roles_hold_a_placeholder_contact_to_fill_in(role, slack):
    (contact,) = Role.objects.get(name=role).holders.all()
    assert (contact.name, contact.phone, contact.slack_handle) == ("Name", "+1-XXX", slack)
    assert contact.needs_filling_in


def test_a_filled_in_contact_no_longer_needs_filling_in():
    assert not Contact(name="Maya Iyer", phone="+1-555-0101").needs_filling_in
    assert Contact(name="Maya Iyer", phone="+1-XXX").needs_filling_in


def test_every_severity_has_a_policy():
    assert sorted(EscalationPolicy.objects.values_list("severity__name", flat=True)) == ["SEV1", "SEV2", "SEV3",
                                                                                        "SEV4"]


def _levels(name):
    return [(lv.number, lv.after, [r.name for r in lv.roles], lv.next_business_day)
            for lv in selectors.escalation_levels(EscalationPolicy.objects.get(severity__name=name).severity)]


def test_sev1_tells_the_cto_and_vp_engineering_immediately_with_the_on_call_engineer():
    assert _levels("SEV1") == [(1, timedelta(0), ["On-Call Engineer", "CTO", "VP Engineering"], False)]


def test_sev2_tells_the_engineering_manager_within_15_minutes_after_the_on_call_engineer():
    assert _levels("SEV2") == [(1, timedelta(0), ["On-Call Engineer"], False),
                               (2, timedelta(minutes=15), ["Engineering Manager"], False)]


def test_sev3_tells_the_on_call_engineer_and_sev4_waits_for_the_next_business_day():
    assert _levels("SEV3") == [(1, timedelta(0), ["On-Call Engineer"], False)]
    assert _levels("SEV4") == [(1, timedelta(0), ["On-Call Engineer"], True)]


@pytest.mark.parametrize("group", ["viewer", "responder", "commander"])
def test_everyone_who_may_view_incidents_may_read_contacts(group):
    assert Group.objects.get(name=group).permissions.filter(codename="view_contacts",
                                                            content_type__app_label="people").exists()
