"""Malformed bodies → 400 naming the field; too large → 413; never a 500, and nothing partial stored."""

import json

import pytest
from rest_framework.test import APIClient

from alerts.models import Alert, AlertGroup
from alerts.payloads import MAX_ALERTS
from incidents.models import Entry, Incident
from tests.alerts.conftest import AM_URL, am_alert, am_payload

pytestmark = pytest.mark.django_db


def _nothing_stored():
    return not (Alert.objects.exists() or AlertGroup.objects.exists() or Incident.objects.exists()
                or Entry.objects.exists())


def _broken(path, value):
    body = am_payload(am_alert(), am_alert("Second", fingerprint="ff02"))
    target = body
    *parents, last = path
    for key in parents:
        target = target[key]
    if value is KeyError:
        del target[last]
    else:
        target[last] = value
    return body


@pytest.mark.parametrize(("path", "value", "field"), [
    (["alerts"], KeyError, "alerts"),
    (["alerts"], [], "alerts"),
    (["alerts"], "x", "alerts"),
    (["groupKey"], KeyError, "groupKey"),
    (["groupKey"], 7, "groupKey"),
    (["version"], "3", "version"),
    (["truncatedAlerts"], -1, "truncatedAlerts"),
    (["truncatedAlerts"], "many", "truncatedAlerts"),
    (["status"], "pending", "status"),
    (["alerts", 1], "not an object", "alerts[1]"),
    (["alerts", 1, "status"], "pending", "alerts[1].status"),
    (["alerts", 1, "labels"], KeyError, "alerts[1].labels"),
    (["alerts", 1, "labels"], ["a"], "alerts[1].labels"),
    (["alerts", 1, "labels", "severity"], 5, "alerts[1].labels.severity"),
    (["alerts", 1, "annotations", "summary"], "nul\x00byte", "alerts[1].annotations.summary"),
    (["alerts", 1, "startsAt"], KeyError, "alerts[1].startsAt"),
    (["alerts", 1, "startsAt"], "yesterday", "alerts[1].startsAt"),
    (["alerts", 1, "startsAt"], "2026-12-01T20:00:00", "alerts[1].startsAt"),
    (["alerts", 1, "endsAt"], 12, "alerts[1].endsAt"),
    (["alerts", 1, "fingerprint"], "x" * 65, "alerts[1].fingerprint"),
    (["alerts", 1, "fingerprint"], "c5f0a7e1b2d3e4f5", "alerts[1].fingerprint"),  # the same as alerts[0]'s
    (["alerts", 1, "generatorURL"], "u" * 10_001, "alerts[1].generatorURL"),
])
def test_a_malformed_delivery_is_400_naming_the_field_and_stores_nothing(sender, path, value, field):
    response = sender(_broken(path, value))
    assert response.status_code == 400, response.content
    body = response.json()
    assert field in body["errors"], body
    assert field in body["detail"]
    assert _nothing_stored()


@pytest.mark.parametrize("body", ["not json", "[]", "null", '"text"', "{"])
def test_a_body_that_is_no_payload_is_400(source, body):
    client = APIClient()
    response = client.post(AM_URL, body, content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {source.token}")
    assert response.status_code == 400
    assert set(response.json()) == {"detail", "errors"}
    assert _nothing_stored()


def test_the_largest_delivery_is_accepted_and_one_more_alert_is_refused(sender):
    alerts = [am_alert(fingerprint=f"{n:016x}") for n in range(MAX_ALERTS + 1)]
    response = sender(am_payload(*alerts))
    assert response.status_code == 400 and "alerts" in response.json()["errors"]
    assert _nothing_stored()
    assert sender(am_payload(*alerts[:MAX_ALERTS])).status_code == 200
    assert Alert.objects.count() == MAX_ALERTS


def test_an_oversized_body_is_413_in_the_api_shape_and_stores_nothing(source, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 50_000
    body = am_payload(am_alert())
    body["alerts"][0]["annotations"]["description"] = "x" * 9_000
    body["alerts"] = [dict(body["alerts"][0], fingerprint=f"{n:016x}") for n in range(6)]
    raw = json.dumps(body)
    assert len(raw) > 50_000
    response = APIClient().post(AM_URL, raw, content_type="application/json",
                                HTTP_AUTHORIZATION=f"Bearer {source.token}")
    assert response.status_code == 413
    assert response.json() == {"detail": "The request body is larger than the 50,000 bytes the server accepts.",
                               "errors": {}}
    assert _nothing_stored()
    body["alerts"] = body["alerts"][:4]
    assert len(json.dumps(body)) < 50_000
    assert APIClient().post(AM_URL, json.dumps(body), content_type="application/json",
                            HTTP_AUTHORIZATION=f"Bearer {source.token}").status_code == 200


def test_a_failure_half_way_leaves_nothing(sender, monkeypatch):
    """One transaction: if writing the timeline fails after the alerts were inserted, they go too."""
    from alerts import services

    def broken(*args, **kwargs):
        raise RuntimeError("the timeline is down")

    monkeypatch.setattr(services, "timeline_record", broken)
    with pytest.raises(RuntimeError):
        sender(am_payload())
    assert _nothing_stored()


def _post_raw(source, raw: str, content_type="application/json"):
    return APIClient(raise_request_exception=False).post(AM_URL, raw, content_type=content_type,
                                                         HTTP_AUTHORIZATION=f"Bearer {source.token}")


def test_the_text_backslash_u0000_is_fine(sender):
    body = am_payload()
    body["alerts"][0]["annotations"]["description"] = "a literal \\u0000 in a regex"
    assert sender(body).status_code == 200


def test_json_nested_too_deep_for_the_parser_is_400(source):
    response = _post_raw(source, "[" * 100_000 + "]" * 100_000)
    assert response.status_code == 400 and "nested too deeply" in response.json()["detail"]
    assert _nothing_stored()


@pytest.mark.parametrize(("where", "value", "field"), [
    ("label", "\ud800", "alerts[0].labels.instance"),  # a lone surrogate: valid JSON, not storable text
    ("extra", "a\u0000b", "alerts[0].extra"),  # NUL anywhere in the raw payload, which is stored as is
    ("key", {"\ud800": 1}, "alerts[0].values.\\ud800"),
])
def test_text_postgresql_cannot_store_is_400_naming_where(source, where, value, field):
    body = am_payload()
    if where == "label":
        body["alerts"][0]["labels"]["instance"] = value
    elif where == "extra":
        body["alerts"][0]["extra"] = value
    else:
        body["alerts"][0]["values"] = value
    response = _post_raw(source, json.dumps(body))
    assert response.status_code == 400, response.content[:300]
    assert list(response.json()["errors"]) == [field]
    assert _nothing_stored()


def test_a_body_that_is_not_json_is_415(source):
    response = _post_raw(source, "alertname=x", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415 and set(response.json()) == {"detail", "errors"}
    assert _nothing_stored()
