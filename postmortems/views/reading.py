"""Reading post-mortems: the library (filters, sort, search), the printable reading page and the Markdown export."""

from __future__ import annotations

from django import forms
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_GET

from incidents.forms import SeverityChoiceField
from incidents.models import Severity
from postmortems import selectors
from postmortems.export import export_filename, postmortem_markdown
from postmortems.models import PostMortem, PostMortemStatus
from warroom.pagination import filtered_page
from warroom.permissions import Perm, can, require

PAGE_SIZE = 25


class LibraryFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Search",
                        help_text='Words, "a phrase", or, -without')
    severity = SeverityChoiceField(queryset=Severity.objects.all(), to_field_name="name", required=False,
                                   empty_label="Any severity")
    status = forms.ChoiceField(choices=[("", "Any status"), *PostMortemStatus.choices], required=False)
    since = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))
    service = forms.CharField(required=False, max_length=200)
    has_open_action_items = forms.TypedChoiceField(
        choices=[("", "Any"), ("yes", "Open action items"), ("no", "None open")], required=False,
        coerce=lambda v: v == "yes", empty_value=None, label="Action items")
    sort = forms.ChoiceField(choices=list(selectors.SORT_LABELS.items()), required=False)

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise forms.ValidationError("'From' must be on or before 'To'.")
        return data


@require_GET
def library(request):
    require(request.user, Perm.VIEW_INCIDENT)
    listed = filtered_page(request, LibraryFilterForm,
                           lambda **filters: selectors.postmortems_library(user=request.user, **filters), PAGE_SIZE)
    search = listed.filters.get("q", "")
    return render(request, "postmortems/library.html", {
        "form": listed.form, "page": listed.page, "rows": selectors.with_excerpts(listed.page, search),
        "query": listed.query, "searching": bool(search), "today": timezone.localdate(),
        # which empty state: "none match" or "none yet"
        "filtered": bool(set(listed.filters) - {"sort"}) or listed.status != 200,
    }, status=listed.status)


def _postmortem(request, pk: int) -> PostMortem:
    """The one permission-checked fetch: 403 without VIEW_INCIDENT; 404 if missing or not for this reader."""
    require(request.user, Perm.VIEW_INCIDENT)
    postmortem = selectors.postmortems_visible(request.user).filter(pk=pk).first()
    if postmortem is None:
        raise Http404("No such post-mortem.")
    return postmortem


@require_GET
def detail(request, pk: int):
    postmortem = _postmortem(request, pk)
    can_write = can(request.user, Perm.WRITE_POSTMORTEM)
    items = selectors.action_items_marked(postmortem.action_items.select_related("owner").oldest_due_first(),
                                          today=timezone.localdate())
    return render(request, "postmortems/detail.html", {
        "pm": postmortem,
        "incident": postmortem.incident,
        "timeline": [{"at": parse_datetime(row.get("at") or ""), "event": row.get("event", "")}
                     for row in postmortem.timeline if isinstance(row, dict)],
        "action_items": items,
        "can_write": can_write,
    })


@require_GET
def export_markdown(request, pk: int):
    postmortem = _postmortem(request, pk)
    items = list(postmortem.action_items.select_related("owner").oldest_due_first())
    response = HttpResponse(postmortem_markdown(postmortem, items), content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{export_filename(postmortem)}"'
    return response
