"""Writing post-mortems: the prefill from the record, revisions, status moves, conflicts and action items."""

import datetime as dt
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from incidents import services as incidents
from incidents.models import Entry
from postmortems import services
from postmortems.models import ActionItem, ActionItemStatus, PostMortem, PostMortemStatus, Revision

pytestmark = pytest.mark.django_db
T = dt.datetime(2026, 12, 1, 14, 2, tzinfo=dt.UTC)


# --- start: the prefill ----------------------------------------------------------------------------------------------

def test_start_prefills_every_template_field_from_the_record(postmortem, recorded, commander):
    assert postmortem.title == "Checkout API timing out"
    assert postmortem.service == "bharatcart-api" and postmortem.users_affected == 12000
    assert postmortem.downtime == dt.timedelta(
        seconds=int((recorded.resolved_at - recorded.declared_at).total_seconds()))  # to the second
    assert postmortem.revenue_impact == ""
    assert postmortem.summary == "p99 over 30 s on /api/checkout." and postmortem.summary_html == (
        "<p>p99 over 30 s on /api/checkout.</p>")
    assert postmortem.lessons_learned.startswith("### What went well") and "### What could be improved" in (
        postmortem.lessons_learned)
    assert "<h3>What went well</h3>" in postmortem.lessons_learned_html
    assert postmortem.root_cause == postmortem.resolution == postmortem.impact == ""
    assert postmortem.status == PostMortemStatus.DRAFT and postmortem.revision == 1
    assert postmortem.created_by == commander == postmortem.updated_by


def test_start_fills_the_timeline_with_key_entries_and_starred_ones_in_order(postmortem, recorded):
    events = [row["event"] for row in postmortem.timeline]
    assert events == [
        "Incident detected: declared SEV2 by @commander",
        "Acknowledged by @commander",
        "Investigation started",
        "@responder: DB connections at 96% of max",  # starred
        "ran postgres.connections: critical",  # a critical check; the ok one is not here
        "Root cause identified; mitigating",
        "Executed: scaled 4 → 8",  # executed and succeeded; the preview and the failure are not here
        "Rollout complete",
        "Fix deployed; monitoring",
        "Incident resolved (quiet)",
    ]
    entries = {e.pk: e for e in recorded.entries.all()}
    assert [entries[row["entry"]].created_at.replace(microsecond=0).isoformat() for row in postmortem.timeline] == [
        row["at"] for row in postmortem.timeline]
    assert [row["at"] for row in postmortem.timeline] == sorted(row["at"] for row in postmortem.timeline)


def test_start_writes_revision_one_and_a_timeline_line(postmortem, recorded, commander):
    revision = Revision.objects.get(postmortem=postmortem)
    assert revision.number == 1 and revision.by == commander and revision.content["title"] == postmortem.title
    assert revision.change == f"Started from incident #{recorded.pk}'s record"
    line = recorded.entries.last()
    assert line.kind == "postmortem" and line.data == {"postmortem": postmortem.pk}


def test_a_second_start_returns_the_existing_one(postmortem, recorded, responder):
    again, created = services.postmortem_start(incident=recorded, by=responder)
    assert again == postmortem and created is False
    assert PostMortem.objects.count() == 1 and Revision.objects.count() == 1


def test_start_on_an_open_incident_is_refused(make_incident, commander):
    incident = make_incident(status="monitoring")
    with pytest.raises(services.PostMortemError, match="once the incident is resolved; this one is monitoring"):
        services.postmortem_start(incident=incident, by=commander)
    assert not PostMortem.objects.exists()


