"""The audit log in the admin: to read, never to write — no add, change or delete for anyone, superusers included."""

from django.contrib import admin

from audit.models import AuditEvent
from warroom.permissions import Perm, can
from warroom.read_only_admin import ReadOnlyAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor_name", "action", "target_type", "target_repr", "ip")
    list_filter = ("action", "target_type")
    search_fields = ("actor_name", "target_repr")
    date_hierarchy = "at"

    def has_view_permission(self, request, obj=None):
        return can(request.user, Perm.VIEW_AUDIT)
