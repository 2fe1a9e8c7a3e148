"""Everything in the directory is edited here: contacts, roles, rotations with their members and overrides, and
each severity's escalation policy with its levels. The admin's history records who changed what."""

from django.contrib import admin

from people.models import (
    CalendarToken,
    Contact,
    EscalationLevel,
    EscalationPolicy,
    Override,
    Role,
    Rotation,
    RotationMember,
)


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ("name", "phone", "slack_handle", "email", "time_zone", "user")
    search_fields = ("name", "phone", "slack_handle", "email")
    autocomplete_fields = ("user",)


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "rotation", "phone", "slack_handle", "position")
    list_editable = ("position",)
    filter_horizontal = ("holders",)


class RotationMemberInline(admin.TabularInline):
    """To take someone off a rotation, set 'left at' rather than deleting the row: past and current turns stay."""

    model = RotationMember
    extra = 1
    autocomplete_fields = ("contact",)


class OverrideInline(admin.TabularInline):
    model = Override
    extra = 0
    fields = ("contact", "start", "end", "reason", "created_by")
    readonly_fields = ("created_by",)
    autocomplete_fields = ("contact",)


@admin.register(Rotation)
class RotationAdmin(admin.ModelAdmin):
    list_display = ("name", "length", "length_unit", "handoff_time", "time_zone", "start_date")
    inlines = [RotationMemberInline, OverrideInline]

    def save_formset(self, request, form, formset, change):
        """An override remembers who entered it."""
        for obj in formset.save(commit=False):
            if isinstance(obj, Override) and obj.created_by_id is None:
                obj.created_by = request.user
            obj.save()
        for obj in formset.deleted_objects:
            obj.delete()
        formset.save_m2m()


@admin.register(Override)
class OverrideAdmin(admin.ModelAdmin):
    list_display = ("rotation", "contact", "start", "end", "reason", "created_by")
    list_filter = ("rotation",)
    fields = ("rotation", "contact", "start", "end", "reason")
    autocomplete_fields = ("contact",)

    def save_model(self, request, obj, form, change):
        if obj.created_by_id is None:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


class EscalationLevelInline(admin.StackedInline):
    model = EscalationLevel
    extra = 0
    filter_horizontal = ("roles",)


@admin.register(EscalationPolicy)
class EscalationPolicyAdmin(admin.ModelAdmin):
    list_display = ("severity", "note")
    inlines = [EscalationLevelInline]


@admin.register(CalendarToken)
class CalendarTokenAdmin(admin.ModelAdmin):
    """Who has calendar links; the secret itself is never shown. Deleting a row revokes that person's links."""

    list_display = ("user", "created_at")
    fields = ("user", "created_at")
    readonly_fields = ("user", "created_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
