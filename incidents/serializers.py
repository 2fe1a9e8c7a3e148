"""API shapes. Input serializers check shape; the services check the rules."""

from django.contrib.auth import get_user_model
from rest_framework import serializers

from incidents.models import Entry, Incident, Role, Severity, Source, Status


class SeveritySerializer(serializers.ModelSerializer):
    response_time = serializers.CharField(source="response_time_display", read_only=True)

    class Meta:
        model = Severity
        fields = ["name", "level", "label", "definition", "response", "response_minutes", "response_time",
                  "escalation", "examples"]


class _SlugField(serializers.SlugRelatedField):
    def to_internal_value(self, data):
        # PostgreSQL refuses text with NUL in a query: that is bad input, not a server error.
        if isinstance(data, str) and "\x00" in data:
            self.fail("invalid")
        return super().to_internal_value(data)


class SeverityField(_SlugField):
    default_error_messages = {
        "does_not_exist": "Unknown severity {value}; choose one of SEV1, SEV2, SEV3, SEV4.",
        "invalid": "Give a severity name such as SEV2.",
    }

    def __init__(self, **kwargs):
        super().__init__(slug_field="name", queryset=Severity.objects.all(), **kwargs)

    def to_internal_value(self, data):
        return super().to_internal_value(data.upper() if isinstance(data, str) else data)


class UsernameField(_SlugField):
    default_error_messages = {"does_not_exist": "No active user called {value}.", "invalid": "Give a username."}

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", get_user_model().objects.filter(is_active=True))
        super().__init__(slug_field="username", **kwargs)


class IncidentFilterSerializer(serializers.Serializer):
    """The list's query parameters: ?status=, ?severity=, ?open=."""

    status = serializers.ChoiceField(
        choices=Status.choices, required=False,
        error_messages={"invalid_choice": f"Unknown status {{input!r}}; choose one of {', '.join(Status.values)}."},
    )
    severity = SeverityField(required=False)
    open = serializers.BooleanField(required=False, allow_null=True, default=None,
                                    error_messages={"invalid": "Use open=true or open=false."})


class IncidentSerializer(serializers.ModelSerializer):
    severity = serializers.CharField(source="severity.name")
    commander = serializers.CharField(source="commander.username", default=None, allow_null=True)
    communications_lead = serializers.CharField(source="communications_lead.username", default=None, allow_null=True)
    scribe = serializers.CharField(source="scribe.username", default=None, allow_null=True)
    sla_breached = serializers.BooleanField()
    url = serializers.HyperlinkedIdentityField(view_name="api:incident-detail")

    class Meta:
        model = Incident
        fields = ["id", "url", "title", "summary", "severity", "status", "source", "users_affected",
                  "service_affected", "war_room", "commander", "communications_lead", "scribe",
                  "declared_at", "response_due_at", "acknowledged_at", "sla_breached", "investigating_at",
                  "mitigating_at", "monitoring_at", "resolved_at", "version", "updated_at"]
        read_only_fields = fields


class IncidentCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    severity = SeverityField()
    summary = serializers.CharField(required=False, allow_blank=True, default="")
    # DRF's metaclass moves declared fields off the class, so this never shadows Field.source; the stubs cannot know.
    source = serializers.ChoiceField(choices=Source.choices, default=Source.INTERNAL_DISCOVERY)  # type: ignore[assignment]
    users_affected = serializers.IntegerField(required=False, allow_null=True, min_value=0, default=None)
    service_affected = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class IncidentUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    summary = serializers.CharField(required=False, allow_blank=True)
    severity = SeverityField(required=False)
    users_affected = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    service_affected = serializers.CharField(required=False, allow_blank=True, max_length=200)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000,
                                   help_text="Why the severity changed")

    def validate(self, attrs):
        unknown = set(self.initial_data) - set(self.fields)
        if unknown:
            raise serializers.ValidationError({f: "This field cannot be edited." for f in sorted(unknown)})
        return attrs


class TransitionSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Status.choices)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    expected_status = serializers.ChoiceField(
        choices=Status.choices, required=False, allow_blank=True, default="",
        help_text="The status you saw: if someone moved the incident since, the move is refused (409), not stacked")


class RoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)
    user = UsernameField(allow_null=True)


class EntrySerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.username", default=None, allow_null=True)
    starred_by = serializers.CharField(source="star.by.username", default=None, allow_null=True,
                                       help_text="Who starred this line for the post-mortem, if anyone")

    class Meta:
        model = Entry
        fields = ["id", "kind", "text", "author", "created_at", "data", "starred_by"]
        read_only_fields = fields


class NoteSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=10_000)
    options = serializers.ListField(child=serializers.CharField(max_length=40), required=False, max_length=10,
                                    help_text="Note options other apps offer (e.g. share); the service checks them")


class AnnouncementSerializer(serializers.Serializer):
    text = serializers.CharField()