def test_a_viewer_cannot_start_one(recorded, viewer):
    with pytest.raises(PermissionDenied):
        services.postmortem_start(incident=recorded, by=viewer)
    assert not PostMortem.objects.exists() and not Revision.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_starts_at_once_make_one_post_mortem(recorded, commander, responder):
    results, barrier = [], threading.Barrier(2)

    def start(user):
        barrier.wait()
        try:
            results.append(services.postmortem_start(incident=recorded, by=user))
        finally:
            connection.close()

    threads = [threading.Thread(target=start, args=(u,)) for u in (commander, responder)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert PostMortem.objects.count() == 1 and len(results) == 2
    assert {pm.pk for pm, _ in results} == {PostMortem.objects.get().pk}
    assert sorted(created for _, created in results) == [False, True]


# --- update: revisions and conflicts ---------------------------------------------------------------------------------

def test_update_renders_changed_sections_and_keeps_a_revision(postmortem, responder):
    pm = services.postmortem_update(postmortem=postmortem, by=responder, changes={
        "root_cause": "Pool **exhausted** <script>alert(1)</script>", "revenue_impact": "$8,000"}, now=T)
    assert pm.root_cause_html == "<p>Pool <strong>exhausted</strong> </p>"
    assert pm.revision == 2 and pm.updated_by == responder and pm.updated_at == T
    revision = Revision.objects.get(postmortem=pm, number=2)
    assert revision.by == responder and revision.created_at == T
    assert revision.change == "Edited: Root Cause, revenue impact"
    assert revision.content["root_cause"].startswith("Pool **exhausted**")
    assert Revision.objects.get(postmortem=pm, number=1).content["root_cause"] == ""  # the old one stays readable


def test_an_update_that_changes_nothing_keeps_the_revision(postmortem, commander):
    pm = services.postmortem_update(postmortem=postmortem, by=commander, changes={"title": postmortem.title})
    assert pm.revision == 1 and Revision.objects.count() == 1


def test_a_stale_expected_revision_is_a_conflict_and_changes_nothing(postmortem, commander, responder):
    services.postmortem_update(postmortem=postmortem, by=responder, changes={"summary": "mine"}, expected_revision=1)
    with pytest.raises(services.StaleRevision, match="Revision 2 was saved by @responder"):
        services.postmortem_update(postmortem=postmortem, by=commander, changes={"summary": "theirs"},
                                   expected_revision=1)
    assert PostMortem.objects.get().summary == "mine" and Revision.objects.count() == 2
    pm = services.postmortem_update(postmortem=postmortem, by=commander, changes={"summary": "theirs"},
                                    expected_revision=2)
    assert pm.revision == 3


@pytest.mark.parametrize(("changes", "field"), [
    ({"title": "  "}, "title"),
    ({"title": "x" * 201}, "title"),
    ({"users_affected": -1}, "users_affected"),
    ({"users_affected": "many"}, "users_affected"),
    ({"users_affected": 2_147_483_648}, "users_affected"),
    ({"downtime": dt.timedelta(minutes=-1)}, "downtime"),
    ({"summary": "x" * 50_001}, "summary"),
    ({"summary": "nul\x00"}, "summary"),
    ({"timeline": "not a list"}, "timeline"),
    ({"timeline": [{"at": "yesterday", "event": "x"}]}, "timeline"),
    ({"timeline": [{"at": "2026-12-01T14:02:00", "event": "naive"}]}, "timeline"),
    ({"timeline": [{"at": "2026-12-01T14:02:00Z", "event": " "}]}, "timeline"),
    ({"timeline": [{"at": "2026-12-01T14:02:00Z", "event": "x" * 501}]}, "timeline"),
    ({"timeline": [{"at": "2026-12-01T14:02:00Z", "event": "x", "color": "red"}]}, "timeline"),
    ({"status": "published"}, "status"),
    ({"search_vector": "x"}, "search_vector"),
])
def test_bad_values_are_refused_with_a_message_and_change_nothing(postmortem, commander, changes, field):
    with pytest.raises(ValidationError) as caught:
        services.postmortem_update(postmortem=postmortem, by=commander, changes=changes)
    assert field in caught.value.message_dict
    assert PostMortem.objects.get().revision == 1 and Revision.objects.count() == 1


def test_timeline_rows_are_validated_and_kept_in_time_order(postmortem, commander):
    pm = services.postmortem_update(postmortem=postmortem, by=commander, changes={"timeline": [
        {"at": "2026-12-01T15:00:00+01:00", "event": "later "},
        {"at": "2026-12-01T13:30:00Z", "event": "earlier", "entry": 7},
    ]})
    assert pm.timeline == [{"at": "2026-12-01T13:30:00+00:00", "event": "earlier", "entry": 7},
                           {"at": "2026-12-01T14:00:00+00:00", "event": "later", "entry": None}]


def test_a_timeline_row_at_the_limit_is_kept_and_one_more_character_refused(postmortem, commander):
    row = {"at": "2026-12-01T13:30:00Z", "event": "x" * 500}
    assert services.postmortem_update(postmortem=postmortem, by=commander, changes={"timeline": [row]}).revision == 2
    with pytest.raises(ValidationError):
        services.postmortem_update(postmortem=postmortem, by=commander,
                                   changes={"timeline": [{**row, "event": "y" * 501}]})


def test_a_viewer_cannot_edit(postmortem, viewer):
    with pytest.raises(PermissionDenied):
        services.postmortem_update(postmortem=postmortem, by=viewer, changes={"summary": "x"})
    assert Revision.objects.count() == 1


# --- status ----------------------------------------------------------------------------------------------------------

def test_draft_to_review_to_published_each_a_revision(postmortem, commander, recorded):
    pm = services.postmortem_submit(postmortem=postmortem, by=commander)
    assert pm.status == PostMortemStatus.IN_REVIEW and pm.revision == 2
    pm = services.postmortem_publish(postmortem=pm, by=commander)
    assert pm.status == PostMortemStatus.PUBLISHED and pm.revision == 3 and pm.published_at is not None
    assert list(Revision.objects.values_list("change", flat=True)) == [
        f"Started from incident #{recorded.pk}'s record", "Submitted for review", "Published"]
    assert recorded.entries.last().text == "@commander published the post-mortem (revision 3)."


def test_publish_needs_review_first_and_review_can_go_back_to_draft(postmortem, commander):
    with pytest.raises(services.PostMortemError, match="is a draft: only one in review can be published"):
        services.postmortem_publish(postmortem=postmortem, by=commander)
    services.postmortem_submit(postmortem=postmortem, by=commander)
    pm = services.postmortem_move(postmortem=postmortem, move="draft", by=commander)
    assert pm.status == PostMortemStatus.DRAFT
    with pytest.raises(ValidationError):
        services.postmortem_move(postmortem=postmortem, move="archive", by=commander)


def test_editing_a_published_one_keeps_it_published_as_a_revision(postmortem, commander, responder):
    services.postmortem_submit(postmortem=postmortem, by=commander)
    published = services.postmortem_publish(postmortem=postmortem, by=commander)
    first = published.published_at
    pm = services.postmortem_update(postmortem=postmortem, by=responder, changes={"resolution": "Rolled back."})
    assert pm.status == PostMortemStatus.PUBLISHED and pm.published_at == first
    revision = Revision.objects.get(postmortem=pm, number=pm.revision)
    assert revision.change == "Revised after publication: Resolution" and revision.status == "published"
    assert services.allowed_moves(pm, commander) == []


def test_allowed_moves_are_the_buttons(postmortem, commander, viewer):
    assert services.allowed_moves(postmortem, commander) == ["submit"]
    assert services.allowed_moves(postmortem, viewer) == []
    services.postmortem_submit(postmortem=postmortem, by=commander)
    assert services.allowed_moves(PostMortem.objects.get(), commander) == ["publish", "draft"]


# --- action items ----------------------------------------------------------------------------------------------------

def test_add_an_action_item_with_owner_by_username(postmortem, commander, responder):
    item = services.action_item_add(postmortem=postmortem, by=commander, description="Alert on pool saturation",
                                    owner="responder", due_date="2026-12-15", ticket_url="https://t.example/OPS-1")
    assert item.owner == responder and item.due_date == dt.date(2026, 12, 15) and item.created_by == commander
    assert item.status == ActionItemStatus.OPEN and item.done_at is None


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"description": " "}, "description"),
    ({"description": "x" * 501}, "description"),
    ({"owner": "nobody"}, "owner"),
    ({"owner": ""}, "owner"),
    ({"owner": "outsider"}, "owner"),
    ({"due_date": "15/12/2026"}, "due_date"),
    ({"due_date": "2026-02-30"}, "due_date"),
    ({"ticket_url": "javascript:alert(1)"}, "ticket_url"),
    ({"ticket_url": "ftp://t.example/1"}, "ticket_url"),
    ({"ticket_url": "not a url"}, "ticket_url"),
])
def test_bad_action_items_are_refused_and_leave_nothing(postmortem, commander, outsider, kwargs, field):
    values = {"description": "Fix it", "owner": "commander", **kwargs}
    with pytest.raises(ValidationError) as caught:
        services.action_item_add(postmortem=postmortem, by=commander, **values)
    assert field in caught.value.message_dict
    assert not ActionItem.objects.exists()


