"""Writing post-mortems: start one from a resolved incident, edit it with a live preview, move its status, keep its
action items; the revisions; My action items and All open action items. Thin: each view checks permission, calls a
service, renders. Every form works without JavaScript; HTMX only adds the live preview.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_duration
from django.utils.html import format_html
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from incidents.models import Incident
from incidents.selectors import assignable_users
from postmortems import services
from postmortems.markdown import render as render_markdown
from postmortems.models import SECTIONS, ActionItem, ActionItemStatus, PostMortem
from postmortems.selectors import action_items_marked
from warroom.pagination import page_or_error
from warroom.permissions import Perm, require

PAGE_SIZE = 50
ZONE = zoneinfo.ZoneInfo(settings.TIME_ZONE)


def _postmortem(request, pk: int) -> PostMortem:
    require(request.user, Perm.WRITE_POSTMORTEM)
    return get_object_or_404(PostMortem.objects.with_incident(), pk=pk)


def _edit_url(postmortem: PostMortem, anchor: str = "") -> str:
    return reverse("postmortems:edit", args=[postmortem.pk]) + (f"#{anchor}" if anchor else "")


def _errors(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return " ".join(f"{field.replace('_', ' ').capitalize()}: {' '.join(msgs)}" if field != "__all__"
                        else " ".join(msgs) for field, msgs in exc.message_dict.items())
    return " ".join(exc.messages)


@require_POST
def start(request, pk: int):
    """Write post-mortem: a draft from the record, or the existing one (a second click opens it)."""
    require(request.user, Perm.WRITE_POSTMORTEM)
    incident = get_object_or_404(Incident.objects.with_people(), pk=pk)
    try:
        postmortem, created = services.postmortem_start(incident=incident, by=request.user)
    except services.PostMortemError as exc:
        messages.error(request, str(exc))
        return redirect("incidents:detail", pk=incident.pk)
    if created:
        messages.success(request, "Post-mortem started from the incident's record: check the Timeline, then write.")
    return redirect(_edit_url(postmortem))


# --- the edit page ---------------------------------------------------------------------------------------------------

def _local_input(iso: str) -> str:
    """A stored ISO time as the value of <input type=datetime-local> in Warroom's zone."""
    moment = dt.datetime.fromisoformat(iso).astimezone(ZONE)
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def _rows_from_post(post) -> list[dict[str, Any]]:
    """The Timeline table's inputs; a row with neither time nor event is dropped (how a row is deleted)."""
    rows = []
    for n, (at, event, entry) in enumerate(zip(post.getlist("row_at"), post.getlist("row_event"),
                                               post.getlist("row_entry"), strict=False), start=1):
        if not at.strip() and not event.strip():
            continue
        try:
            moment = dt.datetime.fromisoformat(at.strip())
        except ValueError:
            raise ValidationError({"timeline": f"Row {n}: give a date and time such as 2026-12-01 14:02."}) from None
        if timezone.is_naive(moment):
            moment = moment.replace(tzinfo=ZONE)
        rows.append({"at": moment.isoformat(), "event": event,
                     "entry": int(entry) if entry.strip().isdigit() else None})
    return rows


def _changes_from_post(post) -> dict[str, Any]:
    changes: dict[str, Any] = {name: post.get(name, "").replace("\r\n", "\n") for name in SECTIONS if name in post}
    for name in ("title", "service", "revenue_impact", "users_affected"):
        if name in post:
            changes[name] = post.get(name, "")
    if "downtime" in post:
        raw = post.get("downtime", "").strip()
        downtime = parse_duration(raw) if raw and "\x00" not in raw else None
        if raw and downtime is None:
            raise ValidationError({"downtime": "Give the downtime as hours:minutes:seconds (e.g. 1:10:00), "
                                               "or leave it empty."})
        changes["downtime"] = downtime
    if "row_at" in post or "timeline" in post:
        changes["timeline"] = _rows_from_post(post)
    return changes


def _hms(delta: dt.timedelta | None) -> str:
    if delta is None:
        return ""
    minutes, seconds = divmod(int(delta.total_seconds()), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}"


def _expected(post) -> int | None:
    raw = post.get("revision", "")
    return int(raw) if raw.isdigit() else None


def _edit_context(request, postmortem: PostMortem, *, error: str = "", typed=None) -> dict:
    incident = postmortem.incident
    typed = typed or {}
    sections = [{"name": name, "label": label, "text": typed.get(name, getattr(postmortem, name)),
                 "html": render_markdown(typed[name]) if name in typed else getattr(postmortem, f"{name}_html")}
                for name, label in SECTIONS.items()]
    rows = [{"at": _local_input(r["at"]), "event": r["event"], "entry": r.get("entry") or ""}
            for r in postmortem.timeline]
    today = timezone.localdate()
    items = action_items_marked(postmortem.action_items.select_related("owner").oldest_due_first(), today=today)
    return {
        "pm": postmortem, "incident": incident, "sections": sections, "rows": rows, "items": items,
        "typed": typed, "error": error, "moves": services.allowed_moves(postmortem, request.user),
        "owners": assignable_users(), "today": today, "zone": settings.TIME_ZONE,
        "downtime": _hms(postmortem.downtime),
    }


