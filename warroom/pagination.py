"""Pages of results for pages and the API alike: a page that does not exist is bad input (400), said plainly."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import QuerySet
from rest_framework import exceptions, pagination


def page_or_error(paginator: Paginator, number) -> Page:
    """The page asked for (the first if none); a ValidationError on "page" naming the pages there are."""
    if number in (None, ""):
        number = 1
    try:
        return paginator.page(number)
    except PageNotAnInteger:
        message = f"Page {number!r} is not a number; pages run from 1 to {paginator.num_pages}."
    except EmptyPage:
        message = f"There is no page {number}; pages run from 1 to {paginator.num_pages}."
    raise ValidationError({"page": [message]})


@dataclass
class FilteredPage:
    form: forms.Form
    filters: dict[str, Any]  # the filters given, cleaned; empty ones left out
    page: Page
    query: str  # the filters as a query string without the page, for the pager's links
    status: int  # 400 when a filter or the page number is bad: the form says why


def filtered_page(request, form_class: type[forms.Form], select: Callable[..., QuerySet],
                  per_page: int) -> FilteredPage:
    """A list page's filters and page number from the query string; bad ones are a 400 showing nothing."""
    form = form_class(request.GET or None)
    filters: dict[str, Any] = {}
    if form.is_bound and not form.is_valid():
        status, rows = 400, select().none()
    else:
        cleaned = form.cleaned_data if form.is_bound else {}
        filters = {k: v for k, v in cleaned.items() if v not in ("", None)}
        status, rows = 200, select(**filters)
    paginator = Paginator(rows, per_page)
    try:
        page = page_or_error(paginator, request.GET.get("page"))
    except ValidationError as exc:
        form.add_error(None, exc.message_dict["page"])
        status, page = 400, paginator.page(1)
    query = request.GET.copy()
    query.pop("page", None)
    return FilteredPage(form, filters, page, query.urlencode(), status)


class PageNumberPagination(pagination.PageNumberPagination):
    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        page_size = self.get_page_size(request)
        if not page_size:
            return None
        paginator = self.django_paginator_class(queryset, page_size)
        try:
            self.page = page_or_error(paginator, self.get_page_number(request, paginator))
        except ValidationError as exc:
            raise exceptions.ValidationError(exc.message_dict) from exc
        if paginator.num_pages > 1 and self.template is not None:
            self.display_page_controls = True
        return list(self.page)
