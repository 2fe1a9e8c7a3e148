"""Pages of results for pages and the API alike: a page that does not exist is bad input (400), said plainly."""

from django.core.exceptions import ValidationError
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
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
