from django.contrib import admin

from diagnostics.models import MemoryWatch, Run


@admin.register(Run)
class RunAdmin(admin.ModelAdmin):
    """Read-only: runs are written by the app and its workers."""

    list_display = ("id", "check_name", "target", "incident", "status", "verdict", "created_at")
    list_filter = ("status", "verdict", "check_name")
    list_select_related = ("target", "incident")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(MemoryWatch)
class MemoryWatchAdmin(admin.ModelAdmin):
    """Read-only: watches are written by the app and its workers; their samples stay with the incident."""

    list_display = ("id", "target", "incident", "status", "samples_taken", "created_at", "end_reason")
    list_filter = ("status",)
    list_select_related = ("target", "incident")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
