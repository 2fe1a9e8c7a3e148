"""Pages for the incident commander. Thin: each view checks permission, calls a service, renders.

Every action answers HTMX with the same live-update fragment the pollers get,
and a plain form post with a redirect, so the pages work without JavaScript.
"""

from asgiref.sync import SyncToAsync, sync_to_async
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.handlers.asgi import ASGIRequest
from django.db import connection
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from incidents import live, selectors, services
from incidents.announcement import announcement_text
from incidents.extensions import dashboard_panels_for, note_options_shown, panels_for
from incidents.forms import (
    DeclareForm,
    DetailsForm,
    HistoryFilterForm,
    NoteForm,
    RoleForm,
    SeverityForm,
    TransitionForm,
)
from incidents.models import Incident, Role, Severity, Status
from warroom import outbox
from warroom.pagination import filtered_page
from warroom.permissions import Perm, can, require


def _incident(request, pk: int, perm: Perm = Perm.VIEW_INCIDENT) -> Incident:
    require(request.user, perm)
    return get_object_or_404(Incident.objects.with_people(), pk=pk)


@require_GET
def dashboard(request):
    require(request.user, Perm.VIEW_INCIDENT)
    return render(request, "incidents/dashboard.html",
                  {**_dashboard_context(request), "dashboard_panels": dashboard_panels_for(request)})


def _dashboard_context(request) -> dict:
    return {
        "incidents": list(Incident.objects.for_dashboard()),
        "token": selectors.dashboard_token(),
        "poll_seconds": settings.LIVE_POLL_SECONDS,
        "live_stream": live.enabled(),
        "can_manage": can(request.user, Perm.MANAGE_INCIDENT),
        "workers": outbox.unreachable(),  # the broker is down: say that requested work waits
    }


@require_GET
def dashboard_live(request):
    """204 while nothing changed; otherwise the fresh table, swapped out-of-band."""
    require(request.user, Perm.VIEW_INCIDENT)
    if request.GET.get("v") == selectors.dashboard_token():
        return HttpResponse(status=204)
    return render(request, "incidents/_dashboard_live.html", _dashboard_context(request))


@require_GET
def history(request):
    require(request.user, Perm.VIEW_INCIDENT)
    listed = filtered_page(request, HistoryFilterForm, selectors.incidents_filtered, per_page=25)
    return render(request, "incidents/history.html",
                  {"form": listed.form, "page": listed.page, "query": listed.query}, status=listed.status)


@require_http_methods(["GET", "POST"])
def declare(request):
    require(request.user, Perm.MANAGE_INCIDENT)
    form = DeclareForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            incident = services.incident_declare(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, f"Declared {incident.severity.name}: war room {incident.war_room}.")
            return redirect("incidents:detail", pk=incident.pk)
    return render(request, "incidents/declare.html",
                  {"form": form, "severities": Severity.objects.all()},
                  status=400 if form.is_bound else 200)


