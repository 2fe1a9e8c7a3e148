"""The metrics page: incidents, MTTA, MTTR, SLA breaches and action items per month, as SVG charts and tables."""

from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from postmortems.charts import metrics_panels
from postmortems.metrics import DEFINITIONS, MAX_YEARS, incident_metrics, local_date, parse_range
from warroom.permissions import Perm, require


@require_GET
def metrics(request):
    require(request.user, Perm.VIEW_INCIDENT)
    now = timezone.now()
    raw_from, raw_to = request.GET.get("from", ""), request.GET.get("to", "")
    try:
        start, end = parse_range(raw_from, raw_to, today=local_date(now))
    except ValidationError as exc:
        return render(request, "postmortems/metrics.html",
                      {"errors": exc.message_dict, "raw_from": raw_from, "raw_to": raw_to, "max_years": MAX_YEARS},
                      status=400)
    data = incident_metrics(start=start, end=end, now=now)
    return render(request, "postmortems/metrics.html", {
        "metrics": data, "panels": metrics_panels(data), "definitions": DEFINITIONS,
        "raw_from": start.isoformat(), "raw_to": end.isoformat(), "max_years": MAX_YEARS,
    })
