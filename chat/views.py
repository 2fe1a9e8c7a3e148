"""The Slack panel's buttons (a session, like every incident action) and Slack's own endpoints (its signature).

URL names are chat:<name>: retry, summary (the incident page), command and interactivity (Slack calls them).
"""

import json
import logging
import time

from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from chat import commands, services, slack
from incidents.models import Incident
from incidents.services import TransitionError
from incidents.views import after_action
from warroom.permissions import Perm, require

log = logging.getLogger(__name__)
MAX_BODY = 64 * 1024  # Slack's commands and payloads are a few kilobytes


def _incident(request, pk: int) -> Incident:
    require(request.user, Perm.MANAGE_INCIDENT)
    return get_object_or_404(Incident.objects.with_people(), pk=pk)


def _act(request, incident: Incident, service, done: str):
    if not slack.configured():
        return after_action(request, incident, notice="Slack is off: set WARROOM_SLACK_BOT_TOKEN.")
    try:
        service(incident=incident, by=request.user)
    except TransitionError as exc:
        return after_action(request, incident, error=str(exc), status=409)
    return after_action(request, incident, notice=done)


@require_POST
def retry(request, pk: int):
    return _act(request, _incident(request, pk), services.room_retry, "Asked Slack for the war room again.")


@require_POST
def summary(request, pk: int):
    return _act(request, _incident(request, pk), services.summary_post, "Summary posted to Slack.")


def _refuse_unsigned(request) -> JsonResponse | None:
    if len(request.body) > MAX_BODY:
        return JsonResponse({"detail": "The request is too large."}, status=413)
    why = slack.verify(request.body, request.headers.get("X-Slack-Request-Timestamp"),
                       request.headers.get("X-Slack-Signature"))
    if why:
        log.warning("Refused a Slack request: %s", why)
        return JsonResponse({"detail": why}, status=401)
    return None


@login_not_required  # Slack has no session: its signature is checked instead
@csrf_exempt
@require_POST
def slash_command(request):
    """`/incident …`: answered at once, ephemeral; a declaration's channel work goes to the worker."""
    refused = _refuse_unsigned(request)
    if refused:
        return refused
    reply = commands.slash_command(text=request.POST.get("text", ""), channel_id=request.POST.get("channel_id", ""),
                                   user_id=request.POST.get("user_id", ""))
    return JsonResponse(reply.body())


@login_not_required
@csrf_exempt
@require_POST
def interactivity(request):
    """Slack's interactivity requests: the "Add to timeline" message shortcut."""
    started = time.monotonic()
    refused = _refuse_unsigned(request)
    if refused:
        return refused
    try:
        payload = json.loads(request.POST.get("payload", ""))
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        return JsonResponse({"detail": "The payload is not a JSON object."}, status=400)
    reply = commands.add_to_timeline(payload)
    commands.tell(payload, reply, started=started)
    return JsonResponse(reply.body())
