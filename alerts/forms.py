"""Browser input for the alerts page and declaring from an alert."""

from django import forms

from alerts.models import AlertSource, AlertStatus
from incidents.forms import DeclareForm


class AlertFilterForm(forms.Form):
    source = forms.ModelChoiceField(queryset=AlertSource.objects.all(), to_field_name="name", required=False,
                                    empty_label="Any source",
                                    error_messages={"invalid_choice": "There is no source of that name."})
    state = forms.ChoiceField(choices=[("", "Firing or resolved"), *AlertStatus.choices], required=False)
    severity = forms.CharField(required=False, max_length=50, help_text="The alert's severity label")
    label = forms.CharField(required=False, max_length=400, help_text="key=value")

    def clean_source(self):
        return self.cleaned_data["source"]

    def clean_label(self):
        text = self.cleaned_data["label"].strip()
        if not text:
            return None
        key, sep, value = text.partition("=")
        if not sep or not key.strip():
            raise forms.ValidationError("Write the label as key=value, e.g. service=checkout.")
        if "\x00" in text:
            raise forms.ValidationError("A label cannot contain NUL characters.")
        return key.strip(), value.strip()

    def clean_severity(self):
        value = self.cleaned_data["severity"].strip()
        if "\x00" in value:
            raise forms.ValidationError("A severity cannot contain NUL characters.")
        return value


class DeclareFromAlertForm(DeclareForm):
    """The incident declare form, without the source: an incident declared from an alert came from monitoring."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["source"]
