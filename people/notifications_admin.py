"""The admin for notifications (read-only: the app and its workers write them) and for each contact's channels,
whose Slack webhook URL is write-only: it carries its own token, so the form never shows it back."""

from django import forms
from django.contrib import admin

from people.models import ContactChannels, Notification


class ContactChannelsForm(forms.ModelForm):
    slack_webhook_url = forms.URLField(
        required=False, max_length=500, assume_scheme="https", widget=forms.PasswordInput(render_value=False),
        label="Slack webhook URL", help_text="Write-only: leave blank to keep the current one.")
    clear_slack_webhook = forms.BooleanField(required=False, label="Remove their own Slack webhook")

    class Meta:
        model = ContactChannels
        fields = ["contact", "email", "slack", "webhook", "slack_webhook_url"]

    def clean_slack_webhook_url(self) -> str:
        new = self.cleaned_data.get("slack_webhook_url") or ""
        if self.data.get("clear_slack_webhook"):
            return ""
        return new or (self.instance.slack_webhook_url if self.instance.pk else "")


class ContactChannelsAdmin(admin.ModelAdmin):
    form = ContactChannelsForm
    list_display = ("contact", "email", "slack", "webhook", "has_own_slack_webhook")
    autocomplete_fields = ("contact",)

    @admin.display(boolean=True, description="Own Slack webhook")
    def has_own_slack_webhook(self, obj: ContactChannels) -> bool:
        return bool(obj.slack_webhook_url)


class NotificationAdmin(admin.ModelAdmin):
    list_display = ("id", "incident", "contact", "channel", "event", "status", "attempts", "created_at")
    list_filter = ("status", "channel")
    list_select_related = ("incident", "contact")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


def register() -> None:
    if not admin.site.is_registered(Notification):
        admin.site.register(Notification, NotificationAdmin)
        admin.site.register(ContactChannels, ContactChannelsAdmin)
