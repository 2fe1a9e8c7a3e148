"""The audit page's filters."""

from django import forms

from audit.models import Action


class AuditFilterForm(forms.Form):
    actor = forms.CharField(required=False, max_length=150, label="Who", help_text="A username, exactly")
    action = forms.ChoiceField(choices=[("", "Any action"), *Action.choices], required=False,
                               error_messages={"invalid_choice": "There is no such action."})
    target_type = forms.CharField(required=False, max_length=100, label="Object type",
                                  help_text="app.model, e.g. mitigations.mitigation or auth.user")
    since = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))
    ip = forms.GenericIPAddressField(required=False, label="IP address",
                                     error_messages={"invalid": "Enter an IPv4 or IPv6 address."})

    def clean(self):
        cleaned = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            raise forms.ValidationError("“From” is after “To”: no day can match.")
        return cleaned
