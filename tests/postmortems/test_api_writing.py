"""The write API: start, read and PATCH a post-mortem, its action items, the action item list; 400/403/404/409."""

import datetime as dt

import pytest
from django.utils import timezone

from postmortems import services
from postmortems.models import ActionItem, PostMortem, Revision

pytestmark = pytest.mark.django_db


def test_post_starts_201_then_answers_the_existing_one_200(api, recorded, responder):
    url = f"/api/incidents/{recorded.pk}/postmortem/"
    first = api(responder).post(url)
    assert first.status_code == 201
    body = first.json()
    assert body["status"] == "draft" and body["revision"] == 1 and body["users_affected"] == 12000
    assert body["facts"]["severity"] == "SEV2" and body["facts"]["commander"] == "commander"
    assert body["facts"]["duration_seconds"] == int(recorded.duration.total_seconds())
    assert body["summary_html"] == "<p>p99 over 30 s on /api/checkout.</p>"
    assert body["timeline"][0]["event"].startswith("Incident detected")
    again = api(responder).post(url)
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    assert api(responder).get(url).json()["id"] == body["id"]


def test_post_on_an_open_incident_is_409(api, make_incident, commander):
    incident = make_incident(acknowledge=True)
    response = api(commander).post(f"/api/incidents/{incident.pk}/postmortem/")
    assert response.status_code == 409 and "resolved" in response.json()["detail"]
    assert response.json()["errors"] == {}


def test_get_before_any_is_404(api, recorded, commander):
    assert api(commander).get(f"/api/incidents/{recorded.pk}/postmortem/").status_code == 404


