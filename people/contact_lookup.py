"""Answer incidents.extensions.contacts_for_role (registered in PeopleConfig.ready()): who holds a role now, as
display dicts, so that other apps' panels (diagnostics: "call the DBA") can name them without importing people."""

from __future__ import annotations

from datetime import datetime

from people.models import Role
from people.selectors import role_contacts


def role_holders(name: str, at: datetime) -> list[dict]:
    role = (Role.objects.filter(name__iexact=name).select_related("rotation").prefetch_related("holders").first())
    if role is None:
        return []
    holders = [{"name": c.name, "phone": c.phone, "slack": c.slack_handle, "email": c.email}
               for c in role_contacts(role, at)]
    if not holders and (role.phone or role.slack_handle):  # a shared line for the role
        holders = [{"name": role.name, "phone": role.phone, "slack": role.slack_handle, "email": ""}]
    return holders
