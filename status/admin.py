"""Providers and public components are admin rows; the admin's own log records who changed what."""

from django.contrib import admin
from django.db import models
from django.utils import timezone

from status.models import Component, Provider


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "state", "read_at", "status_page_url", "support_contact")
    readonly_fields = ("state", "description", "detail", "error", "read_at")
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fields = ("name", "kind", "url", "status_page_url", "support_contact", "components", "timeout_seconds",
              "position", *readonly_fields)


@admin.register(Component)
class ComponentAdmin(admin.ModelAdmin):
    list_display = ("name", "status", "position", "updated_at")
    fields = ("name", "description", "position", "status")

    def save_model(self, request, obj, form, change):
        obj.updated_at = timezone.now()  # the public page's "updated"; saving clears its cache (signals.py)
        super().save_model(request, obj, form, change)
