"""Who may do what: the one place pages, the API, services and panels ask.

Each thing a person can do is one `Perm`, backed by a Django permission (so an admin can grant it
alone) and seeded into the groups by the apps' migrations: viewer sees incidents; responder also adds
notes, runs checks, previews mitigations and writes post-mortems; commander does everything.
Permissions, not group names, are checked.
"""

from __future__ import annotations

from enum import Enum

from django.core.exceptions import PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission

_ASK_COMMANDER = "Your role does not allow this. Ask a commander."


class Perm(Enum):
    """One member per thing a person can do: (Django permission, the sentence that refuses it)."""

    VIEW_INCIDENT = ("incidents.view_incident", _ASK_COMMANDER)
    ADD_NOTE = ("incidents.add_note", _ASK_COMMANDER)
    MANAGE_INCIDENT = ("incidents.manage_incident", _ASK_COMMANDER)
    RUN_CHECK = ("diagnostics.run_check", "Your role cannot run checks. Ask a responder or commander.")
    PREVIEW_MITIGATION = ("mitigations.preview_mitigation",
                          "Your role cannot prepare mitigations. Ask a responder or commander.")
    EXECUTE_MITIGATION = ("mitigations.execute_mitigation", "Only commanders approve, execute and cancel mitigations.")
    WRITE_POSTMORTEM = ("postmortems.write_postmortem",
                        "Your role cannot write post-mortems. Ask a responder or commander.")
    VIEW_CONTACTS = ("people.view_contacts", "Your role cannot see contacts. Ask a commander.")
    VIEW_AUDIT = ("audit.view_auditevent", "Only auditors and superusers read the audit log.")

    def __init__(self, codename: str, refusal: str):
        self.codename = codename  # "app_label.codename", as user.has_perm takes it
        self.refusal = refusal


def can(user, perm: Perm) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.has_perm(perm.codename))


def require(user, perm: Perm) -> None:
    """Refuse (403 on a page or the API) with the permission's own sentence."""
    if not can(user, perm):
        raise PermissionDenied(perm.refusal)


def api_permission(read: Perm, write: Perm | None = None, **writes: Perm) -> type[BasePermission]:
    """A DRF permission class: reads need `read`; writes need `write`, or `writes[action]` for a viewset action.

    Anonymous callers get 401 (DRF answers so when no authenticator succeeded); a method the endpoint does not
    have answers 405 to anyone signed in. Without `write`, every method needs `read` (DRF then says 405).
    """

    class Needs(BasePermission):
        message = (write or read).refusal

        def has_permission(self, request, view):
            action = getattr(view, "action", "")
            if action is None:  # a method this viewset does not route: DRF's 405 (401 if anonymous)
                return bool(request.user and request.user.is_authenticated)
            perm = read if request.method in SAFE_METHODS else writes.get(action, write or read)
            self.message = perm.refusal
            return can(request.user, perm)

    Needs.__name__ = Needs.__qualname__ = f"Needs_{read.name}_{write.name if write else 'nothing'}"
    return Needs
