from __future__ import annotations

from typing import Any, ClassVar

from django.contrib import admin

from targets.models import Target


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "where", "enabled")
    list_filter = ("kind", "enabled")
    fieldsets = [
        (None, {"fields": ("name", "kind", "description", "enabled", "timeout_seconds")}),
        ("Where", {"fields": ("url", "extra_urls")}),
        ("Credentials (references only: the secret itself stays in the environment or a file)",
         {"fields": ("secret_env", "secret_file")}),
        ("Kubernetes", {"fields": ("kubeconfig", "kube_context", "in_cluster", "namespace", "deployment")}),
    ]
    # Other apps' settings per target, edited on the same page (mitigations: scale limits). Targets imports no
    # app: each adds its inline from its own admin module.
    inlines: ClassVar[list[type[admin.options.InlineModelAdmin[Any, Any]]]] = []
