from django.contrib import admin

from postmortems.models import ActionItem, PostMortem, Revision
from warroom.read_only_admin import ReadOnlyAdmin


class ActionItemInline(admin.TabularInline):
    model = ActionItem
    extra = 0
    fields = ("description", "owner", "due_date", "status", "ticket_url")
    readonly_fields = fields  # edited on the post-mortem's page, through the services that record who and when

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(PostMortem)
class PostMortemAdmin(ReadOnlyAdmin):
    """Read-only here: every edit goes through the page or the API, which keep a revision of it."""

    list_display = ("title", "incident", "status", "service", "updated_at", "updated_by")
    list_filter = ("status",)
    search_fields = ("title", "service")
    inlines = [ActionItemInline]


@admin.register(Revision)
class RevisionAdmin(ReadOnlyAdmin):
    list_display = ("postmortem", "number", "status", "change", "by", "created_at")
