"""The admin for rows the app writes: to read, never to add, change or delete (superusers included)."""

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """Writes go through the services, which record who and when (a timeline entry, an audit event)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
