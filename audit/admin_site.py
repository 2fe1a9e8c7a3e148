"""The admin site, audited: every ModelAdmin registered on it records its adds, changes and deletes.

`AuditedAdminSite.register` mixes `AuditedModelAdmin` into whatever admin class it is given, so a new ModelAdmin
is covered without anyone remembering to (tests/audit/test_admin.py walks the registry). It hooks the three
methods Django's admin calls after every add and change and before every delete, bulk deletes included, and wraps
the changelist's other actions (an alert source's "rotate token"): each object they were run on is recorded.
"""

from __future__ import annotations

import functools

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig


def _recorded(func, name: str):
    @functools.wraps(func)
    def action(modeladmin, request, queryset):
        from audit.models import Action
        from audit.services import record

        chosen = list(queryset)  # before: the action may change what the queryset selects
        response = func(modeladmin, request, queryset)
        for obj in chosen:
            record(Action.ADMIN_ACTION, by=request.user, target=obj, request=request, admin_action=name)
        return response

    return action


class AuditedModelAdmin:
    def log_addition(self, request, obj, message):
        from audit.models import Action
        from audit.services import record

        entry = super().log_addition(request, obj, message)  # type: ignore[misc]
        record(Action.ADMIN_ADD, by=request.user, target=obj, request=request, change=message)
        return entry

    def log_change(self, request, obj, message):
        from audit.models import Action
        from audit.services import record

        entry = super().log_change(request, obj, message)  # type: ignore[misc]
        record(Action.ADMIN_CHANGE, by=request.user, target=obj, request=request, change=message)
        return entry

    def log_deletions(self, request, queryset):
        from audit.models import Action
        from audit.services import record

        entries = super().log_deletions(request, queryset)  # type: ignore[misc]
        for obj in queryset:
            record(Action.ADMIN_DELETE, by=request.user, target=obj, request=request)
        return entries

    def get_actions(self, request):
        """Every action but delete_selected (which calls log_deletions once confirmed), recorded when it has run."""
        actions = super().get_actions(request)  # type: ignore[misc]
        return {name: (func if name == "delete_selected" else _recorded(func, name), name, description)
                for name, (func, _, description) in actions.items()}


def audited(admin_class: type[admin.ModelAdmin]) -> type[admin.ModelAdmin]:
    if issubclass(admin_class, AuditedModelAdmin):
        return admin_class
    return type(admin_class.__name__, (AuditedModelAdmin, admin_class), {"__module__": admin_class.__module__})


class AuditedAdminSite(admin.AdminSite):
    @property
    def login_form(self):  # type: ignore[override]
        """Says when sign-in is refused for too many failures (audit/lockout.py); imported late: apps must be ready."""
        from audit.login import AdminLoginForm

        return AdminLoginForm

    def register(self, model_or_iterable, admin_class=None, **options):
        super().register(model_or_iterable, audited(admin_class or admin.ModelAdmin), **options)


class AuditedAdminConfig(AdminConfig):
    """django.contrib.admin with our site as `admin.site` (settings.INSTALLED_APPS)."""

    default_site = "audit.admin_site.AuditedAdminSite"
