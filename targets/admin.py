from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.contrib import admin

from targets.models import Target


class TargetForm(forms.ModelForm):
    """A URL saved with a password in it (before that was refused) is shown masked: the form never sends it to the
    browser. Saving it unchanged is refused by the model's check, as any password in a URL is."""

    class Meta:
        model = Target
        fields = "__all__"  # noqa: DJ007 (the fieldsets below choose what is shown)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.url:
            self.initial["url"] = self.instance.display_url


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    form = TargetForm
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
