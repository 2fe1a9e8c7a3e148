"""GET /api/postmortems/: filters, search with headlines, pagination, visibility and the error shape."""

from __future__ import annotations

import datetime as dt

import pytest

from postmortems.models import PostMortemStatus
from tests.postmortems.reading_fixtures import DAY, bulk_postmortems

pytestmark = pytest.mark.django_db
URL = "/api/postmortems/"


def test_lists_rows_with_their_facts(api, commander, make_postmortem):
    pm = make_postmortem("Checkout timeout", severity="SEV1", service="checkout-api",
                         duration=dt.timedelta(minutes=90), action_items=[{"description": "x"}])
    response = api(commander).get(URL)
    assert response.status_code == 200
    assert response.data["count"] == 1 and response.data["next"] is None
    [row] = response.data["results"]
    assert row["id"] == pm.pk and row["incident"] == pm.incident_id
    assert (row["severity"], row["service"], row["status"]) == ("SEV1", "checkout-api", "published")
    assert row["duration_seconds"] == 5400 and row["open_action_items"] == 1
    assert row["headline"] is None
    assert row["url"].endswith(f"/postmortems/{pm.pk}/")


def test_search_ranks_and_carries_a_headline(api, commander, make_postmortem):
    make_postmortem("Disk full", summary="then a <b>timeout</b>")
    make_postmortem("Gateway timeouts")
    make_postmortem("Unrelated")
    rows = api(commander).get(URL, {"search": "timeout"}).data["results"]
    assert [r["title"] for r in rows] == ["Gateway timeouts", "Disk full"]
    assert "<mark>timeouts</mark>" in rows[0]["headline"].lower()
    assert "<b>" not in rows[1]["headline"] and "<mark>timeout</mark>" in rows[1]["headline"]


def test_filters(api, commander, make_postmortem):
    make_postmortem("A", severity="SEV1", service="checkout-api", declared_at=DAY,
                    action_items=[{"description": "x"}])
    make_postmortem("B", severity="SEV2", service="search-api", declared_at=DAY - dt.timedelta(days=40),
                    status=PostMortemStatus.IN_REVIEW)
    client = api(commander)

    def titles(**params):
        return [r["title"] for r in client.get(URL, params).data["results"]]

    assert titles(severity="sev1") == ["A"]
    assert titles(status="in_review") == ["B"]
    assert titles(service="search-api") == ["B"]
    assert titles(**{"from": "2026-03-01"}) == ["A"]
    assert titles(to="2026-02-01") == ["B"]
    assert titles(has_open_action_items="false") == ["B"]
    assert titles(sort="date") == ["B", "A"]


def test_viewers_see_published_only(api, viewer, make_postmortem):
    make_postmortem("Out")
    make_postmortem("Draft", status=PostMortemStatus.DRAFT)
    assert [r["title"] for r in api(viewer).get(URL).data["results"]] == ["Out"]


@pytest.mark.parametrize(("params", "field"), [
    ({"severity": "SEV9"}, "severity"), ({"status": "gone"}, "status"), ({"from": "March"}, "from"),
    ({"to": "2026-02-30"}, "to"), ({"from": "2026-03-02", "to": "2026-03-01"}, "from"),
    ({"has_open_action_items": "perhaps"}, "has_open_action_items"), ({"sort": "title"}, "sort"),
    ({"search": "x" * 201}, "search"), ({"search": "a\x00b"}, "search"), ({"page": "9"}, "page"),
])
def test_bad_parameters_are_400_in_the_error_shape(api, commander, make_postmortem, params, field):
    make_postmortem()
    response = api(commander).get(URL, params)
    assert response.status_code == 400
    assert set(response.json()) == {"detail", "errors"}
    assert field in response.json()["errors"] and response.json()["detail"]


def test_pages_of_fifty(api, commander, sev):
    bulk_postmortems(60, commander=commander, severities=[sev["SEV3"]])
    first = api(commander).get(URL).data
    assert first["count"] == 60 and len(first["results"]) == 50 and first["next"].endswith("page=2")
    assert len(api(commander).get(URL, {"page": 2}).data["results"]) == 10


def test_anonymous_and_outsiders_are_refused(api, outsider):
    assert api().get(URL).status_code == 401
    assert api(outsider).get(URL).status_code == 403
