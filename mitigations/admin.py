from django.contrib import admin

from mitigations import services
from mitigations.models import MaintenanceManifest, Mitigation, ScaleLimits
from targets.admin import TargetAdmin
from warroom.read_only_admin import ReadOnlyAdmin


class ScaleLimitsInline(admin.StackedInline):
    """On the target's page: how far scaling may go (Kubernetes targets; none set means 1 to 20)."""

    model = ScaleLimits
    extra = 0
    max_num = 1


TargetAdmin.inlines.append(ScaleLimitsInline)


@admin.register(MaintenanceManifest)
class MaintenanceManifestAdmin(admin.ModelAdmin):
    """New versions only: an applied manifest must stay as it was, so its removal can be traced."""

    list_display = ("target", "version", "note", "created_by", "created_at")
    list_filter = ("target",)
    fields = ("target", "yaml", "note")

    def has_change_permission(self, request, obj=None):
        return obj is None

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        """Through the service, which numbers the version safely; the admin then logs the saved row."""
        saved = services.manifest_add(target=obj.target, yaml=obj.yaml, note=obj.note, by=request.user)
        for field in ("pk", "version", "created_by", "created_at"):
            setattr(obj, field, getattr(saved, field))


@admin.register(Mitigation)
class MitigationAdmin(ReadOnlyAdmin):
    list_display = ("id", "action", "target", "incident", "status", "requested_by", "created_at")
    list_filter = ("status", "action")
    list_select_related = ("target", "incident", "requested_by")
