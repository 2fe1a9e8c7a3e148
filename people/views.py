"""The contacts page, the escalation table and the calendar feeds. Thin: permission, selectors, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from people import calendar, selectors, services
from people.models import CalendarToken, Contact, Rotation
from warroom.permissions import Perm, require

SCHEDULE_DAYS = 28  # the contacts page shows the next four weeks


@require_GET
def contacts(request):
    require(request.user, Perm.VIEW_CONTACTS)
    at = timezone.now()
    return render(request, "people/contacts.html", {
        "roles": selectors.contacts_for_directory(at),
        "rotations": selectors.rotation_summaries(at, days=SCHEDULE_DAYS),
        "contacts": Contact.objects.prefetch_related("roles", "memberships__rotation").select_related("user"),
        "token": CalendarToken.objects.filter(user=request.user).first(),
        "schedule_days": SCHEDULE_DAYS,
    })


@require_GET
def escalation(request):
    require(request.user, Perm.VIEW_CONTACTS)
    return render(request, "people/escalation.html", {"table": selectors.escalation_table(timezone.now())})


@require_POST
def calendar_token(request):
    services.calendar_token_regenerate(by=request.user)
    messages.success(request, "New calendar links: links copied before no longer work.")
    return redirect("people:contacts")


def _feed_user(user_pk: int, token: str) -> None:
    """An unknown or revoked token is a 404, like a URL that does not exist: nothing to learn from it."""
    if not services.calendar_token_user(user_pk=user_pk, token=token).is_authenticated:
        raise Http404("No such calendar.")


def _ics(body: bytes, name: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{name}.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response


@login_not_required  # calendar apps send no cookie: the token in the URL is the authority
@require_GET
def rotation_ics(request, user_pk: int, token: str, pk: int):
    _feed_user(user_pk, token)
    rotation = get_object_or_404(Rotation, pk=pk)
    return _ics(calendar.rotation_calendar(rotation, timezone.now()), f"oncall-rotation-{rotation.pk}")


@login_not_required
@require_GET
def contact_ics(request, user_pk: int, token: str, pk: int):
    _feed_user(user_pk, token)
    contact = get_object_or_404(Contact, pk=pk)
    return _ics(calendar.contact_calendar(contact, timezone.now()), f"oncall-contact-{contact.pk}")