@require_http_methods(["GET", "POST"])
def edit(request, pk: int):
    postmortem = _postmortem(request, pk)
    if request.method == "GET":
        return render(request, "postmortems/edit.html", _edit_context(request, postmortem))
    typed = {name: request.POST.get(name, "") for name in SECTIONS if name in request.POST}
    try:
        changes = _changes_from_post(request.POST)
        postmortem = services.postmortem_update(postmortem=postmortem, by=request.user, changes=changes,
                                                expected_revision=_expected(request.POST))
    except services.StaleRevision as exc:
        # Keep what they typed on the page; the rest shows the saved revision they must read first.
        fresh = get_object_or_404(PostMortem.objects.with_incident(), pk=pk)
        return render(request, "postmortems/edit.html",
                      _edit_context(request, fresh, error=str(exc), typed=typed), status=409)
    except ValidationError as exc:
        return render(request, "postmortems/edit.html",
                      _edit_context(request, postmortem, error=_errors(exc), typed=typed), status=400)
    messages.success(request, f"Saved: revision {postmortem.revision}.")
    return redirect(_edit_url(postmortem))


@require_POST
def preview(request, pk: int):
    """The live preview: one section's Markdown as it will be stored (sanitised), swapped in beside the textarea."""
    _postmortem(request, pk)
    section = request.POST.get("section", "")
    if section not in SECTIONS:
        return HttpResponse(format_html('<p class="error">Unknown section {}.</p>', section), status=400)
    html = render_markdown(request.POST.get(section, ""))
    return render(request, "postmortems/_preview.html", {"html": html})


@require_POST
def status(request, pk: int):
    postmortem = _postmortem(request, pk)
    try:
        postmortem = services.postmortem_move(postmortem=postmortem, move=request.POST.get("move", ""),
                                              by=request.user, expected_revision=_expected(request.POST))
    except services.PostMortemError as exc:
        return render(request, "postmortems/edit.html", _edit_context(request, postmortem, error=str(exc)),
                      status=409)
    except ValidationError as exc:
        return render(request, "postmortems/edit.html", _edit_context(request, postmortem, error=_errors(exc)),
                      status=400)
    messages.success(request, f"{postmortem.get_status_display()}: revision {postmortem.revision}.")
    return redirect(_edit_url(postmortem))


# --- action items on the page ---------------------------------------------------------------------------------------

ITEM_INPUTS = ("description", "owner", "due_date", "ticket_url")


@require_POST
def action_item_add(request, pk: int):
    postmortem = _postmortem(request, pk)
    try:
        services.action_item_add(postmortem=postmortem, by=request.user,
                                 **{name: request.POST.get(name, "") for name in ITEM_INPUTS})
    except ValidationError as exc:
        return render(request, "postmortems/edit.html", _edit_context(request, postmortem, error=_errors(exc)),
                      status=400)
    messages.success(request, "Action item added.")
    return redirect(_edit_url(postmortem, "action-items"))


@require_POST
def action_item_edit(request, pk: int, item_pk: int):
    """Edit an item's fields, or mark it done / open again (status=done|open)."""
    postmortem = _postmortem(request, pk)
    item = get_object_or_404(ActionItem, pk=item_pk, postmortem=postmortem)
    changes = {name: request.POST[name] for name in (*ITEM_INPUTS, "status") if name in request.POST}
    try:
        services.action_item_update(item=item, by=request.user, changes=changes)
    except ValidationError as exc:
        return render(request, "postmortems/edit.html", _edit_context(request, postmortem, error=_errors(exc)),
                      status=400)
    return redirect(_edit_url(postmortem, "action-items"))


# --- revisions --------------------------------------------------------------------------------------------------------

@require_GET
def revisions(request, pk: int):
    postmortem = _postmortem(request, pk)
    return render(request, "postmortems/revisions.html",
                  {"pm": postmortem, "revisions": postmortem.revisions.select_related("by").order_by("-number")})


@require_GET
def revision(request, pk: int, number: int):
    """An old revision, readable: its sections rendered (and sanitised) as they then read."""
    postmortem = _postmortem(request, pk)
    old = postmortem.revisions.select_related("by").filter(number=number).first()
    if old is None:
        raise Http404("No such revision.")
    content = old.content
    sections = [{"name": name, "label": label, "html": render_markdown(content.get(name, ""))}
                for name, label in SECTIONS.items()]
    seconds = content.get("downtime_seconds")
    return render(request, "postmortems/revision.html", {
        "pm": postmortem, "old": old, "content": content, "sections": sections,
        "downtime": dt.timedelta(seconds=seconds) if seconds is not None else None,
        "rows": [{"at": dt.datetime.fromisoformat(r["at"]), "event": r["event"]} for r in content.get("timeline", [])],
    })


# --- action item lists ------------------------------------------------------------------------------------------------

def _items_page(request, items, *, title: str, mine: bool):
    paginator = Paginator(items.for_lists().oldest_due_first(), PAGE_SIZE)
    try:
        page = page_or_error(paginator, request.GET.get("page"))
    except ValidationError as exc:
        return render(request, "400.html", {"detail": " ".join(exc.messages)}, status=400)
    today = timezone.localdate()
    return render(request, "postmortems/action_items.html", {
        "page": page, "items": action_items_marked(page, today=today), "title": title, "mine": mine, "today": today,
    })


@require_GET
def my_action_items(request):
    require(request.user, Perm.VIEW_INCIDENT)
    items = ActionItem.objects.visible_to(request.user).filter(owner=request.user, status=ActionItemStatus.OPEN)
    return _items_page(request, items, title="My action items", mine=True)


@require_GET
def open_action_items(request):
    require(request.user, Perm.VIEW_INCIDENT)
    items = ActionItem.objects.visible_to(request.user).filter(status=ActionItemStatus.OPEN)
    return _items_page(request, items, title="All open action items", mine=False)
