from django.contrib import admin

from diagnostics.models import Run, Target


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "where", "enabled")
    list_filter = ("kind", "enabled")
    fieldsets = [
        (None, {"fields": ("name", "kind", "description", "enabled", "timeout_seconds")}),
        ("Where", {"fields": ("url", "extra_urls")}),
        ("Credentials (references only: the secret itself stays in the environment or a file)",
         {"fields": ("secret_env", "secret_file")}),
        ("Kubernetes", {"fields": ("kubeconfig", "kube_context", "in_cluster", "namespace", "deployment",
                                    "min_replicas", "max_replicas")}),
    ]


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
