"""The Write post-mortem section of the incident page (registered with incidents.extensions).

The button shows exactly when postmortem_start would pass (it asks check_start); the incident's action items
follow, overdue ones marked.
"""

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from postmortems.models import ActionItem, PostMortem
from postmortems.selectors import action_items_marked
from postmortems.services import PostMortemError, check_start
from warroom.permissions import Perm, can


def context(request, incident) -> dict:
    if incident.is_open:  # nothing to write yet: no query on an open incident's page
        return {"pm_resolved": False}
    postmortem = PostMortem.objects.visible_to(request.user).filter(incident=incident).first()
    try:
        check_start(incident, request.user)
        can_start = True
    except (PermissionDenied, PostMortemError):
        can_start = False
    items = action_items_marked(ActionItem.objects.visible_to(request.user).filter(postmortem__incident=incident)
                                .select_related("owner").oldest_due_first(), today=timezone.localdate()) \
        if postmortem else []
    return {
        "pm": postmortem,
        "pm_can_start": can_start and postmortem is None,
        "pm_can_write": can(request.user, Perm.WRITE_POSTMORTEM),
        "pm_items": items,
        "pm_resolved": not incident.is_open,
    }
