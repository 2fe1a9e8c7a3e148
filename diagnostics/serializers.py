from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework import serializers

from diagnostics.models import Run
from targets.models import Target

if TYPE_CHECKING:
    from incidents.models import Incident


class TargetSerializer(serializers.ModelSerializer):
    """No credentials, not even their references: where the target is, with any password masked."""

    where = serializers.CharField(read_only=True)

    class Meta:
        model = Target
        fields = ["name", "kind", "description", "where", "namespace", "deployment", "timeout_seconds", "enabled"]
        read_only_fields = fields


class CheckSerializer(serializers.Serializer):
    name = serializers.CharField()
    kind = serializers.CharField()
    title = serializers.CharField()
    runbook = serializers.CharField()
    params = serializers.SerializerMethodField()

    def get_params(self, check) -> dict:
        return {name: {"type": kind.__name__, "default": default} for name, (kind, default) in check.params.items()}


class RunSerializer(serializers.ModelSerializer):
    check = serializers.CharField(source="check_name")
    target = serializers.CharField(source="target.name")
    requested_by = serializers.CharField(source="requested_by.username", default=None, allow_null=True)
    incident: serializers.PrimaryKeyRelatedField[Incident] = serializers.PrimaryKeyRelatedField(read_only=True)
    url = serializers.HyperlinkedIdentityField(view_name="diagnostics-api:run-detail")

    class Meta:
        model = Run
        fields = ["id", "url", "incident", "check", "target", "params", "batch", "status", "verdict", "summary",
                  "columns", "rows", "text", "error", "requested_by", "created_at", "started_at", "finished_at"]
        read_only_fields = fields


class RunRequestSerializer(serializers.Serializer):
    check = serializers.CharField(max_length=60)
    target = serializers.CharField(max_length=60)
    params = serializers.DictField(required=False, default=dict)


class PlaybookSerializer(serializers.Serializer):
    slug = serializers.CharField()
    title = serializers.CharField()
    solution = serializers.CharField()
    checks = serializers.SerializerMethodField()

    def get_checks(self, playbook) -> list[dict]:
        return [{"check": step.check, "params": step.params} for step in playbook.steps]


class PodSeriesSerializer(serializers.Serializer):
    """One pod's memory over a watch: (seconds since the watch began, bytes) pairs and its trend."""

    pod = serializers.CharField()
    present = serializers.BooleanField(help_text="In the latest sample; false once replaced or gone")
    request_bytes = serializers.IntegerField(source="request", allow_null=True)
    limit_bytes = serializers.IntegerField(source="limit", allow_null=True)
    samples = serializers.ListField(child=serializers.ListField(child=serializers.FloatField()))
    slope_mib_per_min = serializers.FloatField(source="growth.slope_mib_per_min", allow_null=True)
    r2 = serializers.FloatField(source="growth.r2", allow_null=True)
    minutes_to_limit = serializers.IntegerField(source="growth.minutes_to_limit", allow_null=True)
    steady_growth = serializers.BooleanField(source="growth.steady")
    sentence = serializers.CharField(source="growth.sentence")


class MemoryWatchSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    target = serializers.CharField(source="target.name")
    deployment = serializers.CharField(source="target.deployment")
    status = serializers.CharField()
    interval_seconds = serializers.IntegerField()
    duration_seconds = serializers.IntegerField()
    requested_by = serializers.CharField(source="requested_by.username")
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    end_reason = serializers.CharField()
    samples_taken = serializers.IntegerField()
    pods = PodSeriesSerializer(many=True, source="report")
