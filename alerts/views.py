"""The alerts page and declaring an incident from an alert that opened none."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from alerts import selectors, services
from alerts.forms import AlertFilterForm, DeclareFromAlertForm
from alerts.models import Alert
from incidents.models import Severity
from warroom.pagination import filtered_page
from warroom.permissions import Perm, can, require

PAGE_SIZE = 50


@require_GET
def alert_list(request):
    require(request.user, Perm.VIEW_INCIDENT)
    listed = filtered_page(request, AlertFilterForm, selectors.alerts_filtered, per_page=PAGE_SIZE)
    return render(request, "alerts/list.html", {"form": listed.form, "page": listed.page, "query": listed.query,
                                                "can_declare": can(request.user, Perm.MANAGE_INCIDENT)},
                  status=listed.status)


@require_http_methods(["GET", "POST"])
def declare(request, pk: int):
    require(request.user, Perm.MANAGE_INCIDENT)
    alert = get_object_or_404(Alert.objects.select_related("source", "group__incident"), pk=pk)
    if alert.group.incident is not None:
        messages.info(request, f"This alert is already on incident #{alert.group.incident_id}.")
        return redirect("incidents:detail", pk=alert.group.incident_id)
    form = DeclareFromAlertForm(request.POST or None, initial=services.declare_prefill(alert))
    if request.method == "POST" and form.is_valid():
        try:
            incident = services.alert_declare_incident(alert=alert, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        except services.AlertError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Declared {incident.severity.name} from the alert: "
                                      f"war room {incident.war_room}.")
            return redirect("incidents:detail", pk=incident.pk)
    return render(request, "alerts/declare.html", {"form": form, "alert": alert, "severities": Severity.objects.all()},
                  status=400 if form.is_bound else 200)
