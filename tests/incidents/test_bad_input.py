"""Out-of-range input is a 400 with a message, on pages and API alike: never a 500, nothing stored."""

import pytest

from incidents.models import Incident

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
TOO_MANY = 10**20  # past PostgreSQL's integer column
COLUMN_MAX = 2_147_483_647


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"since": "99999-01-01"}, "Enter a valid date"),
        ({"since": "2026-02-31"}, "Enter a valid date"),
        ({"until": "2026-13-01"}, "Enter a valid date"),
        ({"page": "999999"}, "There is no page 999999; pages run from 1 to 1."),
        ({"page": "-1"}, "There is no page -1"),
        ({"page": "0"}, "There is no page 0"),
        ({"page": "abc"}, "Page &#x27;abc&#x27; is not a number"),
        ({"severity": "SEV1\x00"}, "Select a valid choice"),
    ],
)
def test_history_out_of_range_is_400_with_a_message(as_commander, make_incident, query, message):
    make_incident()
    response = as_commander.get("/incidents/history/", query)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_history_until_the_calendars_last_day_is_every_incident(as_commander, make_incident):
    make_incident(title="Still here")
    response = as_commander.get("/incidents/history/", {"since": "0001-01-01", "until": "9999-12-31"})
    assert response.status_code == 200
    assert "Still here" in response.content.decode()


def test_history_pages_that_exist_are_200(as_commander, make_incident):
    for n in range(26):
        make_incident(title=f"Past {n:02}", severity="SEV4")
    assert as_commander.get("/incidents/history/", {"page": "2"}).status_code == 200
    assert "There is no page 3; pages run from 1 to 2." in as_commander.get(
        "/incidents/history/", {"page": "3"}).content.decode()


def test_history_of_nothing_has_a_first_page(as_commander):
    assert as_commander.get("/incidents/history/", {"page": "1"}).status_code == 200


def test_declare_with_more_users_than_the_column_holds_is_400(as_commander):
    response = as_commander.post("/incidents/declare/", {"title": "Huge", "severity": "SEV2",
                                                         "source": "user_report", "users_affected": TOO_MANY})
    assert response.status_code == 400
    assert f"less than or equal to {COLUMN_MAX}" in response.content.decode()
    assert not Incident.objects.exists()


def test_declare_with_the_column_maximum_is_stored(as_commander):
    response = as_commander.post("/incidents/declare/", {"title": "Everyone", "severity": "SEV2",
                                                         "source": "user_report", "users_affected": COLUMN_MAX})
    assert response.status_code == 302
    assert Incident.objects.get().users_affected == COLUMN_MAX


def test_details_edit_with_more_users_than_the_column_holds_is_400(as_commander, make_incident):
    incident = make_incident(title="Checkout down", users_affected=10)
    response = as_commander.post(f"/incidents/{incident.pk}/details/",
                                 {"title": "Checkout down", "users_affected": TOO_MANY}, **HTMX)
    assert response.status_code == 400
    assert f"less than or equal to {COLUMN_MAX}" in response.content.decode()
    assert Incident.objects.get(pk=incident.pk).users_affected == 10


def test_api_create_with_more_users_than_the_column_holds_is_400(api, commander):
    response = api(commander).post("/api/incidents/", {"title": "Huge", "severity": "SEV2",
                                                       "users_affected": TOO_MANY}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"users_affected": [f"Ensure this value is less than or equal to "
                                                            f"{COLUMN_MAX}."]}
    assert not Incident.objects.exists()


def test_api_patch_with_more_users_than_the_column_holds_is_400(api, commander, make_incident):
    incident = make_incident(users_affected=10)
    response = api(commander).patch(f"/api/incidents/{incident.pk}/", {"users_affected": TOO_MANY},
                                    format="json")
    assert response.status_code == 400
    assert "users_affected" in response.json()["errors"]
    assert Incident.objects.get(pk=incident.pk).users_affected == 10


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("?status=exploded", "status", "Unknown status 'exploded'; choose one of detected,"),
        ("?status=%00", "status", "Unknown status"),
        ("?severity=SEV7", "severity", "Unknown severity SEV7; choose one of SEV1, SEV2, SEV3, SEV4."),
        ("?severity=%00", "severity", "Give a severity name such as SEV2."),
        ("?open=maybe", "open", "Use open=true or open=false."),
        ("?page=999999", "page", "There is no page 999999; pages run from 1 to 1."),
        ("?page=-1", "page", "There is no page -1; pages run from 1 to 1."),
        ("?page=abc", "page", "Page 'abc' is not a number; pages run from 1 to 1."),
    ],
)
def test_api_list_bad_filter_or_page_is_400_with_a_list_of_messages(api, viewer, make_incident, query, field,
                                                                     message):
    make_incident()
    response = api(viewer).get(f"/api/incidents/{query}")
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"detail", "errors"}
    assert list(body["errors"]) == [field]
    assert isinstance(body["errors"][field], list) and message in body["errors"][field][0]
    assert message in body["detail"]


def test_api_list_pages_that_exist_are_200(api, viewer):
    assert api(viewer).get("/api/incidents/?page=1").status_code == 200
    assert api(viewer).get("/api/incidents/?page=last").status_code == 200


@pytest.mark.parametrize(
    ("method", "url", "payload"),
    [
        ("post", "/api/incidents/", {"title": "x", "severity": "SEV2\x00"}),
        ("post", "/api/incidents/{pk}/roles/", {"role": "scribe", "user": "responder\x00"}),
    ],
)
def test_api_nul_in_a_name_is_400(api, commander, make_incident, method, url, payload):
    incident = make_incident()
    response = getattr(api(commander), method)(url.format(pk=incident.pk), payload, format="json")
    assert response.status_code == 400, response.content


@pytest.mark.parametrize("url", ["/api/severities/%00/", "/api/incidents/abc/", "/api/incidents/99999999999999999999/"])
def test_api_unknown_objects_are_404_json(api, viewer, url):
    response = api(viewer).get(url)
    assert response.status_code == 404
    assert set(response.json()) == {"detail", "errors"}


def test_declare_page_with_nul_in_the_severity_is_400(as_commander):
    response = as_commander.post("/incidents/declare/", {"title": "x", "severity": "SEV2\x00"})
    assert response.status_code == 400
    assert not Incident.objects.exists()


def test_page_for_an_incident_number_past_any_column_is_404(as_commander):
    assert as_commander.get("/incidents/99999999999999999999/").status_code == 404
