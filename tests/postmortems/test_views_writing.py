"""The writing pages: the panel's button, the edit page with its preview, status buttons, action items, revisions,
and the action item lists (constant queries)."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from postmortems import services
from postmortems.models import ActionItem, PostMortem, PostMortemStatus, Revision

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def test_the_panel_offers_write_on_a_resolved_incident_only(as_commander, recorded, make_incident):
    html = as_commander.get(f"/incidents/{recorded.pk}/").content.decode()
    assert "Write post-mortem" in html and f'action="/incidents/{recorded.pk}/postmortem/"' in html
    open_one = make_incident(title="Still burning", acknowledge=True)
    assert "Write post-mortem" not in as_commander.get(f"/incidents/{open_one.pk}/").content.decode()


def test_the_panel_hides_the_button_from_viewers(client, recorded, viewer):
    client.force_login(viewer)
    html = client.get(f"/incidents/{recorded.pk}/").content.decode()
    assert "Write post-mortem" not in html and "No post-mortem published yet" in html


def test_write_creates_the_draft_and_a_second_write_opens_it(as_commander, recorded):
    response = as_commander.post(f"/incidents/{recorded.pk}/postmortem/")
    pm = PostMortem.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/postmortems/{pm.pk}/edit/"
    again = as_commander.post(f"/incidents/{recorded.pk}/postmortem/")
    assert again["Location"] == f"/postmortems/{pm.pk}/edit/" and PostMortem.objects.count() == 1
    html = as_commander.get(f"/incidents/{recorded.pk}/").content.decode()
    assert "Open post-mortem" in html and "Write post-mortem" not in html


def test_write_on_an_open_incident_says_why_not(as_commander, make_incident):
    incident = make_incident(acknowledge=True)
    response = as_commander.post(f"/incidents/{incident.pk}/postmortem/", follow=True)
    assert "once the incident is resolved" in response.content.decode()
    assert not PostMortem.objects.exists()


def test_the_edit_page_shows_facts_sections_timeline_and_buttons(as_commander, postmortem, recorded):
    html = as_commander.get(f"/postmortems/{postmortem.pk}/edit/").content.decode()
    for text in ("SEV2", "@commander", "Summary", "Impact", "Root Cause", "Resolution", "Lessons Learned",
                 'name="row_event" value="Investigation started"', "Submit for review", "hx-post=",
                 'hx-trigger="input changed delay:300ms"', "<h3>What went well</h3>", "Add action item"):
        assert text in html, text
    assert recorded.declared_at.strftime("%Y-%m-%d") in html


def _form(pm, **overrides):
    """The edit form as the page fills it in (times in Warroom's zone, as <input type=datetime-local> shows them)."""
    from postmortems.views.writing import _hms, _local_input

    data = {"revision": pm.revision, "title": pm.title, "service": pm.service, "users_affected": "12000",
            "revenue_impact": "", "downtime": _hms(pm.downtime),
            "summary": pm.summary, "impact": "", "root_cause": "", "resolution": "",
            "lessons_learned": pm.lessons_learned,
            "row_at": [_local_input(r["at"]) for r in pm.timeline] + [""],
            "row_event": [r["event"] for r in pm.timeline] + [""],
            "row_entry": [str(r["entry"]) for r in pm.timeline] + [""]}
    data.update(overrides)
    return data


def test_save_the_form_makes_a_revision_and_renders_sections(as_commander, postmortem):
    response = as_commander.post(f"/postmortems/{postmortem.pk}/edit/", _form(
        postmortem, root_cause="The **pool** was too small", downtime="1:10:00"))
    assert response.status_code == 302
    pm = PostMortem.objects.get()
    assert pm.revision == 2 and pm.root_cause_html == "<p>The <strong>pool</strong> was too small</p>"
    assert pm.downtime == dt.timedelta(minutes=70)
    assert len(pm.timeline) == len(postmortem.timeline)


def test_timeline_rows_are_added_and_deleted_on_the_page(as_commander, postmortem):
    data = _form(postmortem)
    data["row_at"][0], data["row_event"][0] = "", ""  # cleared: deleted
    data["row_at"][-1], data["row_event"][-1] = "2026-12-01T23:59:00", "Status page updated"
    as_commander.post(f"/postmortems/{postmortem.pk}/edit/", data)
    events = [r["event"] for r in PostMortem.objects.get().timeline]
    assert "Incident detected: declared SEV2 by @commander" not in events and "Status page updated" in events


def test_a_bad_value_keeps_the_typing_and_says_why(as_commander, postmortem):
    response = as_commander.post(f"/postmortems/{postmortem.pk}/edit/",
                                 _form(postmortem, title=" ", root_cause="my careful words"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "Title: Give the post-mortem a title." in html and "my careful words" in html
    assert PostMortem.objects.get().revision == 1


def test_a_stale_form_is_a_409_and_keeps_what_was_typed(as_commander, postmortem, responder):
    services.postmortem_update(postmortem=postmortem, by=responder, changes={"summary": "theirs"})
    response = as_commander.post(f"/postmortems/{postmortem.pk}/edit/",
                                 _form(postmortem, revision="1", root_cause="mine, unsaved"))
    assert response.status_code == 409
    html = response.content.decode()
    assert "Revision 2 was saved by @responder" in html and "mine, unsaved" in html
    assert PostMortem.objects.get().root_cause == ""


def test_the_preview_answers_sanitised_html(as_commander, postmortem):
    response = as_commander.post(f"/postmortems/{postmortem.pk}/preview/",
                                 {"section": "root_cause", "root_cause": "**bold** <img src=x onerror=alert(1)>"},
                                 **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and "<strong>bold</strong>" in html and "onerror" not in html
    assert as_commander.post(f"/postmortems/{postmortem.pk}/preview/", {"section": "title"}).status_code == 400
    assert PostMortem.objects.get().revision == 1  # a preview saves nothing


def test_status_buttons_move_it_to_review_and_publish(as_commander, postmortem):
    url = f"/postmortems/{postmortem.pk}/status/"
    assert as_commander.post(url, {"move": "publish", "revision": "1"}).status_code == 409
    assert as_commander.post(url, {"move": "submit", "revision": "1"}).status_code == 302
    html = as_commander.get(f"/postmortems/{postmortem.pk}/edit/").content.decode()
    assert "Publish" in html and "Back to draft" in html
    assert as_commander.post(url, {"move": "publish", "revision": "2"}).status_code == 302
    assert PostMortem.objects.get().status == PostMortemStatus.PUBLISHED


def test_action_items_are_added_edited_and_marked_done_on_the_page(as_commander, postmortem, responder):
    url = f"/postmortems/{postmortem.pk}/action-items/"
    response = as_commander.post(url, {"description": "Alert on pool", "owner": "responder",
                                       "due_date": "2026-12-20", "ticket_url": ""})
    assert response.status_code == 302 and response["Location"].endswith("#action-items")
    item = ActionItem.objects.get()
    assert item.owner == responder
    as_commander.post(f"{url}{item.pk}/", {"description": "Alert on pool saturation", "owner": "commander",
                                           "due_date": "", "ticket_url": "https://t.example/1"})
    as_commander.post(f"{url}{item.pk}/", {"status": "done"})
    item.refresh_from_db()
    assert item.description == "Alert on pool saturation" and item.due_date is None and item.status == "done"
    bad = as_commander.post(url, {"description": "x", "owner": "commander", "ticket_url": "javascript:alert(1)"})
    assert bad.status_code == 400 and "http:// or https://" in bad.content.decode()


def test_revisions_list_and_an_old_revision_reads_as_it_was(as_commander, postmortem, responder):
    services.postmortem_update(postmortem=postmortem, by=responder, changes={"root_cause": "first **cause**"})
    services.postmortem_update(postmortem=postmortem, by=responder, changes={"root_cause": "second cause"})
    html = as_commander.get(f"/postmortems/{postmortem.pk}/revisions/").content.decode()
    assert "Edited: Root Cause" in html and "@responder" in html and html.count("<tr>") >= 3
    old = as_commander.get(f"/postmortems/{postmortem.pk}/revisions/2/").content.decode()
    assert "first <strong>cause</strong>" in old and "second cause" not in old
    assert "You are reading <strong>revision 2</strong> of 3" in old and "Not written yet." in old  # says which
    assert as_commander.get(f"/postmortems/{postmortem.pk}/revisions/9/").status_code == 404


def test_viewers_cannot_open_the_writing_pages(client, postmortem, viewer):
    client.force_login(viewer)
    for url in (f"/postmortems/{postmortem.pk}/edit/", f"/postmortems/{postmortem.pk}/revisions/"):
        assert client.get(url).status_code == 403
    assert client.post(f"/postmortems/{postmortem.pk}/edit/", {"title": "x"}).status_code == 403
    assert Revision.objects.count() == 1


# --- action item lists --------------------------------------------------------------------------------------------

def _items(postmortem, owner, n, *, start_days_ago=0):
    today = timezone.localdate()
    for i in range(n):
        services.action_item_add(postmortem=postmortem, by=owner, description=f"item {i}", owner=owner,
                                 due_date=today - dt.timedelta(days=start_days_ago - i))


@pytest.mark.parametrize("url", ["/action-items/", "/action-items/mine/"])
def test_both_lists_put_the_oldest_due_first_with_overdue_marked(as_commander, postmortem, commander, url):
    today = timezone.localdate()
    for description, due in [("tomorrow", today + dt.timedelta(days=1)), ("yesterday", today - dt.timedelta(days=1)),
                              ("today", today)]:
        services.action_item_add(postmortem=postmortem, by=commander, description=description, owner="commander",
                                 due_date=due)
    done = services.action_item_add(postmortem=postmortem, by=commander, description="finished", owner="commander")
    services.action_item_update(item=done, by=commander, changes={"status": "done"})
    html = as_commander.get(url).content.decode()
    assert html.index("yesterday") < html.index("today") < html.index("tomorrow") and "finished" not in html
    assert html.count("overdue-badge") == 1


def test_the_incident_page_and_the_reading_page_highlight_overdue_items_oldest_due_first(as_commander, postmortem,
                                                                                         commander, recorded):
    today = timezone.localdate()
    for description, due in [("due-tomorrow", today + dt.timedelta(days=1)), ("due-today", today),
                             ("due-yesterday", today - dt.timedelta(days=1)), ("no-date", None)]:
        services.action_item_add(postmortem=postmortem, by=commander, description=description, owner="commander",
                                 due_date=due)
    done = services.action_item_add(postmortem=postmortem, by=commander, description="done-late", owner="commander",
                                    due_date=today - dt.timedelta(days=9))
    services.action_item_update(item=done, by=commander, changes={"status": "done"})
    for url, marker in [(f"/incidents/{recorded.pk}/", "overdue-badge"), (f"/postmortems/{postmortem.pk}/edit/",
                         "overdue-badge"), (f"/postmortems/{postmortem.pk}/", "overdue-label")]:
        html = as_commander.get(url).content.decode()
        order = [html.index(d) for d in ("done-late", "due-yesterday", "due-today", "due-tomorrow", "no-date")]
        assert order == sorted(order), url
        assert html.count(f'class="{marker}"') == 1, url  # yesterday's only: not today's, not a done one


def test_my_action_items_are_mine_only(client, postmortem, commander, responder):
    for owner in ("commander", "responder"):
        services.action_item_add(postmortem=postmortem, by=commander, description=f"owned by the {owner}", owner=owner)
    client.force_login(responder)
    html = client.get("/action-items/mine/").content.decode()
    assert "owned by the responder" in html and "owned by the commander" not in html


def test_viewers_see_action_items_of_published_post_mortems_only(client, postmortem, commander, viewer):
    services.action_item_add(postmortem=postmortem, by=commander, description="on a draft", owner="viewer")
    client.force_login(viewer)
    assert "on a draft" not in client.get("/action-items/").content.decode()
    services.postmortem_submit(postmortem=postmortem, by=commander)
    services.postmortem_publish(postmortem=postmortem, by=commander)
    assert "on a draft" in client.get("/action-items/mine/").content.decode()


@pytest.mark.parametrize("url", ["/action-items/", "/action-items/mine/"])
def test_action_item_pages_cost_the_same_queries_at_two_sizes(as_commander, postmortem, commander, url):
    _items(postmortem, commander, 2, start_days_ago=1)
    with CaptureQueriesContext(connection) as small:
        assert as_commander.get(url).status_code == 200
    _items(postmortem, commander, 40, start_days_ago=20)
    with CaptureQueriesContext(connection) as large:
        html = as_commander.get(url).content.decode()
    assert html.count('class="action-item') == 42
    assert len(large) == len(small) <= 8


def test_bad_input_on_the_pages_is_400_never_500(as_commander, postmortem):
    assert as_commander.get("/action-items/?page=9").status_code == 400
    assert as_commander.get("/action-items/?page=x").status_code == 400
    add = f"/postmortems/{postmortem.pk}/action-items/"
    assert as_commander.post(add, {"description": "x", "owner": "com\x00mander"}).status_code == 400
    assert as_commander.post(f"/postmortems/{postmortem.pk}/edit/", {"title": "nul\x00"}).status_code == 400
    assert as_commander.post(f"/postmortems/{postmortem.pk}/edit/",
                             {"row_at": ["tomorrow"], "row_event": ["x"], "row_entry": [""]}).status_code == 400
    assert as_commander.post(f"/postmortems/{postmortem.pk}/edit/", {"downtime": "soon"}).status_code == 400
    assert as_commander.post(f"/postmortems/{postmortem.pk}/status/", {"move": "archive"}).status_code == 400
    assert not ActionItem.objects.exists() and PostMortem.objects.get().revision == 1


def test_the_incident_page_and_the_edit_page_cost_the_same_queries_with_more_action_items(as_commander, postmortem,
                                                                                          commander, recorded):
    _items(postmortem, commander, 2, start_days_ago=1)
    counts = []
    for more in (0, 30):
        _items(postmortem, commander, more, start_days_ago=10)
        as_commander.get(f"/incidents/{recorded.pk}/")  # the timeline is cached per incident version: warm it
        with CaptureQueriesContext(connection) as page:
            html = as_commander.get(f"/incidents/{recorded.pk}/").content.decode()
        assert html.count('<li class="action-item') == 2 + more
        with CaptureQueriesContext(connection) as edit:
            assert as_commander.get(f"/postmortems/{postmortem.pk}/edit/").status_code == 200
        counts.append((len(page), len(edit)))
    assert counts[0] == counts[1]


def test_saving_the_form_untouched_makes_no_revision(as_commander, postmortem):
    html = as_commander.get(f"/postmortems/{postmortem.pk}/edit/").content.decode()
    assert 'step="1" name="row_at" value="' in html
    assert as_commander.post(f"/postmortems/{postmortem.pk}/edit/", _form(postmortem)).status_code == 302
    assert PostMortem.objects.get().revision == 1 and Revision.objects.count() == 1