def test_patch_sections_by_name_with_html_beside_them(api, postmortem, responder):
    response = api(responder).patch(f"/api/postmortems/{postmortem.pk}/", {
        "root_cause": "Pool **exhausted**\n\n<script>alert(1)</script>", "revenue_impact": "$8,000",
        "downtime": "01:10:00", "expected_revision": 1}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["root_cause_html"] == "<p>Pool <strong>exhausted</strong></p>" and body["revision"] == 2
    assert body["downtime"] == "01:10:00" and body["revenue_impact"] == "$8,000"


def test_patch_with_a_stale_revision_is_409(api, postmortem, commander, responder):
    services.postmortem_update(postmortem=postmortem, by=responder, changes={"summary": "theirs"})
    response = api(commander).patch(f"/api/postmortems/{postmortem.pk}/",
                                    {"summary": "mine", "expected_revision": 1}, format="json")
    assert response.status_code == 409 and "Revision 2 was saved" in response.json()["detail"]
    assert PostMortem.objects.get().summary == "theirs"


@pytest.mark.parametrize(("payload", "field"), [
    ({"title": ""}, "title"),
    ({"users_affected": -3}, "users_affected"),
    ({"timeline": [{"at": "soon", "event": "x"}]}, "timeline"),
    ({"timeline": [{"at": "2026-12-01T14:00:00Z", "event": ""}]}, "timeline"),
    ({"status": "archived"}, "status"),
    ({"search_vector": "x"}, "search_vector"),
    ({"summary_html": "<script>alert(1)</script>"}, "summary_html"),
])
def test_patch_bad_values_are_400_in_the_error_shape(api, postmortem, commander, payload, field):
    response = api(commander).patch(f"/api/postmortems/{postmortem.pk}/", payload, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["errors"] and response.json()["detail"]
    assert Revision.objects.count() == 1


def test_patch_status_moves_and_refuses_a_skip(api, postmortem, commander):
    url = f"/api/postmortems/{postmortem.pk}/"
    skip = api(commander).patch(url, {"status": "published"}, format="json")
    assert skip.status_code == 409
    assert api(commander).patch(url, {"status": "in_review"}, format="json").json()["status"] == "in_review"
    body = api(commander).patch(url, {"status": "published", "resolution": "Rolled back."}, format="json").json()
    assert body["status"] == "published" and body["resolution_html"] == "<p>Rolled back.</p>"


def test_viewers_read_published_post_mortems_only_and_cannot_write(api, postmortem, commander, viewer):
    url = f"/api/postmortems/{postmortem.pk}/"
    assert api(viewer).get(url).status_code == 404
    assert api(viewer).patch(url, {"summary": "x"}, format="json").status_code == 403
    assert api(viewer).post(f"/api/incidents/{postmortem.incident_id}/postmortem/").status_code == 403
    services.postmortem_submit(postmortem=postmortem, by=commander)
    services.postmortem_publish(postmortem=postmortem, by=commander)
    assert api(viewer).get(url).status_code == 200
    assert api().get(url).status_code == 401


def test_action_items_add_list_and_patch(api, postmortem, commander, responder):
    url = f"/api/postmortems/{postmortem.pk}/action-items/"
    response = api(commander).post(url, {"description": "Alert on pool", "owner": "responder",
                                         "due_date": "2026-12-20", "ticket_url": "https://t.example/OPS-1"},
                                   format="json")
    assert response.status_code == 201, response.json()
    item = response.json()
    assert item["owner"] == "responder" and item["status"] == "open" and item["overdue"] is False
    assert [i["id"] for i in api(commander).get(url).json()] == [item["id"]]
    done = api(responder).patch(f"/api/action-items/{item['id']}/", {"status": "done"}, format="json").json()
    assert done["status"] == "done" and done["done_at"] and done["updated_by"] == "responder"


@pytest.mark.parametrize(("payload", "field"), [
    ({"description": "x", "owner": "nobody"}, "owner"),
    ({"description": "", "owner": "commander"}, "description"),
    ({"description": "x", "owner": "commander", "due_date": "tomorrow"}, "due_date"),
    ({"description": "x", "owner": "commander", "ticket_url": "javascript:alert(1)"}, "ticket_url"),
])
def test_bad_action_items_are_400(api, postmortem, commander, payload, field):
    response = api(commander).post(f"/api/postmortems/{postmortem.pk}/action-items/", payload, format="json")
    assert response.status_code == 400 and field in response.json()["errors"], response.json()
    assert not ActionItem.objects.exists()


def test_action_item_patch_refusals(api, postmortem, commander, viewer):
    item = services.action_item_add(postmortem=postmortem, by=commander, description="Fix", owner="commander")
    url = f"/api/action-items/{item.pk}/"
    assert api(commander).patch(url, {"status": "maybe"}, format="json").status_code == 400
    assert api(commander).patch(url, {"postmortem": 2}, format="json").status_code == 400
    assert api(viewer).patch(url, {"status": "done"}, format="json").status_code == 403
    assert api(commander).patch("/api/action-items/999999/", {"status": "done"}, format="json").status_code == 404


def test_action_item_list_filters_owner_and_overdue(api, postmortem, commander, responder):
    today = timezone.localdate()
    for description, owner, due in [("late", "commander", today - dt.timedelta(days=1)),
                                    ("due today", "commander", today), ("theirs", "responder", None)]:
        services.action_item_add(postmortem=postmortem, by=commander, description=description, owner=owner,
                                 due_date=due)
    listed = api(responder).get("/api/action-items/").json()["results"]
    assert [i["description"] for i in listed] == ["late", "due today", "theirs"]
    overdue = api(responder).get("/api/action-items/?overdue=true").json()["results"]
    assert [i["description"] for i in overdue] == ["late"] and overdue[0]["overdue"] is True
    mine = api(responder).get("/api/action-items/?owner=responder").json()["results"]
    assert [i["description"] for i in mine] == ["theirs"]
    not_overdue = api(responder).get("/api/action-items/?overdue=false").json()["results"]
    assert [i["description"] for i in not_overdue] == ["due today", "theirs"]
    assert api(responder).get("/api/action-items/?overdue=perhaps").status_code == 400


def test_api_nul_bytes_are_400_never_500(api, postmortem, commander):
    assert api(commander).get("/api/action-items/?owner=a%00b").status_code == 400
    response = api(commander).post(f"/api/postmortems/{postmortem.pk}/action-items/",
                                   {"description": "x", "owner": "a\x00b"}, format="json")
    assert response.status_code == 400


def test_reading_a_post_mortem_costs_the_same_queries_with_more_action_items(api, postmortem, commander):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for n in (1, 20):
        for i in range(n):
            services.action_item_add(postmortem=postmortem, by=commander, description=f"item {i}", owner="commander")
        client = api(commander)
        with CaptureQueriesContext(connection) as captured:
            assert len(client.get(f"/api/postmortems/{postmortem.pk}/").json()["action_items"]) >= n
        with CaptureQueriesContext(connection) as listed:
            client.get("/api/action-items/")
        counts.append((len(captured), len(listed)))
    assert counts[0] == counts[1]


def test_every_refusal_is_json_with_a_sentence_saying_why(api, postmortem, recorded, commander, viewer):
    item = services.action_item_add(postmortem=postmortem, by=commander, description="Fix", owner="commander")
    refusals = [
        (api(viewer).patch(f"/api/postmortems/{postmortem.pk}/", {"summary": "x"}, format="json"), 403),
        (api(viewer).get(f"/api/postmortems/{postmortem.pk}/"), 404),  # a draft: not for viewers
        (api(commander).get("/api/postmortems/999999/"), 404),
        (api(commander).get("/api/action-items/999999/"), 404),
        (api(commander).get("/api/incidents/999999/postmortem/"), 404),
        (api(commander).patch(f"/api/action-items/{item.pk}/", {"status": "maybe"}, format="json"), 400),
        (api(commander).post(f"/api/postmortems/{postmortem.pk}/action-items/", {"owner": "commander"},
                             format="json"), 400),
        (api(commander).patch(f"/api/postmortems/{postmortem.pk}/", {"status": "published"}, format="json"), 409),
        (api(commander).patch(f"/api/postmortems/{postmortem.pk}/", {"summary": "x", "expected_revision": 7},
                              format="json"), 409),
    ]
    for response, code in refusals:
        assert response.status_code == code, response.content
        assert response["Content-Type"].startswith("application/json")
        detail = response.json()["detail"]
        assert len(detail.split()) >= 3 and detail.rstrip().endswith("."), detail  # a sentence, not a code
        assert "matches the given query" not in detail and "Cannot" not in detail, detail
        if code == 400:
            assert set(response.json()) == {"detail", "errors"}
