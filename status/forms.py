from django import forms

from status.models import Component, ComponentStatus, Impact, PublicStatus
from status.services import BODY_MAX, TITLE_MAX


class StatusUpdateForm(forms.Form):
    """The incident page's "Update status page": what the public reads, nothing else."""

    title = forms.CharField(max_length=TITLE_MAX, required=False,
                            help_text="The public title; leave empty and tick below to publish the incident's own")
    use_incident_title = forms.BooleanField(required=False, label="Publish the incident's own title")
    status = forms.ChoiceField(choices=PublicStatus.choices)
    impact = forms.ChoiceField(choices=Impact.choices)
    components = forms.ModelMultipleChoiceField(queryset=Component.objects.all(), required=False)
    component_status = forms.ChoiceField(choices=ComponentStatus.choices, required=False)  # shown with components
    body = forms.CharField(max_length=BODY_MAX, widget=forms.Textarea)

    def __init__(self, *args, incident=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.incident = incident

    def clean(self):
        data = super().clean() or {}
        if data.get("use_incident_title") and self.incident is not None:
            data["title"] = self.incident.title  # marked public by the commander, explicitly
        if not (data.get("title") or "").strip() and "title" not in self.errors:
            self.add_error("title", "Give the public title (or tick “Publish the incident's own title”).")
        return data