def test_mark_done_keeps_when_and_reopening_clears_it(postmortem, commander, responder):
    item = services.action_item_add(postmortem=postmortem, by=commander, description="Fix", owner="commander")
    item = services.action_item_update(item=item, by=responder, changes={"status": "done"}, now=T)
    assert item.status == ActionItemStatus.DONE and item.done_at == T and item.updated_by == responder
    item = services.action_item_update(item=item, by=responder, changes={"status": "open", "owner": "responder"})
    assert item.status == ActionItemStatus.OPEN and item.done_at is None and item.owner == responder
    with pytest.raises(ValidationError):
        services.action_item_update(item=item, by=responder, changes={"status": "maybe"})
    with pytest.raises(ValidationError):
        services.action_item_update(item=item, by=responder, changes={"postmortem": 3})


def test_action_item_writes_do_not_bump_the_post_mortem_revision(postmortem, commander):
    services.action_item_add(postmortem=postmortem, by=commander, description="Fix", owner="commander")
    assert PostMortem.objects.get().revision == 1


def test_a_viewer_cannot_add_action_items(postmortem, viewer):
    with pytest.raises(PermissionDenied):
        services.action_item_add(postmortem=postmortem, by=viewer, description="Fix", owner="viewer")
    assert not ActionItem.objects.exists()


