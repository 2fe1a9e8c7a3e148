"""The contacts page and the escalation table: what they say, who may read them, and their constant query cost."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from people import selectors, services
from people.models import Contact, EscalationLevel, EscalationPolicy, Override, Role

pytestmark = pytest.mark.django_db

CONTACTS, ESCALATION = reverse("people:contacts"), reverse("people:escalation")


@pytest.fixture
def as_viewer(client, viewer):
    client.force_login(viewer)
    return client


def test_the_contacts_page_names_who_is_on_call_now_and_next(as_viewer, staffed):
    now = timezone.now()
    current, following = selectors.oncall_now(staffed, now), selectors.rotation_summaries(now)[0].next
    html = as_viewer.get(CONTACTS).content.decode()
    oncall = html[html.index('class="oncall-now"'):html.index('class="oncall-next"')]
    assert current.contact.name in oncall and current.contact.phone in oncall
    nxt = html[html.index('class="oncall-next"'):]
    assert nxt.split("</dd>")[0].count(following.contact.name) == 1
    assert "The next 28 days" in html and "Primary on-call" in html


def test_the_contacts_page_lists_the_runbooks_roles_and_flags_placeholders(as_viewer):
    html = as_viewer.get(CONTACTS).content.decode()
    for role in ("On-Call Engineer", "Engineering Manager", "CTO", "DBA", "VP Engineering"):
        assert role in html
    assert "@manager" in html and "+1-XXX" in html and "to fill in" in html
    assert "Nobody on call" in html  # the seeded rotation has no members yet


def test_the_contacts_page_shows_an_override_as_covering(as_viewer, staffed, make_contact):
    now = timezone.now()
    Override.objects.create(rotation=staffed, contact=make_contact("Zed"), start=now - timedelta(hours=1),
                            end=now + timedelta(hours=1))
    html = as_viewer.get(CONTACTS).content.decode()
    oncall = html[html.index('class="oncall-now"'):html.index('class="oncall-next"')]
    assert "Zed" in oncall and "covering" in oncall


def test_calendar_links_appear_with_a_token_and_carry_only_ones_own(as_viewer, viewer, responder, staffed):
    html = as_viewer.get(CONTACTS).content.decode()
    assert ".ics" not in html and "Create my calendar links" in html
    theirs = services.calendar_token_regenerate(by=responder).token
    mine = services.calendar_token_regenerate(by=viewer).token
    html = as_viewer.get(CONTACTS).content.decode()
    assert reverse("people:rotation_ics", kwargs={"user_pk": viewer.pk, "token": mine, "pk": staffed.pk}) in html
    assert theirs not in html and "Regenerate my calendar links" in html


def test_the_escalation_table_has_every_severity_with_its_definition_response_time_and_people(as_viewer, staffed):
    cto = Contact.objects.get(roles__name="CTO")
    cto.name, cto.phone, cto.slack_handle = "Daniel Okafor", "+1-555-0102", "@daniel"
    cto.save(update_fields=["name", "phone", "slack_handle"])
    oncall = selectors.oncall_now(staffed, timezone.now()).contact
    html = as_viewer.get(ESCALATION).content.decode()
    for name, definition, response in (("SEV1", "Complete service outage, data loss", "Immediate"),
                                       ("SEV2", "Major feature broken", "15 minutes"),
                                       ("SEV3", "Minor feature issues", "2 hours"),
                                       ("SEV4", "Cosmetic issues, no user impact", "Next business day")):
        section = html[html.index(f'id="{name.lower()}"'):]
        section = section[:section.index("</section>")]
        assert definition in section and response in section
    sev1 = html[html.index('id="sev1"'):html.index('id="sev2"')]
    assert "Daniel Okafor" in sev1 and 'href="tel:+1-555-0102"' in sev1 and "@daniel" in sev1
    assert oncall.name in sev1 and "VP Engineering" in sev1
    assert "Phone call and Slack" in sev1 and "Immediately" in sev1
    sev2 = html[html.index('id="sev2"'):html.index('id="sev3"')]
    assert "After 15 min" in sev2 and "Engineering Manager" in sev2


def test_a_severity_without_levels_says_so(as_viewer):
    EscalationPolicy.objects.filter(severity__name="SEV4").delete()
    html = as_viewer.get(ESCALATION).content.decode()
    assert "No escalation levels" in html[html.index('id="sev4"'):]


def test_the_escalation_page_prints_without_the_pages_chrome(as_viewer):
    html = as_viewer.get(ESCALATION).content.decode()
    assert 'class="no-print"' in html
    css = (pytest.importorskip("pathlib").Path(__file__).parents[2] / "static/warroom/warroom.css").read_text()
    printing = css[css.index("@media print"):]
    assert ".topbar" in printing and ".no-print" in printing and "button" in printing


@pytest.mark.parametrize("url", [CONTACTS, ESCALATION])
def test_the_nav_links_to_the_pages_for_those_who_may_read_them(as_viewer, url):
    html = as_viewer.get(url).content.decode()
    assert f'href="{CONTACTS}"' in html and f'href="{ESCALATION}"' in html


def test_someone_without_the_permission_sees_no_nav_link_and_gets_a_403(client, runbook):
    from django.contrib.auth.models import Permission, User

    reader = User.objects.create_user("reader")  # may view incidents, but was not given people.view_contacts
    reader.user_permissions.add(Permission.objects.get(codename="view_incident"))
    client.force_login(reader)
    dashboard = client.get("/")
    assert dashboard.status_code == 200 and CONTACTS not in dashboard.content.decode()
    assert client.get(CONTACTS).status_code == 403
    assert client.get(ESCALATION).status_code == 403


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def _grow(make_rotation, make_contact, numbers: range) -> None:
    """Rotations (with an override), roles held by them and by two people each, and a level naming both."""
    now = timezone.now()
    policy = EscalationPolicy.objects.get(severity__name="SEV3")
    for i in numbers:
        rotation = make_rotation(name=f"Team {i}", members=[f"A{i}", f"B{i}", f"C{i}"],
                                 start_date=date(2026, 1, 1), length=1, length_unit="days")
        Override.objects.create(rotation=rotation, contact=make_contact(f"Cover{i}"), start=now, end=now + timedelta(2))
        role = Role.objects.create(name=f"Team {i} on call", kind=Role.Kind.ROTATION, rotation=rotation)
        lead = Role.objects.create(name=f"Lead {i}")
        lead.holders.add(make_contact(f"Lead{i}"), make_contact(f"Deputy{i}"))
        level = EscalationLevel.objects.create(policy=policy, number=i + 2, after=timedelta(hours=i + 1))
        level.roles.add(role, lead)


@pytest.mark.parametrize("url", [CONTACTS, ESCALATION])
def test_the_pages_cost_the_same_queries_whatever_the_size_of_the_directory(as_viewer, viewer, url, staffed,
                                                                            make_rotation, make_contact):
    services.calendar_token_regenerate(by=viewer)  # the page then links a feed per rotation and per contact
    _grow(make_rotation, make_contact, range(1))
    small = _queries(as_viewer, url)
    _grow(make_rotation, make_contact, range(1, 9))
    assert Contact.objects.count() > 50
    assert _queries(as_viewer, url) == small <= 18


def test_each_person_shows_their_own_clock(make_contact):
    from people.models import Contact
    from people.templatetags.people_tags import their_time
    from tests.people.conftest import utc

    at = utc(2026, 3, 3, 21, 42)  # a Tuesday evening in UTC
    assert their_time(Contact(name="Priya", time_zone="Asia/Kolkata"), at) == "Wed 03:12"
    assert their_time(Contact(name="Tom", time_zone="Europe/London"), at) == "Tue 21:42"
    assert their_time(Contact(name="Old", time_zone="Nowhere/Gone"), at) == ""


def test_the_escalation_table_says_the_time_where_each_person_is(as_viewer):
    from people.models import Contact

    Contact.objects.filter(roles__name="CTO").update(time_zone="Asia/Kolkata")
    html = as_viewer.get(ESCALATION).content.decode()
    assert 'title="Asia/Kolkata"' in html and "their time" in html
