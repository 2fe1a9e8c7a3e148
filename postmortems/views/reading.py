"""Reading post-mortems: the library (filters, sort, search), the printable reading page and the Markdown export."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
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
from warroom.pagination import page_or_error
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
    form = LibraryFilterForm(request.GET or None)
    status = 200
    filters: dict = {}
    postmortems: QuerySet[PostMortem] = PostMortem.objects.none()
    if form.is_bound and not form.is_valid():
        status = 400
    else:
        filters = {k: v for k, v in (form.cleaned_data if form.is_bound else {}).items() if v not in ("", None)}
        postmortems = selectors.postmortems_library(user=request.user, **filters)
    paginator = Paginator(postmortems, PAGE_SIZE)
    try:
        page = page_or_error(paginator, request.GET.get("page"))
    except ValidationError as exc:
        form.add_error(None, exc.message_dict["page"])
        status, page = 400, paginator.page(1)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "postmortems/library.html", {
        "form": form, "page": page, "rows": selectors.with_excerpts(page, filters.get("q", "")),
        "query": query.urlencode(), "searching": bool(filters.get("q")), "today": timezone.localdate(),
        "filtered": bool(set(filters) - {"sort"}) or status != 200,  # which empty state: "none match" or "none yet"
    }, status=status)


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
