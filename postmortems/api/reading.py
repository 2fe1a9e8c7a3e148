"""GET /api/postmortems/: the library for scripts, with the page's filters and search (same selector)."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers

from incidents.serializers import SeverityField
from postmortems import selectors
from postmortems.models import PostMortem, PostMortemStatus
from warroom.pagination import PageNumberPagination
from warroom.permissions import Perm, api_permission


class PostMortemFilterSerializer(serializers.Serializer):
    """?search=&severity=&status=&from=&to=&service=&has_open_action_items=&sort="""

    search = serializers.CharField(required=False, allow_blank=True, max_length=200)
    severity = SeverityField(required=False)
    status = serializers.ChoiceField(
        choices=PostMortemStatus.choices, required=False,
        error_messages={"invalid_choice": "Unknown status {input!r}; choose one of "
                                          f"{', '.join(PostMortemStatus.values)}."},
    )
    service = serializers.CharField(required=False, allow_blank=True, max_length=200)
    has_open_action_items = serializers.BooleanField(
        required=False, allow_null=True, default=None,
        error_messages={"invalid": "Use has_open_action_items=true or has_open_action_items=false."})
    sort = serializers.ChoiceField(
        choices=list(selectors.SORTS), required=False,
        error_messages={"invalid_choice": f"Unknown sort {{input!r}}; choose one of {', '.join(selectors.SORTS)}."})

    def get_fields(self):
        # `from` is a Python keyword: these two are added by name.
        fields = super().get_fields()
        fields["from"] = serializers.DateField(required=False, help_text="Declared on or after (YYYY-MM-DD)")
        fields["to"] = serializers.DateField(required=False, help_text="Declared on or before (YYYY-MM-DD)")
        return fields

    def validate(self, attrs):
        if attrs.get("from") and attrs.get("to") and attrs["from"] > attrs["to"]:
            raise serializers.ValidationError({"from": ["'from' must be on or before 'to'."]})
        return attrs


class PostMortemRowSerializer(serializers.ModelSerializer):
    incident = serializers.IntegerField(source="incident_id")
    severity = serializers.CharField(source="incident.severity.name")
    declared_at = serializers.DateTimeField(source="incident.declared_at")
    resolved_at = serializers.DateTimeField(source="incident.resolved_at")
    duration_seconds = serializers.SerializerMethodField()
    open_action_items = serializers.IntegerField()
    headline = serializers.SerializerMethodField(help_text="Matches marked with <mark>, the rest escaped; "
                                                           "only when searching")
    url = serializers.SerializerMethodField()

    class Meta:
        model = PostMortem
        fields = ["id", "url", "incident", "title", "status", "service", "severity", "declared_at", "resolved_at",
                  "duration_seconds", "open_action_items", "published_at", "updated_at", "headline"]
        read_only_fields = fields

    def get_duration_seconds(self, pm) -> int | None:
        return int(pm.duration.total_seconds()) if pm.duration is not None else None

    def get_headline(self, pm) -> str | None:
        """The matching excerpt; the highlighted title when the words are in no section on their own."""
        return str(getattr(pm, "excerpt", "") or getattr(pm, "title_html", None) or "") or None

    def get_url(self, pm) -> str:
        return self.context["request"].build_absolute_uri(reverse("postmortems:detail", kwargs={"pk": pm.pk}))


class PostMortemListView(generics.ListAPIView):
    serializer_class = PostMortemRowSerializer
    permission_classes = [api_permission(Perm.VIEW_INCIDENT)]
    pagination_class = PageNumberPagination

    def get_queryset(self):
        filters = PostMortemFilterSerializer(data=self.request.query_params.dict())
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        self.search = data.get("search", "").strip()
        return selectors.postmortems_library(
            user=self.request.user, q=self.search, severity=data.get("severity"), status=data.get("status", ""),
            since=data.get("from"), until=data.get("to"), service=data.get("service", ""),
            has_open_action_items=data.get("has_open_action_items"), sort=data.get("sort", ""))

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        return selectors.with_excerpts(page, self.search) if page is not None else None

    @extend_schema(parameters=[PostMortemFilterSerializer])
    def get(self, request, *args, **kwargs):
        """Post-mortems the caller may read (viewers: published ones), newest first or best match first."""
        return super().get(request, *args, **kwargs)
