"""The escalation table a manager prints or reads on a phone: every severity, names with phone and Slack."""

import pytest
from playwright.sync_api import expect

from people.models import Contact, RotationMember

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SEVERITIES = ("SEV1", "SEV2", "SEV3", "SEV4")


@pytest.fixture
def directory(runbook, viewer):
    """The seeded directory with a CTO named and someone with a long name on call."""
    cto = Contact.objects.get(roles__name="CTO")
    cto.name, cto.phone, cto.slack_handle = "Daniel Okafor", "+1-555-0102", "@daniel"
    cto.save(update_fields=["name", "phone", "slack_handle"])
    oncall = Contact.objects.create(name="Priyadarshini Venkataraghavan-Subramanian", phone="+91-98-7654-3210",
                                    slack_handle="@priyadarshini.venkataraghavan", email="priya.v@example.com")
    from people.models import Rotation

    rotation = Rotation.objects.get(name="Primary on-call")
    RotationMember.objects.create(rotation=rotation, contact=oncall, position=1)
    return oncall


@pytest.mark.parametrize("width", [1280, 390])
def test_every_severity_reads_at_desktop_and_phone_width(login, site, directory, width):
    page = login("viewer")
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{site}/people/escalation/")
    for name in SEVERITIES:
        section = page.locator(f"#{name.lower()}")
        expect(section).to_have_count(1)
        expect(section.locator(".sev")).to_have_text(name)
    sev1 = page.locator("#sev1")
    expect(sev1).to_contain_text("Daniel Okafor")
    expect(sev1).to_contain_text("@daniel")
    expect(sev1).to_contain_text(directory.name)
    expect(sev1.get_by_role("link", name="+1-555-0102")).to_have_attribute("href", "tel:+1-555-0102")
    expect(page.locator("#sev2")).to_contain_text("After 15 min")
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_printing_leaves_out_the_nav_and_the_buttons(login, site, directory):
    page = login("viewer")
    page.goto(f"{site}/people/escalation/")
    expect(page.locator(".topbar")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.locator(".topbar")).to_be_hidden()
    expect(page.get_by_role("button", name="Print")).to_be_hidden()
    for name in SEVERITIES:
        expect(page.locator(f"#{name.lower()}")).to_be_visible()


def test_the_contacts_page_fits_a_phone(login, site, directory):
    page = login("viewer")
    page.set_viewport_size({"width": 390, "height": 900})
    page.goto(f"{site}/people/contacts/")
    expect(page.locator(".oncall-now")).to_contain_text(directory.name)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
