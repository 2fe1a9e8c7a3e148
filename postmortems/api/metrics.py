"""GET /api/metrics/?from=&to=: the metrics page's numbers for scripts and dashboards (durations in seconds)."""

from django.core.exceptions import ValidationError
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.response import Response

from postmortems.metrics import Cell, Durations, Metrics, incident_metrics, local_date, parse_range
from warroom.permissions import Perm, api_permission

CanView = api_permission(Perm.VIEW_INCIDENT)


class MetricsDurationsSerializer(serializers.Serializer):
    median_seconds = serializers.FloatField(allow_null=True, help_text="Median; the mean of the two middle values "
                                                                      "for an even count; null when none measured")
    p90_seconds = serializers.FloatField(allow_null=True, help_text="Nearest rank: the value at position "
                                                                   "⌈0.9 × n⌉ of the sorted durations")
    measured = serializers.IntegerField(help_text="Incidents with this measure")
    excluded = serializers.IntegerField(help_text="Incidents left out: not yet acknowledged (MTTA) or resolved (MTTR)")


class MetricsCellSerializer(serializers.Serializer):
    incidents = serializers.IntegerField()
    sla_breaches = serializers.IntegerField()
    mtta = MetricsDurationsSerializer(help_text="Declared → acknowledged")
    mttr = MetricsDurationsSerializer(help_text="Declared → resolved")


class MetricsSeverityCellSerializer(MetricsCellSerializer):
    severity = serializers.CharField(help_text="SEV1 … SEV4")


class MetricsActionItemsSerializer(serializers.Serializer):
    opened = serializers.IntegerField()
    done = serializers.IntegerField()


class MetricsMonthSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM, in the server's time zone")
    by_severity = MetricsSeverityCellSerializer(many=True)
    total = MetricsCellSerializer(help_text="All severities together")
    action_items = MetricsActionItemsSerializer()


class MetricsRangeTotalSerializer(serializers.Serializer):
    by_severity = MetricsSeverityCellSerializer(many=True)
    total = MetricsCellSerializer()
    action_items = MetricsActionItemsSerializer()


class MetricsSerializer(serializers.Serializer):
    from_ = serializers.DateField(help_text="First day, included")
    to = serializers.DateField(help_text="Last day, included")
    time_zone = serializers.CharField(help_text="The zone months and dates are counted in")
    definitions = serializers.DictField(child=serializers.CharField())
    months = MetricsMonthSerializer(many=True)
    whole_range = MetricsRangeTotalSerializer()
    action_items_overdue = serializers.IntegerField(help_text="Open action items due before today, any range")

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")  # a Python keyword: named in the class with a trailing underscore
        return fields


def _durations(d: Durations) -> dict:
    return {"median_seconds": d.median, "p90_seconds": d.p90, "measured": d.measured, "excluded": d.excluded}


def _cell(cell: Cell, **extra) -> dict:
    return {**extra, "incidents": cell.count, "sla_breaches": cell.breaches,
            "mtta": _durations(cell.mtta), "mttr": _durations(cell.mttr)}


def metrics_body(m: Metrics) -> dict:
    return {
        "from": m.start.isoformat(), "to": m.end.isoformat(), "time_zone": timezone.get_default_timezone_name(),
        "definitions": m.definitions,
        "months": [{"month": month.label,
                    "by_severity": [_cell(month.by_severity[s], severity=s) for s in m.severities],
                    "total": _cell(month.total),
                    "action_items": {"opened": month.actions_opened, "done": month.actions_done}}
                   for month in m.months],
        "whole_range": {"by_severity": [_cell(m.by_severity[s], severity=s) for s in m.severities],
                        "total": _cell(m.total),
                        "action_items": {"opened": m.actions_opened, "done": m.actions_done}},
        "action_items_overdue": m.actions_overdue,
    }


@extend_schema(
    parameters=[
        OpenApiParameter("from", str, description="YYYY-MM-DD, included; default: twelve months before `to`"),
        OpenApiParameter("to", str, description="YYYY-MM-DD, included; default: today. At most five years in all"),
    ],
    responses=MetricsSerializer,
)
@api_view(["GET"])
@permission_classes([CanView])
def metrics(request):
    """Incidents, MTTA, MTTR (seconds: median and nearest-rank p90) and SLA breaches per severity per month."""
    now = timezone.now()
    try:
        start, end = parse_range(request.query_params.get("from"), request.query_params.get("to"),
                                 today=local_date(now))
    except ValidationError as exc:
        raise serializers.ValidationError(exc.message_dict) from exc
    return Response(metrics_body(incident_metrics(start=start, end=end, now=now)))
