"""Sources (a token shown once, at creation or rotation) and the routing rules, in order."""

from django.contrib import admin, messages
from django.template.response import TemplateResponse

from alerts import services
from alerts.models import Alert, AlertSource, RoutingRule
from warroom.read_only_admin import ReadOnlyAdmin


def _show_token(request, source: AlertSource, token: str, what: str):
    """The only time the token is shown: a page of its own, never a message (those go into a cookie)."""
    return TemplateResponse(request, "admin/alerts/token.html",
                            {"title": f"Token for {source.name}", "source": source, "token": token, "what": what,
                             "opts": AlertSource._meta, "has_view_permission": True})


@admin.register(AlertSource)
class AlertSourceAdmin(admin.ModelAdmin):
    list_display = ("name", "is_active", "created_at", "created_by", "token_rotated_at")
    readonly_fields = ("created_at", "created_by", "token_rotated_at", "token_rotated_by")
    actions = ["rotate_token"]

    def get_fields(self, request, obj=None):
        return ("name",) if obj is None else ("name", "is_active", *self.readonly_fields)

    def save_model(self, request, obj, form, change):
        if change:
            obj.save(update_fields=[f for f in ("name", "is_active") if f in form.changed_data] or ["name"])
            return
        source, token = services.source_create(name=obj.name, by=request.user)
        obj.pk, obj.token_hash, obj.created_at, obj.created_by = source.pk, source.token_hash, source.created_at, \
            request.user
        request._alert_source_token = token

    def response_add(self, request, obj, post_url_continue=None):
        token = getattr(request, "_alert_source_token", None)
        if token:
            return _show_token(request, obj, token, "created")
        return super().response_add(request, obj, post_url_continue)

    @admin.action(description="Rotate the token of the selected source (one at a time)")
    def rotate_token(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Rotate one source at a time: its new token is shown once.", messages.ERROR)
            return None
        source = queryset.get()
        token = services.source_rotate_token(source=source, by=request.user)
        return _show_token(request, source, token, "rotated")


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ("position", "name", "matchers", "severity", "service", "action", "is_default")
    list_display_links = ("name",)
    list_editable = ("position",)
    ordering = ("is_default", "position", "pk")

    def has_delete_permission(self, request, obj=None):
        return not (obj is not None and obj.is_default)  # there is always a rule for what matches nothing


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    """Read-only: alerts are what the sources said."""

    list_display = ("name", "source", "status", "severity", "first_seen", "last_seen", "group")
    list_filter = ("status", "source")
    list_select_related = ("source", "group")
    search_fields = ("name", "fingerprint")
