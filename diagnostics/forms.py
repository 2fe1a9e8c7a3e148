import json

from django import forms

from diagnostics.checks import REGISTRY
from targets.models import Target


class RunForm(forms.Form):
    check = forms.ChoiceField(label="Check", choices=())
    target = forms.ModelChoiceField(queryset=Target.objects.filter(enabled=True), to_field_name="name",
                                    error_messages={"invalid_choice": "Pick one of the enabled targets."})
    pattern = forms.CharField(required=False, max_length=200, help_text="kubernetes.logs: text to look for")
    params = forms.CharField(required=False, max_length=2000, help_text='Other parameters as JSON, e.g. {"tail": 200}')

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        check = self.fields["check"]
        assert isinstance(check, forms.ChoiceField)  # declared above; narrowed for the type checker
        check.choices = [(name, name) for name in sorted(REGISTRY)]

    def clean_params(self):
        raw = self.cleaned_data["params"].strip()
        if not raw:
            return {}
        try:
            value = json.loads(raw)
        except ValueError:
            raise forms.ValidationError("Parameters must be a JSON object, e.g. {\"tail\": 200}.") from None
        if not isinstance(value, dict):
            raise forms.ValidationError("Parameters must be a JSON object, e.g. {\"tail\": 200}.")
        return value

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if data.get("pattern"):
            data["params"] = {**data.get("params", {}), "pattern": data["pattern"]}
        return data