def _add_errors(form, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@require_GET
def detail(request, pk: int):
    incident = _incident(request, pk)
    return render(request, "incidents/detail.html", _detail_context(request, incident))


def _detail_context(request, incident: Incident, error: str = "") -> dict:
    moves = services.ALLOWED_MOVES[incident.status]
    forward = services.next_step(incident.status)
    return {
        "incident": incident,
        # Lazy: the rendered timeline is cached per incident version (entries are append-only).
        "entries": incident.entries.for_timeline(),
        "forward": Status(forward) if forward else None,
        "back": [Status(s) for s in moves if s != forward],
        "needs_override": forward == Status.RESOLVED and bool(incident.monitoring_remaining),
        "monitoring_minutes": settings.MONITORING_MINUTES,
        "severities": Severity.objects.all(),
        "roles": Role.choices,
        # Who can take some role: viewers cannot take any (the service says who can take which).
        "users": selectors.assignable_users() if can(request.user, Perm.MANAGE_INCIDENT) else [],
        "announcement": announcement_text(incident),
        "can_manage": can(request.user, Perm.MANAGE_INCIDENT),
        "can_note": can(request.user, Perm.ADD_NOTE),
        "note_options": note_options_shown(),
        "poll_seconds": settings.LIVE_POLL_SECONDS,
        "live_stream": live.enabled(),
        "panels": panels_for(request, incident),
        "error": error,
        "workers": outbox.unreachable(),  # the broker is down: say that requested work waits
    }


@require_GET
def detail_live(request, pk: int):
    """204 while the incident's version is the one the page shows; otherwise its fresh parts."""
    require(request.user, Perm.VIEW_INCIDENT)
    version = selectors.incident_version(pk)
    if version is None:
        raise Http404("No such incident.")
    if request.GET.get("v") == str(version):
        return HttpResponse(status=204)
    incident = get_object_or_404(Incident.objects.with_people(), pk=pk)
    return render(request, "incidents/_detail_live.html", _detail_context(request, incident))


def _no_stream() -> HttpResponse:
    """204: EventSource stops reconnecting and the page keeps polling (no Redis, or a WSGI server)."""
    return HttpResponse(status=204, headers={"X-Warroom-Live": "poll"})


def _sse(events) -> StreamingHttpResponse:
    response = StreamingHttpResponse(events, content_type="text/event-stream; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each event through at once
    return response


async def _watcher(request) -> tuple[int, str | None] | None:
    """The signed-in viewer's (id, session key), or None: the stream is refused like the page is."""
    user = await request.auser()
    if not await sync_to_async(can)(user, Perm.VIEW_INCIDENT):
        raise PermissionDenied(Perm.VIEW_INCIDENT.refusal)
    if not isinstance(request, ASGIRequest) or not live.enabled():
        return None
    return user.pk, request.session.session_key


def _close_connection() -> None:
    connection.close()


def _release_request_thread() -> None:
    """Under ASGI, Django runs a request's sync parts (middleware, session, auth) on a thread of the request's own
    (asgiref's ThreadSensitiveContext), kept until the response ends: a stream would hold it, idle, for as long as
    the page is open (about 50 KiB each). Once the checks are done, stop it; the stream itself needs no thread,
    and what runs sync after it (response.close) gets a short-lived one."""
    context = SyncToAsync.thread_sensitive_context.get(None)
    executor = SyncToAsync.context_to_thread_executor.pop(context, None) if context is not None else None
    if executor is not None:
        executor.shutdown(wait=False)


def _released(function):
    """Run in a shared worker thread and hand back its database connection: under ASGI each request has its own
    thread (and connection) for sync code, which a stream would otherwise hold for as long as it is open."""
    def call(*args):
        try:
            return function(*args)
        finally:
            connection.close()
    return sync_to_async(call, thread_sensitive=False)


@require_GET
async def dashboard_stream(request):
    """Server-Sent Events: `version` (the dashboard's token) on connect, then `change` whenever an incident moves."""
    watcher = await _watcher(request)
    if watcher is None:
        return _no_stream()
    await sync_to_async(_close_connection)()  # this request's own: not held while the page is open
    _release_request_thread()
    return _sse(live.stream(
        live.channel(live.DASHBOARD),
        current=_released(selectors.dashboard_token),
        watcher=watcher,
        check=_released(selectors.sessions_may_view),
        with_id=False,
    ))


@require_GET
async def detail_stream(request, pk: int):
    """Server-Sent Events: the incident's `version` on connect and after each change (its id, for reconnects)."""
    watcher = await _watcher(request)
    if await sync_to_async(selectors.incident_version)(pk) is None:
        raise Http404("No such incident.")
    if watcher is None:
        return _no_stream()

    await sync_to_async(_close_connection)()  # this request's own: not held while the page is open
    _release_request_thread()

    async def current() -> str:
        return str(await _released(selectors.incident_version)(pk))

    return _sse(live.stream(
        live.incident_channel(pk),
        current=current,
        watcher=watcher,
        check=_released(selectors.sessions_may_view),
        with_id=True,
    ))


def after_action(request, incident: Incident, *, error: str = "", status: int = 200, notice: str = ""):
    """The answer to any action on an incident (also other apps'): HTMX gets the live fragment, a form a redirect."""
    incident = Incident.objects.with_people().get(pk=incident.pk)
    if request.htmx:
        context = _detail_context(request, incident, error=error)
        return render(request, "incidents/_detail_live.html", {**context, "reset_note": not error}, status=status)
    if error:
        return render(request, "incidents/detail.html", _detail_context(request, incident, error=error),
                      status=status)
    if notice:
        messages.success(request, notice)
    return redirect("incidents:detail", pk=incident.pk)


def _run(request, incident: Incident, service, **kwargs):
    """Call a service and turn its refusals into the page's error box (409 for a rule, 400 for bad input)."""
    try:
        service(incident=incident, by=request.user, **kwargs)
    except services.TransitionError as exc:
        return after_action(request, incident, error=str(exc), status=409)
    except ValidationError as exc:
        return after_action(request, incident, error=" ".join(exc.messages), status=400)
    return after_action(request, incident)


def _form_error(request, incident: Incident, form) -> HttpResponse:
    # Field labels ("Users affected"), not field names ("users_affected"): the box is read by people.
    text = " ".join(f"{'' if f == '__all__' else form[f].label + ': '}{' '.join(e)}" for f, e in form.errors.items())
    return after_action(request, incident, error=text, status=400)


@require_POST
def acknowledge(request, pk: int):
    incident = _incident(request, pk, Perm.MANAGE_INCIDENT)
    return _run(request, incident, services.incident_acknowledge)


@require_POST
def transition(request, pk: int):
    incident = _incident(request, pk, Perm.MANAGE_INCIDENT)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        return _form_error(request, incident, form)
    return _run(request, incident, services.incident_transition, to=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"], expected_status=form.cleaned_data["expected_status"])


def _form_action(request, pk: int, form_class, service, needs: Perm = Perm.MANAGE_INCIDENT):
    """Check permission and form, then call the service with the form's fields."""
    incident = _incident(request, pk, needs)
    form = form_class(request.POST)
    if not form.is_valid():
        return _form_error(request, incident, form)
    return _run(request, incident, service, **form.cleaned_data)


@require_POST
def change_severity(request, pk: int):
    return _form_action(request, pk, SeverityForm, services.incident_change_severity)


@require_POST
def assign_role(request, pk: int):
    return _form_action(request, pk, RoleForm, services.incident_assign_role)


@require_POST
def edit_details(request, pk: int):
    return _form_action(request, pk, DetailsForm, services.incident_update)


@require_POST
def add_note(request, pk: int):
    return _form_action(request, pk, NoteForm, services.timeline_note, Perm.ADD_NOTE)


@require_POST
def star(request, pk: int, entry_pk: int):
    """Star (action=star) or unstar (action=unstar) a timeline line; allowed after resolution too."""
    incident = _incident(request, pk, Perm.ADD_NOTE)
    entry = get_object_or_404(incident.entries.select_related("incident"), pk=entry_pk)
    action = request.POST.get("action", "")
    if action not in ("star", "unstar"):
        return after_action(request, incident, error="Say action=star or action=unstar.", status=400)
    service = services.entry_star if action == "star" else services.entry_unstar
    try:
        service(entry=entry, by=request.user)
    except services.TransitionError as exc:
        return after_action(request, incident, error=str(exc), status=409)
    return after_action(request, incident)
