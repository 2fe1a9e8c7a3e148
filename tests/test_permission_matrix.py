"""The permission matrix: every URL of every app, every method, every role.

Built from the URL configuration: a URL with no row here fails `test_every_url_has_a_row`, and a method a
URL answers without a row fails `test_methods_without_a_row_are_refused`. A refused write leaves no trace.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from django.urls import NoReverseMatch, reverse

from incidents.models import Entry
from mitigations import services as mitigation_services
from tests.mitigations.conftest import API, NS, running_cluster
from tests.urlwalk import url_names as walked_url_names

pytestmark = pytest.mark.django_db

# What each person may do; the rows below say which of these each URL and method needs.
GRANTS = {
    "commander": {"view", "note", "run", "preview", "manage", "execute", "write"},
    "responder": {"view", "note", "run", "preview", "write"},
    "viewer": {"view"},
    "outsider": set(),
    "anonymous": set(),
}
METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Row:
    needs: str
    method: str
    payload: dict | None = None
    query: str = ""
    kwargs: dict = field(default_factory=dict)  # URL argument -> object from the `world` fixture
    cluster: bool = False  # needs the Kubernetes API server (mitigation previews)


SCALE = {"action": "kubernetes.scale", "target": "prod-api", "params": {"replicas": 4}}
ON_MITIGATION = {"pk": "incident", "mitigation_pk": "mitigation"}
ON_ENTRY = {"pk": "incident", "entry_pk": "entry"}
ON_PM = {"pk": "postmortem"}
ALERTMANAGER = {"version": "4", "groupKey": "matrix", "status": "firing", "alerts": [
    {"status": "firing", "labels": {"alertname": "Matrix", "severity": "critical"}, "annotations": {},
     "startsAt": "2026-12-01T20:00:00Z", "fingerprint": "0123456789abcdef"}]}

MATRIX: dict[str, list[Row]] = {
    # incidents: pages
    "incidents:dashboard": [Row("view", "get")],
    "incidents:dashboard_live": [Row("view", "get", query="?v=0")],
    "incidents:dashboard_stream": [Row("view", "get")],
    "incidents:history": [Row("view", "get")],
    "incidents:declare": [Row("manage", "get"),
                          Row("manage", "post", {"title": "New", "severity": "SEV3", "source": "user_report"})],
    "incidents:detail": [Row("view", "get")],
    "incidents:detail_live": [Row("view", "get", query="?v=0")],
    "incidents:detail_stream": [Row("view", "get")],
    "incidents:acknowledge": [Row("manage", "post", kwargs={"pk": "detected"})],
    "incidents:transition": [Row("manage", "post", {"status": "investigating"})],
    "incidents:severity": [Row("manage", "post", {"severity": "SEV1", "reason": "worse"})],
    "incidents:roles": [Row("manage", "post", {"role": "scribe", "user": "responder"})],
    "incidents:details": [Row("manage", "post", {"title": "Renamed"})],
    "incidents:timeline": [Row("note", "post", {"text": "a note"})],
    # incidents: API
    "api:severity-list": [Row("view", "get")],
    "api:severity-detail": [Row("view", "get", kwargs={"name": "name"})],
    "api:incident-list": [Row("view", "get"), Row("manage", "post", {"title": "New", "severity": "SEV3"})],
    "api:incident-detail": [Row("view", "get"), Row("manage", "patch", {"title": "Renamed"})],
    "api:incident-acknowledge": [Row("manage", "post", kwargs={"pk": "detected"})],
    "api:incident-transition": [Row("manage", "post", {"status": "investigating"})],
    "api:incident-roles": [Row("manage", "post", {"role": "scribe", "user": "responder"})],
    "api:incident-timeline": [Row("view", "get"), Row("note", "post", {"text": "a note"})],
    "api:incident-announcement": [Row("view", "get")],
    # diagnostics: pages and API
    "diagnostics:run": [Row("run", "post", {"check": "postgres.connections", "target": "local-postgres"})],
    "diagnostics:triage": [Row("run", "post")],
    "diagnostics:playbook": [Row("run", "post", kwargs={"pk": "incident", "slug": "playbook"})],
    "diagnostics:watch_start": [Row("run", "post", {"target": "prod-api", "minutes": "5"}, cluster=True)],
    "diagnostics:watch_cancel": [Row("run", "post", kwargs={"pk": "incident", "watch_pk": "watch"})],
    "diagnostics-api:targets": [Row("view", "get")],
    "diagnostics-api:checks": [Row("view", "get")],
    "diagnostics-api:playbooks": [Row("view", "get")],
    "diagnostics-api:incident-runs": [
        Row("view", "get"), Row("run", "post", {"check": "postgres.connections", "target": "local-postgres"})],
    "diagnostics-api:triage": [Row("run", "post")],
    "diagnostics-api:playbook": [Row("run", "post", kwargs={"pk": "incident", "slug": "playbook"})],
    "diagnostics-api:run-detail": [Row("view", "get", kwargs={"pk": "run"})],
    "diagnostics-api:incident-memory-watches": [Row("view", "get")],
    # mitigations: pages and API
    "mitigations:request": [Row("preview", "post", {"action": "kubernetes.scale", "target": "prod-api",
                                                    "replicas": "4"}, cluster=True)],
    "mitigations:approve": [Row("execute", "post", kwargs=ON_MITIGATION, cluster=True)],
    "mitigations:confirm": [Row("execute", "post", {"confirm": API},
                                kwargs={"pk": "incident", "mitigation_pk": "scale"}, cluster=True)],
    "mitigations:cancel": [Row("execute", "post", kwargs=ON_MITIGATION, cluster=True)],
    "mitigations-api:incident-mitigations": [Row("view", "get"), Row("preview", "post", SCALE, cluster=True)],
    "mitigations-api:detail": [Row("view", "get", kwargs={"pk": "mitigation"}, cluster=True),
                               Row("preview", "patch", {"params": {"to_revision": 8}}, kwargs={"pk": "mitigation"},
                                   cluster=True)],
    "mitigations-api:approve": [Row("execute", "post", kwargs={"pk": "mitigation"}, cluster=True)],
    "mitigations-api:cancel": [Row("execute", "post", kwargs={"pk": "mitigation"}, cluster=True)],
    "mitigations-api:confirm": [Row("execute", "post", {"confirm": API}, kwargs={"pk": "scale"}, cluster=True)],
    # people: pages and API (read by everyone who may view incidents)
    "people:contacts": [Row("view", "get")],
    "people:escalation": [Row("view", "get")],
    "people:calendar_token": [Row("view", "post")],
    "people-api:contacts": [Row("view", "get")],
    "people-api:oncall": [Row("view", "get")],
    "people-api:escalation": [Row("view", "get")],
    # post-mortems: metrics (h/pm-metrics)
    "postmortems:metrics": [Row("view", "get")],
    "postmortems-api:metrics": [Row("view", "get")],
    # people: notifications
    "notifications-api:incident-notifications": [Row("view", "get")],
    # stars (h/pm-write)
    "incidents:star": [Row("note", "post", {"action": "star"}, kwargs=ON_ENTRY)],
    "api:incident-entry-star": [Row("note", "post", kwargs=ON_ENTRY), Row("note", "delete", kwargs=ON_ENTRY)],
    # post-mortems, writing (h/pm-write): pages and API
    "postmortems:start": [Row("write", "post", kwargs={"pk": "resolved"})],
    "postmortems:edit": [Row("write", "get", kwargs=ON_PM), Row("write", "post", {"title": "Renamed"}, kwargs=ON_PM)],
    "postmortems:preview": [Row("write", "post", {"section": "summary", "summary": "**x**"}, kwargs=ON_PM)],
    "postmortems:status": [Row("write", "post", {"move": "submit"}, kwargs=ON_PM)],
    "postmortems:action_item_add": [Row("write", "post", {"description": "x", "owner": "commander"}, kwargs=ON_PM)],
    "postmortems:action_item_edit": [Row("write", "post", {"status": "done"},
                                         kwargs={"pk": "postmortem", "item_pk": "item"})],
    "postmortems:revisions": [Row("write", "get", kwargs=ON_PM)],
    "postmortems:revision": [Row("write", "get", kwargs={"pk": "postmortem", "number": "number"})],
    "postmortems:my_action_items": [Row("view", "get")],
    "postmortems:action_items": [Row("view", "get")],
    "postmortems-api:incident-postmortem": [Row("view", "get", kwargs={"pk": "published_incident"}),
                                            Row("write", "post", kwargs={"pk": "resolved"})],
    "postmortems-api:detail": [Row("view", "get", kwargs={"pk": "published"}),
                               Row("write", "patch", {"summary": "x"}, kwargs=ON_PM)],
    "postmortems-api:action-items": [Row("view", "get", kwargs={"pk": "published"}),
                                     Row("write", "post", {"description": "x", "owner": "commander"}, kwargs=ON_PM)],
    "postmortems-api:action-item": [Row("view", "get", kwargs={"pk": "published_item"}),
                                    Row("write", "patch", {"status": "done"}, kwargs={"pk": "item"})],
    "postmortems-api:action-item-list": [Row("view", "get")],
    # alerts: pages for people; webhooks for sources, with their token only ("source": no person has it)
    "alerts:list": [Row("view", "get")],
    "alerts:declare": [Row("manage", "get", kwargs={"pk": "alert"}),
                       Row("manage", "post", {"title": "From an alert", "severity": "SEV3"}, kwargs={"pk": "alert"})],
    "alerts-api:alertmanager": [Row("source", "post", ALERTMANAGER)],
    "alerts-api:grafana": [Row("source", "post", ALERTMANAGER)],
    # post-mortems, reading (h/pm-read): viewers read published ones (unpublished: 404, in tests/postmortems/)
    "postmortems:library": [Row("view", "get")],
    "postmortems:detail": [Row("view", "get", kwargs={"pk": "published"})],
    "postmortems:export": [Row("view", "get", kwargs={"pk": "published"})],
    "postmortems-api:list": [Row("view", "get")],
    # the Slack war room (h/slack): the panel's buttons for commanders; Slack's endpoints take its request signature
    # only ("slack": no session is one, whoever holds it; tests/chat/test_commands.py signs the accepted ones)
    "chat:retry": [Row("manage", "post", kwargs={"pk": "incident"})],
    "chat:summary": [Row("manage", "post", kwargs={"pk": "incident"})],
    "chat:command": [Row("slack", "post", {"text": "declare SEV1 From a session", "user_id": "U1"})],
    "chat:interactivity": [Row("slack", "post", {"payload": "{}"})],
    # status (h/status): the commander's public update; the external services' readings
    "status:update": [Row("manage", "post", {"title": "Checkout errors", "status": "investigating", "impact": "minor",
                                             "body": "Looking into it."})],
    "status-api:external-services": [Row("view", "get")],
    "status-api:incident-status-updates": [Row("view", "get"), Row("manage", "post", {
        "title": "Checkout errors", "status": "investigating", "impact": "minor", "body": "Looking into it."})],
    # the audit log (h/audit): auditors and superusers only, so none of these roles ("audit": tests/audit/test_views.py)
    "audit:events": [Row("audit", "get")],
}

# Not about incidents: they answer everyone (login, logout, health) or are read-only documents with their own tests.
# The calendar feeds answer whoever holds their URL's secret token (tests/people/test_calendar.py).
EXEMPT = {"login", "logout", "healthz", "schema", "api-docs", "api:api-root", "people:rotation_ics",
          "people:contact_ics"}
# The public status page answers everyone, GET only, public data only (tests/status/test_public.py: anonymous reads,
# no internal field, 405 for every other method).
EXEMPT |= {"status:page", "status:summary", "status:history_atom"}


def url_names() -> set[str]:
    """The admin has its own permissions (and, like every URL, needs a login: tests/test_authentication.py)."""
    return walked_url_names(skip_namespaces=frozenset({"admin"}))


def test_every_url_has_a_row():
    assert url_names() - EXEMPT == set(MATRIX)


@pytest.fixture(scope="module")
def cluster():
    """One Kubernetes API server for the module: the matrix only previews (dry runs) and queues, never executes."""
    with running_cluster() as server:
        yield server


@pytest.fixture
def world(request, people, second_commander, make_incident):
    """The objects the URLs point at; the Kubernetes ones only for the rows that need them."""
    from diagnostics.models import Run
    from targets.models import Target

    incident = make_incident(acknowledge=True)
    target = Target.objects.create(name="local-postgres", kind="postgres",
                                   url="postgres://postgres@127.0.0.1:5432/postgres")
    objects = {"incident": incident.pk, "detected": make_incident(title="Unacknowledged").pk, "playbook": "api-timeout",
               "name": "SEV1",
               "run": Run.objects.create(incident=incident, check_name="postgres.connections", target=target).pk}
    objects |= {"mitigation": 999_999, "scale": 999_999}  # for the 405 checks, which never reach a view's body
    objects["watch"] = _memory_watch(incident, people["responder"]).pk
    name = getattr(request.node, "callspec", None) and request.node.callspec.params.get("name", "")
    if name and (name.startswith("postmortems") or name.endswith("star")):  # only the rows that point at them
        objects |= _postmortem_world(incident, make_incident, people["commander"])
    objects["alert"] = _recorded_alert().pk
    row = getattr(request.node, "callspec", None) and request.node.callspec.params.get("row")
    if row and row.cluster:
        from mitigations.models import ScaleLimits
        from targets.models import Target

        k8s = Target.objects.create(name="prod-api", kind="kubernetes", url=request.getfixturevalue("cluster").url,
                                    namespace=NS, deployment=API, timeout_seconds=2)
        ScaleLimits.objects.create(target=k8s, min_replicas=2, max_replicas=12)
        undo = mitigation_services.mitigation_request(incident=incident, action="kubernetes.rollout_undo",
                                                      target=k8s, params={}, by=second_commander)
        scale = mitigation_services.mitigation_request(incident=incident, action="kubernetes.scale", target=k8s,
                                                       params={"replicas": 4}, by=second_commander)
        objects |= {"mitigation": undo.pk, "scale": scale.pk}
    return objects


def _memory_watch(incident, by):
    """A queued memory watch to cancel (h/runbook); its target is never called."""
    from diagnostics.models import MemoryWatch
    from targets.models import Target

    watched = Target.objects.create(name="watched-api", kind="kubernetes", url="http://127.0.0.1:9",
                                    namespace=NS, deployment="watched-api")
    return MemoryWatch.objects.create(incident=incident, target=watched, requested_by=by, interval_seconds=15,
                                      duration_seconds=1800)


def _postmortem_world(incident, make_incident, commander) -> dict:
    """A timeline line to star; resolved incidents, a draft post-mortem with an action item, a published one."""
    from postmortems import services as pm

    draft, _ = pm.postmortem_start(incident=make_incident(title="Resolved", status="resolved"), by=commander)
    published, _ = pm.postmortem_start(incident=make_incident(title="Published", status="resolved"), by=commander)
    published_item = pm.action_item_add(postmortem=published, by=commander, description="Done soon", owner=commander)
    pm.postmortem_submit(postmortem=published, by=commander)
    pm.postmortem_publish(postmortem=published, by=commander)
    return {"entry": incident.entries.first().pk, "resolved": make_incident(title="To write", status="resolved").pk,
            "postmortem": draft.pk, "number": 1, "published": published.pk,
            "published_incident": published.incident_id, "published_item": published_item.pk,
            "item": pm.action_item_add(postmortem=draft, by=commander, description="Fix", owner=commander).pk}


def _traces() -> tuple[int, ...]:
    """What a write leaves behind: timeline lines, stars, post-mortems, their revisions and action items, alerts."""
    from alerts.models import Alert
    from incidents.models import Star
    from postmortems.models import ActionItem, PostMortem, Revision

    return tuple(m.objects.count() for m in (Entry, Star, PostMortem, Revision, ActionItem, Alert))


def _recorded_alert():
    """An alert that opened no incident (a warning is only recorded), for "Declare from alert"."""
    from alerts import services as alert_services
    from alerts.payloads import parse

    source, _ = alert_services.source_create(name="matrix-source", by=None)
    body = {**ALERTMANAGER, "groupKey": "matrix-warning",
            "alerts": [{**ALERTMANAGER["alerts"][0], "labels": {"alertname": "Quiet", "severity": "warning"}}]}
    alert_services.alerts_receive(source=source, delivery=parse(body))
    return source.alerts.get()


def _url(name: str, row: Row, world: dict) -> str:
    """The row's URL; an incident's by default, for URLs that take an id."""
    try:
        url = reverse(name)
    except NoReverseMatch:
        url = reverse(name, kwargs={arg: world[obj] for arg, obj in (row.kwargs or {"pk": "incident"}).items()})
    return url + row.query


def _send(client, method: str, url: str, payload: dict | None):
    if url.startswith("/api/"):
        return getattr(client, method)(url, payload or {}, content_type="application/json")
    return getattr(client, method)(url, payload or {}) if method == "post" else getattr(client, method)(url)


CASES = [(name, row) for name, rows in MATRIX.items() for row in rows]


@pytest.mark.parametrize("role", list(GRANTS))
@pytest.mark.parametrize(("name", "row"), CASES, ids=[f"{row.method} {name}" for name, row in CASES])
def test_permission_matrix(client, people, world, role, name, row):
    if people[role] is not None:
        client.force_login(people[role])
    url = _url(name, row, world)
    traces = _traces()
    response = _send(client, row.method, url, row.payload)

    if row.needs in GRANTS[role]:
        assert response.status_code < 400, (role, url, response.status_code, response.content[:300])
        return
    if row.needs in ("source", "slack"):  # a person's session is no source's token, whatever the person may do
        assert response.status_code == 401, (role, url, response.status_code)
        assert _traces() == traces, "a refused delivery left a trace"
        return
    if role == "anonymous":
        if url.startswith("/api/"):
            assert response.status_code == 401
        else:
            assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    else:
        assert response.status_code == 403, (role, url, response.status_code)
    assert _traces() == traces, "a refused request left a trace (see _traces)"


SOURCE_CASES = [(name, row) for name, row in CASES if row.needs == "source"]


@pytest.mark.parametrize(("name", "row"), SOURCE_CASES, ids=[f"{row.method} {name}" for name, row in SOURCE_CASES])
def test_sources_post_with_their_token(name, row, world):
    """The positive side of the "source" rows: the source's own token is accepted (tests/alerts/test_tokens.py
    has the rest: a wrong, rotated, inactive or missing token)."""
    from rest_framework.test import APIClient

    from alerts import services as alert_services

    _, token = alert_services.source_create(name="matrix-token", by=None)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = getattr(client, row.method)(_url(name, row, world), row.payload, format="json")
    assert response.status_code == 200, response.content[:300]


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_methods_without_a_row_are_refused(client, commander, world, name):
    """A write a URL accepts but the matrix does not list would escape it: every other method is a 405."""
    client.force_login(commander)
    listed = {row.method for row in MATRIX[name]}
    url = _url(name, MATRIX[name][0], world)
    for method in set(METHODS) - listed:
        response = _send(client, method, url, {"x": "1"})
        assert response.status_code == 405, (method, url, response.status_code)
