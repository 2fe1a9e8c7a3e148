from django.contrib import admin

from diagnostics.models import Run


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
