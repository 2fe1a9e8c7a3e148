"""Who may do what to incidents: the one check that pages and the API share.

Groups (seeded by a migration): viewer reads; responder reads and adds notes;
commander does everything. Permissions, not group names, are checked, so an
admin can grant them one by one.
"""

from enum import Enum


class Action(Enum):
    VIEW = "incidents.view_incident"
    NOTE = "incidents.add_note"
    MANAGE = "incidents.manage_incident"


def can(user, action: Action) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.has_perm(action.value))

