from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework import serializers

from mitigations.models import Mitigation

if TYPE_CHECKING:
    from incidents.models import Incident


class MitigationSerializer(serializers.ModelSerializer):
    target = serializers.CharField(source="target.name")
    deployment = serializers.CharField(source="target.deployment")
    requested_by = serializers.CharField(source="requested_by.username")
    approved_by = serializers.CharField(source="approved_by.username", default=None, allow_null=True)
    confirmed_by = serializers.CharField(source="confirmed_by.username", default=None, allow_null=True)
    cancelled_by = serializers.CharField(source="cancelled_by.username", default=None, allow_null=True)
    approval_valid = serializers.BooleanField(read_only=True)
    manifest_version = serializers.IntegerField(source="manifest.version", default=None, allow_null=True)
    incident: serializers.PrimaryKeyRelatedField[Incident] = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Mitigation
        fields = ["id", "incident", "action", "target", "deployment", "params", "manifest_version", "status",
                  "preview", "outcome", "rollout", "error", "requested_by", "created_at", "approved_by",
                  "approved_at", "approval_expires_at", "approval_valid", "confirmed_by", "confirmed_at",
                  "cancelled_by", "started_at", "finished_at"]
        read_only_fields = fields


class MitigationRequestSerializer(serializers.Serializer):
    action = serializers.CharField(max_length=60)
    target = serializers.CharField(max_length=60)
    params = serializers.DictField(required=False, default=dict)


class ParamsSerializer(serializers.Serializer):
    params = serializers.DictField()


class ConfirmSerializer(serializers.Serializer):
    confirm = serializers.CharField(max_length=200, help_text="The deployment's name, typed by a person")
