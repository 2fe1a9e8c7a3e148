from django.contrib import admin

from chat.models import Operation


@admin.register(Operation)
class OperationAdmin(admin.ModelAdmin):
    """Read-only: rows are written and ended by the services; the panel's Retry re-queues a failed room."""

    list_display = ("incident", "kind", "key", "status", "attempts", "channel_id", "created_at", "finished_at")
    list_filter = ("kind", "status")
    readonly_fields = [f.name for f in Operation._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
