"""The audit log's page, for auditors and superusers."""

from django.conf import settings
from django.shortcuts import render
from django.views.decorators.http import require_GET

from audit import selectors
from audit.forms import AuditFilterForm
from warroom.pagination import filtered_page
from warroom.permissions import Perm, require


@require_GET
def event_list(request):
    require(request.user, Perm.VIEW_AUDIT)
    listed = filtered_page(request, AuditFilterForm, selectors.events_filtered, per_page=settings.AUDIT_PAGE_SIZE)
    return render(request, "audit/events.html", {"form": listed.form, "page": listed.page, "query": listed.query},
                  status=listed.status)
