"""The permission matrix: every page and API action, for every role, through the one check they share."""

import pytest

pytestmark = pytest.mark.django_db

GRANTS = {
    "commander": {"view", "note", "manage"},
    "responder": {"view", "note"},
    "viewer": {"view"},
    "outsider": set(),
    "anonymous": set(),
}

# (needs, method, url, payload); {pk} is an acknowledged SEV2 incident.
ENDPOINTS = [
    ("view", "get", "/", None),
    ("view", "get", "/live/?v=0", None),
    ("view", "get", "/incidents/history/", None),
    ("view", "get", "/incidents/{pk}/", None),
    ("view", "get", "/incidents/{pk}/live/?v=0", None),
    ("manage", "get", "/incidents/declare/", None),
    ("manage", "post", "/incidents/declare/", {"title": "New", "severity": "SEV3", "source": "user_report"}),
    ("manage", "post", "/incidents/{pk}/transition/", {"status": "investigating"}),
    ("manage", "post", "/incidents/{pk}/severity/", {"severity": "SEV1"}),
    ("manage", "post", "/incidents/{pk}/roles/", {"role": "scribe", "user": "responder"}),
    ("manage", "post", "/incidents/{pk}/details/", {"title": "Renamed"}),
    ("note", "post", "/incidents/{pk}/timeline/", {"text": "a note"}),
    ("view", "get", "/api/severities/", None),
    ("view", "get", "/api/incidents/", None),
    ("view", "get", "/api/incidents/{pk}/", None),
    ("view", "get", "/api/incidents/{pk}/timeline/", None),
    ("view", "get", "/api/incidents/{pk}/announcement/", None),
    ("note", "post", "/api/incidents/{pk}/timeline/", {"text": "a note"}),
    ("manage", "post", "/api/incidents/", {"title": "New", "severity": "SEV3"}),
    ("manage", "patch", "/api/incidents/{pk}/", {"title": "Renamed"}),
    ("manage", "post", "/api/incidents/{pk}/transition/", {"status": "investigating"}),
    ("manage", "post", "/api/incidents/{pk}/roles/", {"role": "scribe", "user": "responder"}),
]


@pytest.mark.parametrize("role", list(GRANTS))
@pytest.mark.parametrize(("needs", "method", "url", "payload"), ENDPOINTS, ids=[f"{m} {u}" for _, m, u, _ in ENDPOINTS])
def test_permission_matrix(client, people, make_incident, role, needs, method, url, payload):
    incident = make_incident(acknowledge=True)
    if people[role] is not None:
        client.force_login(people[role])
    url = url.format(pk=incident.pk)
    kwargs = {"content_type": "application/json", "data": payload} if url.startswith("/api/") and payload else {}
    if payload and not kwargs:
        kwargs = {"data": payload}
    response = getattr(client, method)(url, **kwargs)

    if needs in GRANTS[role]:
        assert response.status_code < 400, (role, url, response.status_code)
    elif role == "anonymous":
        expected = 401 if url.startswith("/api/") else 302
        assert response.status_code == expected
        if expected == 302:
            assert response["Location"].startswith("/accounts/login/")
    else:
        assert response.status_code == 403, (role, url, response.status_code)
