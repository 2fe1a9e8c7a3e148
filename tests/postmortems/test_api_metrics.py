"""GET /api/metrics/: the same numbers as the page, in seconds; bad ranges in the API's error shape."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.postmortems.metrics_data import action_item, incident

pytestmark = pytest.mark.django_db
URL = "/api/metrics/"
RANGE = {"from": "2026-01-01", "to": "2026-02-28"}


@pytest.fixture
def data(runbook, commander):
    for ack, resolve in ((60, 3600), (120, 7200), (600, 1800)):
        incident("SEV2", "2026-01-10T10:00:00", ack=ack, resolve=resolve, due=300)  # the 600 s one is late
    incident("SEV2", "2026-01-11T10:00:00", due=300)  # never acknowledged: past due, a breach
    for ack in (10, 20, 30, 40):
        incident("SEV3", "2026-02-10T10:00:00", ack=ack)
    action_item(commander, created="2026-01-05T09:00:00", done="2026-02-10T09:00:00")
    action_item(commander, created="2026-01-20T09:00:00", due=dt.date(2026, 1, 31))


def _severity(cells, name):
    return next(c for c in cells if c["severity"] == name)


def test_counts_mtta_mttr_and_breaches_per_severity_per_month(api, viewer, data):
    response = api(viewer).get(URL, RANGE)
    assert response.status_code == 200
    body = response.json()
    assert (body["from"], body["to"], body["time_zone"]) == ("2026-01-01", "2026-02-28", "UTC")
    assert [m["month"] for m in body["months"]] == ["2026-01", "2026-02"]
    jan, feb = body["months"]
    sev2 = _severity(jan["by_severity"], "SEV2")
    assert sev2 == {"severity": "SEV2", "incidents": 4, "sla_breaches": 2,
                    "mtta": {"median_seconds": 120.0, "p90_seconds": 600.0, "measured": 3, "excluded": 1},
                    "mttr": {"median_seconds": 3600.0, "p90_seconds": 7200.0, "measured": 3, "excluded": 1}}
    sev3 = _severity(feb["by_severity"], "SEV3")
    assert sev3["mtta"] == {"median_seconds": 25.0, "p90_seconds": 40.0, "measured": 4, "excluded": 0}
    assert sev3["mttr"] == {"median_seconds": None, "p90_seconds": None, "measured": 0, "excluded": 4}
    assert _severity(jan["by_severity"], "SEV1")["incidents"] == 0
    assert [m["total"]["sla_breaches"] for m in body["months"]] == [2, 0]
    whole = body["whole_range"]
    assert whole["total"]["incidents"] == 8
    assert whole["total"]["mtta"]["median_seconds"] == 40.0 and whole["total"]["mtta"]["p90_seconds"] == 600.0
    assert [m["action_items"] for m in body["months"]] == [{"opened": 2, "done": 0}, {"opened": 0, "done": 1}]
    assert whole["action_items"] == {"opened": 2, "done": 1}
    assert body["action_items_overdue"] == 1
    assert "⌈0.9 × n⌉" in body["definitions"]["p90"]


def test_without_a_range_the_last_twelve_months(api, viewer, runbook):
    body = api(viewer).get(URL).json()
    assert len(body["months"]) == 12
    assert body["from"] == body["months"][0]["month"] + "-01"


@pytest.mark.parametrize(("query", "field", "words"), [
    ({"from": "2026-02-30"}, "from", "is not a date"),
    ({"to": "tomorrow"}, "to", "is not a date"),
    ({"from": "2026-03-02", "to": "2026-03-01"}, "from", "after it ends"),
    ({"from": "2021-03-14", "to": "2026-03-15"}, "from", "at most 5 years"),
    ({"from": "1969-12-31", "to": "1970-01-31"}, "from", "Dates run from"),
])
def test_bad_ranges_are_a_400_in_the_api_error_shape(api, viewer, runbook, query, field, words):
    response = api(viewer).get(URL, query)
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"detail", "errors"}
    assert words in body["detail"] and words in body["errors"][field][0]


def test_five_years_exactly_is_answered(api, viewer, runbook):
    response = api(viewer).get(URL, {"from": "2021-03-15", "to": "2026-03-15"})
    assert response.status_code == 200 and len(response.json()["months"]) == 61


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL, RANGE).status_code == 200
    return len(queries)


def test_the_api_takes_the_same_queries_whatever_the_data(api, viewer, commander, runbook):
    client = api(viewer)
    _queries(client)  # the first request loads the viewer's permissions, then cached on the user
    empty = _queries(client)
    for day in range(1, 29):
        incident("SEV1", f"2026-02-{day:02d}T10:00:00", ack=day, resolve=day * 60)
        incident("SEV4", f"2026-01-{day:02d}T10:00:00")
        action_item(commander, created=f"2026-01-{day:02d}T10:00:00", done=f"2026-02-{day:02d}T10:00:00")
    assert _queries(client) == empty == 6


def test_the_schema_describes_the_response(client, viewer, runbook):
    client.force_login(viewer)
    schema = client.get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/metrics/"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"from", "to"}
    ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    properties = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]["properties"]
    assert {"from", "to", "months", "whole_range", "action_items_overdue", "definitions"} <= set(properties)
