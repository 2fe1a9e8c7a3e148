"""The Slack section of the incident page (registered with incidents.extensions): the war room's state, Retry and
Post summary. Which buttons show is asked of the services' checks, the same ones the writes call."""

from django.core.exceptions import PermissionDenied

from chat import services, slack
from chat.models import Operation
from incidents.services import TransitionError
from warroom.permissions import Perm, can


def context(request, incident) -> dict:
    on = slack.configured()
    room = Operation.objects.rooms().filter(incident=incident).first() if on else None
    can_manage = can(request.user, Perm.MANAGE_INCIDENT)
    try:
        services.check_summary(incident, request.user)
        can_summary = True
    except (TransitionError, PermissionDenied):
        can_summary = False
    return {
        "slack_on": on,
        "commands_on": slack.commands_configured(),
        "channel": services.channel_name(incident),
        "room": room,
        "can_retry": on and can_manage and (room is None or room.status == Operation.Status.FAILED),
        "can_summary": can_summary,
    }
