"""The public status page (no login: everything it shows comes from the cached public data) and the
commander's "Update status page" on the incident page."""

from __future__ import annotations

import datetime as dt
import json

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from incidents.models import Incident
from incidents.views import after_action
from status import selectors, services
from status.forms import StatusUpdateForm
from status.models import ComponentStatus
from warroom.permissions import Perm, require

PUBLIC_MAX_AGE = 15  # seconds, for browsers and proxies in front of us


def _public(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = f"public, max-age={PUBLIC_MAX_AGE}"
    response["X-Robots-Tag"] = "noarchive"
    return response


@login_not_required  # the public status page: no login, public data only
@require_GET
def page(request):
    # Rendered without the request: no session, no user, no query; the same bytes for every reader.
    html = selectors.public_rendered("page", lambda data: render_to_string("status/page.html", {"data": data}))
    return _public(HttpResponse(html))


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _json_incident(incident: dict, base: str) -> dict:
    return {
        "id": incident["id"], "name": incident["name"], "status": incident["status"], "impact": incident["impact"],
        "created_at": _iso(incident["created_at"]), "updated_at": _iso(incident["updated_at"]),
        "resolved_at": _iso(incident["resolved_at"]), "shortlink": f"{base}#incident-{incident['id']}",
        "components": [{"id": c} for c in incident["components"]],
        "incident_updates": [{"id": u["id"], "status": u["status"], "body": u["body"],
                              "created_at": _iso(u["created_at"]), "updated_at": _iso(u["created_at"])}
                             for u in incident["incident_updates"]],
    }


@login_not_required  # the public status page: no login, public data only
@require_GET
def summary(request):
    """Statuspage v2's summary.json: page, status, components, unresolved incidents, scheduled maintenances."""
    base = request.build_absolute_uri(reverse("status:page"))
    text = selectors.public_rendered(f"summary:{base}", lambda data: json.dumps(_summary(data, base)))
    response = HttpResponse(text, content_type="application/json")
    response["Access-Control-Allow-Origin"] = "*"  # public data, read by dashboards on other origins
    return _public(response)


def _summary(data: dict, base: str) -> dict:
    return {
        "page": {"id": "warroom", "name": data["page"]["name"], "url": base, "time_zone": "Etc/UTC",
                 "updated_at": _iso(data["page"]["updated_at"])},
        "status": data["status"],
        "components": [{"id": c["id"], "name": c["name"], "description": c["description"] or None,
                        "status": c["status"], "position": c["position"], "updated_at": _iso(c["updated_at"]),
                        "group": False, "group_id": None, "only_show_if_degraded": False, "showcase": True}
                       for c in data["components"]],
        "incidents": [_json_incident(i, base) for i in data["incidents"]],
        "scheduled_maintenances": [],
    }


@login_not_required  # the public status page: no login, public data only
@require_GET
def history_atom(request):
    """An Atom feed: one entry per public update of the current and last 14 days' incidents."""
    base = request.build_absolute_uri(reverse("status:page"))

    def render(data: dict) -> str:
        entries = sorted(({"incident": i, "update": u} for i in data["incidents"] + data["resolved"]
                          for u in i["incident_updates"]), key=lambda e: e["update"]["created_at"], reverse=True)
        return render_to_string("status/history.atom", {"data": data, "entries": entries, "base": base,
                                                         "self": base + "history.atom"})

    xml = selectors.public_rendered(f"atom:{base}", render)
    return _public(HttpResponse(xml, content_type="application/atom+xml; charset=utf-8"))


@require_POST
def update(request, pk: int):
    """The commander's public update, from the incident page; bad input answers 400 with the form's reasons."""
    require(request.user, Perm.MANAGE_INCIDENT)
    incident = get_object_or_404(Incident, pk=pk)
    form = StatusUpdateForm(request.POST, incident=incident)
    if not form.is_valid():
        reasons = " ".join(f"{form.fields[f].label or f}: {' '.join(map(str, e))}" if f in form.fields
                           else " ".join(map(str, e)) for f, e in form.errors.items())
        return after_action(request, incident, error=f"Status page not updated. {reasons}", status=400)
    data = form.cleaned_data
    try:
        services.status_update_post(incident=incident, title=data["title"], body=data["body"], impact=data["impact"],
                                    status=data["status"], components=list(data["components"]),
                                    component_status=data["component_status"] or ComponentStatus.DEGRADED_PERFORMANCE,
                                    by=request.user)
    except ValidationError as exc:
        return after_action(request, incident, error=" ".join(exc.messages), status=400)
    return after_action(request, incident, notice="Status page updated.")
