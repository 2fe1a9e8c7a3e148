from django.contrib import admin

from incidents.models import Entry, Incident, Severity
from warroom.read_only_admin import ReadOnlyAdmin


@admin.register(Severity)
class SeverityAdmin(admin.ModelAdmin):
    list_display = ("name", "label", "response", "response_minutes", "escalation")
    ordering = ("level",)


class EntryInline(admin.TabularInline):
    model = Entry
    fields = ("created_at", "kind", "author", "text")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Incident)
class IncidentAdmin(ReadOnlyAdmin):
    """Read-only: incidents change through the app so that every change reaches the timeline."""

    list_display = ("id", "title", "severity", "status", "declared_at", "commander")
    list_filter = ("severity", "status", "source")
    search_fields = ("title", "war_room")
    list_select_related = ("severity", "commander")
    inlines = [EntryInline]
