"""Providers and public components are admin rows; the admin's own log records who changed what."""

from django.contrib import admin

from status.models import Component, Provider


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "state", "read_at", "status_page_url", "support_contact")
    readonly_fields = ("state", "description", "detail", "error", "read_at")
    fields = ("name", "kind", "url", "status_page_url", "support_contact", "components", "timeout_seconds",
              "position", *readonly_fields)


@admin.register(Component)
class ComponentAdmin(admin.ModelAdmin):
    list_display = ("name", "status", "position", "updated_at")
    fields = ("name", "description", "position", "status")