def test_overdue_boundaries_due_today_is_not_overdue_yesterday_is(postmortem, commander):
    today = dt.date(2026, 12, 1)
    items = {name: services.action_item_add(postmortem=postmortem, by=commander, description=name,
                                            owner="commander", due_date=due)
             for name, due in [("yesterday", today - dt.timedelta(days=1)), ("today", today),
                               ("tomorrow", today + dt.timedelta(days=1)), ("undated", None)]}
    assert [i.description for i in ActionItem.objects.overdue(today)] == ["yesterday"]
    assert [name for name, i in items.items() if i.is_overdue(today)] == ["yesterday"]
    services.action_item_update(item=items["yesterday"], by=commander, changes={"status": "done"})
    assert not ActionItem.objects.overdue(today).exists()


def test_the_search_vector_follows_each_write(postmortem, commander):
    services.postmortem_update(postmortem=postmortem, by=commander, changes={"root_cause": "pgbouncer timeouts"})
    assert PostMortem.objects.filter(search_vector="timeout").exists()
    services.action_item_add(postmortem=postmortem, by=commander, description="Tune the autovacuum", owner="commander")
    assert PostMortem.objects.filter(search_vector="autovacuum").exists()


def test_stars_added_after_resolution_reach_a_post_mortem_started_later(make_incident, commander, responder):
    incident = make_incident(status="resolved")
    note = incidents.timeline_note(incident=incident, by=responder, text="in hindsight: the deploy at 14:02")
    incidents.entry_star(entry=note, by=responder)
    pm, _ = services.postmortem_start(incident=incident, by=commander)
    assert pm.timeline[-1]["event"] == "@responder: in hindsight: the deploy at 14:02"
    assert Entry.objects.get(pk=pm.timeline[-1]["entry"]) == note


def test_a_viewer_cannot_move_the_status_or_edit_action_items(postmortem, commander, viewer):
    item = services.action_item_add(postmortem=postmortem, by=commander, description="Fix", owner="commander")
    with pytest.raises(PermissionDenied):
        services.postmortem_submit(postmortem=postmortem, by=viewer)
    with pytest.raises(PermissionDenied):
        services.action_item_update(item=item, by=viewer, changes={"status": "done"})
    assert PostMortem.objects.get().status == PostMortemStatus.DRAFT and Revision.objects.count() == 1
    assert ActionItem.objects.get().status == ActionItemStatus.OPEN
