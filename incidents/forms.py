"""Browser input. Forms check shape; the services check the rules."""

from django import forms
from django.contrib.auth import get_user_model

from incidents.extensions import NOTE_OPTIONS
from incidents.models import Role, Severity, Source, Status


class SeverityChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} – {obj.label}"

    def to_python(self, value):
        # PostgreSQL refuses text with NUL in a query: that is a wrong choice, not a server error.
        if isinstance(value, str) and "\x00" in value:
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class DeclareForm(forms.Form):
    title = forms.CharField(max_length=200, strip=True)
    severity = SeverityChoiceField(
        queryset=Severity.objects.all(), to_field_name="name", widget=forms.RadioSelect, empty_label=None,
        error_messages={"invalid_choice": "Pick one of the severities."},
    )
    summary = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    source = forms.ChoiceField(choices=Source.choices, initial=Source.INTERNAL_DISCOVERY)
    users_affected = forms.IntegerField(required=False, min_value=0)
    service_affected = forms.CharField(required=False, max_length=200)
    acknowledge = forms.BooleanField(
        required=False, initial=True, label="Acknowledge now and take command",
        help_text="Stops the response clock at declaration (SEV1 is due immediately).",
    )


class TransitionForm(forms.Form):
    status = forms.ChoiceField(choices=Status.choices)
    reason = forms.CharField(required=False, max_length=2000)
    expected_status = forms.ChoiceField(choices=Status.choices, required=False)  # what the page showed


class SeverityForm(forms.Form):
    severity = SeverityChoiceField(queryset=Severity.objects.all(), to_field_name="name", empty_label=None)
    reason = forms.CharField(required=False, max_length=2000)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)
    user = forms.CharField(required=False, max_length=150, help_text="Username; empty to clear the role")

    def clean_user(self):
        username = self.cleaned_data["user"].strip()
        if not username:
            return None
        try:
            return get_user_model().objects.get(username=username, is_active=True)
        except get_user_model().DoesNotExist:
            raise forms.ValidationError(f"No active user called {username!r}.") from None


class DetailsForm(forms.Form):
    title = forms.CharField(max_length=200)
    summary = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    users_affected = forms.IntegerField(required=False, min_value=0)
    service_affected = forms.CharField(required=False, max_length=200)


def _note_options() -> list[tuple[str, str]]:
    return list(NOTE_OPTIONS.items())


class NoteForm(forms.Form):
    text = forms.CharField(max_length=10_000, widget=forms.Textarea(attrs={"rows": 2}))
    # Checkboxes other apps add (extensions.register_note_option); the service keeps the ticked ones.
    options = forms.MultipleChoiceField(choices=_note_options, required=False)


class HistoryFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Search")
    severity = SeverityChoiceField(queryset=Severity.objects.all(), to_field_name="name", required=False,
                                   empty_label="Any severity")
    status = forms.ChoiceField(choices=[("", "Any status"), *Status.choices], required=False)
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise forms.ValidationError("'Since' must be on or before 'until'.")
        return data
