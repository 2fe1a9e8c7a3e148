"""A responder stars a line, writes the post-mortem of a resolved incident with a live preview, adds an action item
and publishes it; an XSS payload typed into a section fires no dialog, in the preview or on the saved pages."""

import pytest
from playwright.sync_api import expect

from incidents import services as incidents
from postmortems.models import ActionItem, PostMortem
from tests.browser.postmortem_steps import add_action_item, submit_and_publish

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

XSS = ('<img src=x onerror="alert(1)"> <svg onload=alert(2)></svg> [click](javascript:alert(3)) '
       '<a href="jav&#x61;script:alert(4)">four</a> <script>alert(5)</script> marker-xss')


def test_write_preview_add_an_action_item_and_publish(login, site, make_incident, responder):
    incident = make_incident(title="Checkout API timing out", status="resolved")
    incidents.timeline_note(incident=incident, by=responder, text="Pool exhausted at 14:02")

    page = login("responder")
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{site}/incidents/{incident.pk}/")

    # Star the note: the post-mortem's timeline will carry it.
    note = page.locator(".entry", has_text="Pool exhausted at 14:02")
    note.locator("button.star").click()
    expect(page.locator(".entry", has_text="Pool exhausted at 14:02").locator("button.star.on")).to_be_visible()

    page.click("button[name=write-postmortem]")
    page.wait_for_url(f"{site}/postmortems/*/edit/")
    expect(page.locator("#pm-status")).to_have_text("Draft")
    expect(page.locator("input[name=row_event][value='@responder: Pool exhausted at 14:02']")).to_have_count(1)

    page.locator("#pm-root_cause").press_sequentially("The **pool** was too small", delay=15)  # typed, key by key
    expect(page.locator("#preview-root_cause strong")).to_have_text("pool")
    page.fill("#pm-root_cause", "The **pool** was too small\n\n| a | b |\n|---|---|\n| 1 | 2 |")
    expect(page.locator("#preview-root_cause table td").first).to_have_text("1")

    page.fill("#pm-resolution", XSS)
    expect(page.locator("#preview-resolution")).to_contain_text("marker-xss")
    page.wait_for_load_state("networkidle")  # the img's error event (if any got through) has fired by now
    assert dialogs == []
    assert page.locator("#preview-resolution img, #preview-resolution svg, #preview-resolution script").count() == 0
    page.click("button[name=save]")
    expect(page.locator(".message")).to_contain_text("Saved: revision 2")
    expect(page.locator("#preview-resolution")).to_contain_text("marker-xss")

    add_action_item(page, "Alert on pool saturation", owner="responder", due="2030-01-31")
    submit_and_publish(page)

    page.click("text=Read the published page")
    expect(page.locator("body")).to_contain_text("marker-xss")
    expect(page.locator("a", has_text="click")).not_to_have_attribute("href", "javascript:alert(3)")
    page.locator("a", has_text="click").click()  # no href: clicking it runs nothing
    pm = PostMortem.objects.get()
    page.goto(f"{site}/postmortems/{pm.pk}/revisions/2/")  # the saved revision, rendered again from its source
    expect(page.locator("body")).to_contain_text("marker-xss")
    page.goto(f"{site}/incidents/{incident.pk}/")
    expect(page.locator("#postmortem-writing")).to_contain_text("Alert on pool saturation")

    assert dialogs == []
    pm.refresh_from_db()
    assert pm.status == "published" and "onerror" not in pm.resolution_html and "javascript" not in pm.resolution_html
    assert ActionItem.objects.get().owner == responder
