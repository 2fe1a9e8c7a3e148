"""Writing post-mortems over the API: start one, read and PATCH it (sections by name, status moves), action items.

Errors as everywhere: 400 bad input, 403 a role that may not, 404 nothing there (or not visible), 409 a rule or a
stale `expected_revision`.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import api_view, permission_classes
from rest_framework.exceptions import NotFound
from rest_framework.exceptions import PermissionDenied as Forbidden
from rest_framework.response import Response

from incidents.models import Incident
from postmortems import services
from postmortems.models import SECTIONS, ActionItem, ActionItemStatus, PostMortem, PostMortemStatus
from warroom.api import Conflict
from warroom.pagination import PageNumberPagination
from warroom.permissions import Perm, api_permission

CanWrite = api_permission(Perm.VIEW_INCIDENT, Perm.WRITE_POSTMORTEM)
CanRead = api_permission(Perm.VIEW_INCIDENT)


def _call(service, **kwargs):
    try:
        return service(**kwargs)
    except services.PostMortemError as exc:
        raise Conflict(str(exc)) from exc
    except PermissionDenied as exc:
        raise Forbidden(str(exc) or None) from exc


# --- shapes -----------------------------------------------------------------------------------------------------------

class TimelineRowSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    event = serializers.CharField(max_length=services.EVENT_LIMIT)
    entry = serializers.IntegerField(required=False, allow_null=True, default=None)


class ActionItemSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.username")
    postmortem: serializers.PrimaryKeyRelatedField[PostMortem] = serializers.PrimaryKeyRelatedField(read_only=True)
    overdue = serializers.SerializerMethodField()
    created_by = serializers.CharField(source="created_by.username")
    updated_by = serializers.CharField(source="updated_by.username")
    ticket_url = serializers.CharField(help_text="The ticket's http(s) link, or empty")  # "" is no URL

    class Meta:
        model = ActionItem
        fields = ["id", "postmortem", "description", "owner", "due_date", "status", "overdue", "ticket_url",
                  "done_at", "created_by", "created_at", "updated_by", "updated_at"]
        read_only_fields = fields

    def get_overdue(self, item: ActionItem) -> bool:
        return item.is_overdue(self.context.get("today") or timezone.localdate())


class FactsSerializer(serializers.Serializer):
    """Read from the incident, never copied into the post-mortem."""

    incident = serializers.IntegerField(source="pk")
    date = serializers.DateTimeField(source="declared_at")
    resolved_at = serializers.DateTimeField()
    duration_seconds = serializers.SerializerMethodField()
    severity = serializers.CharField(source="severity.name")
    commander = serializers.CharField(source="commander.username", default=None, allow_null=True)

    def get_duration_seconds(self, incident: Incident) -> int:
        return int(incident.duration.total_seconds())


class PostMortemSerializer(serializers.ModelSerializer):
    facts = FactsSerializer(source="incident")
    timeline = TimelineRowSerializer(many=True)
    action_items = ActionItemSerializer(many=True)
    created_by = serializers.CharField(source="created_by.username")
    updated_by = serializers.CharField(source="updated_by.username")
    incident: serializers.PrimaryKeyRelatedField[Incident] = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = PostMortem
        fields = ["id", "incident", "status", "revision", "title", "service", "users_affected", "revenue_impact",
                  "downtime", "facts",
                  *[f for name in SECTIONS for f in (name, f"{name}_html")],
                  "timeline", "action_items", "created_by", "created_at", "updated_by", "updated_at", "published_at"]
        read_only_fields = fields


MOVE_FOR_STATUS = {PostMortemStatus.IN_REVIEW: "submit", PostMortemStatus.PUBLISHED: "publish",
                   PostMortemStatus.DRAFT: "draft"}


class EditSerializer(serializers.Serializer):
    """A PATCH body: a field it does not name is an error, not silently ignored."""

    def validate(self, attrs):
        unknown = set(self.initial_data) - set(self.fields) if isinstance(self.initial_data, dict) else set()
        if unknown:
            raise serializers.ValidationError({f: "This field cannot be edited." for f in sorted(unknown)})
        return attrs


class PostMortemUpdateSerializer(EditSerializer):
    """Any of these; sections are Markdown. `status` moves draft → in_review → published (or in_review → draft)."""

    expected_revision = serializers.IntegerField(required=False, min_value=1,
                                                 help_text="The revision you edited; a newer one is a 409")
    title = serializers.CharField(required=False, max_length=200)
    service = serializers.CharField(required=False, allow_blank=True, max_length=200)
    users_affected = serializers.IntegerField(required=False, allow_null=True, min_value=0,
                                              max_value=services.MAX_INT)
    revenue_impact = serializers.CharField(required=False, allow_blank=True, max_length=100)
    downtime = serializers.DurationField(required=False, allow_null=True, help_text='e.g. "01:10:00"')
    summary = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False,
                                    max_length=services.SECTION_LIMIT)
    impact = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False,
                                   max_length=services.SECTION_LIMIT)
    root_cause = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False,
                                       max_length=services.SECTION_LIMIT)
    resolution = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False,
                                       max_length=services.SECTION_LIMIT)
    lessons_learned = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False,
                                            max_length=services.SECTION_LIMIT)
    timeline = TimelineRowSerializer(many=True, required=False)
    status = serializers.ChoiceField(choices=PostMortemStatus.choices, required=False)


class ActionItemCreateSerializer(serializers.Serializer):
    description = serializers.CharField(max_length=500)
    owner = serializers.CharField(max_length=150, help_text="A username")
    due_date = serializers.DateField(required=False, allow_null=True, default=None)
    ticket_url = serializers.CharField(required=False, allow_blank=True, max_length=500, default="",
                                       help_text="An http(s) link")


class ActionItemUpdateSerializer(EditSerializer):
    description = serializers.CharField(required=False, max_length=500)
    owner = serializers.CharField(required=False, max_length=150, help_text="A username")
    due_date = serializers.DateField(required=False, allow_null=True)
    ticket_url = serializers.CharField(required=False, allow_blank=True, max_length=500)
    status = serializers.ChoiceField(choices=ActionItemStatus.choices, required=False)


class ActionItemFilterSerializer(serializers.Serializer):
    owner = serializers.RegexField(r"^[^\x00]*$", required=False, max_length=150, help_text="A username",
                                   error_messages={"invalid": "A username cannot contain NUL characters."})
    overdue = serializers.BooleanField(required=False, allow_null=True, default=None,
                                       error_messages={"invalid": "Use overdue=true or overdue=false."})
    status = serializers.ChoiceField(choices=ActionItemStatus.choices, required=False)


# --- endpoints --------------------------------------------------------------------------------------------------------

def _one(queryset: QuerySet[Any], missing: str, **lookup: Any) -> Any:
    """The row, or a 404 saying what is missing in a sentence (not Django's "No PostMortem matches the query")."""
    try:
        return queryset.get(**lookup)
    except queryset.model.DoesNotExist:
        raise NotFound(missing) from None


def _visible(request, pk: int) -> PostMortem:
    return _one(PostMortem.objects.visible_to(request.user).with_incident(), "No such post-mortem.", pk=pk)


def _data(request, postmortem: PostMortem, code: int = status.HTTP_200_OK) -> Response:
    postmortem = (PostMortem.objects.with_incident().select_related("created_by", "updated_by")
                  .prefetch_related("action_items__owner", "action_items__created_by", "action_items__updated_by")
                  .get(pk=postmortem.pk))
    return Response(PostMortemSerializer(postmortem, context={"today": timezone.localdate()}).data, status=code)


@extend_schema(methods=["GET"], responses=PostMortemSerializer)
@extend_schema(methods=["POST"], request=None, responses={201: PostMortemSerializer, 200: PostMortemSerializer})
@api_view(["GET", "POST"])
@permission_classes([CanWrite])
def incident_postmortem(request, pk: int):
    """POST starts the post-mortem of a resolved incident (201), or answers the one already started (200)."""
    incident = _one(Incident.objects.with_people(), "No such incident.", pk=pk)
    if request.method == "GET":
        return _data(request, _one(PostMortem.objects.visible_to(request.user),
                                   "This incident has no post-mortem you can read yet.", incident=incident))
    postmortem, created = _call(services.postmortem_start, incident=incident, by=request.user)
    return _data(request, postmortem, status.HTTP_201_CREATED if created else status.HTTP_200_OK)


@extend_schema(methods=["GET"], responses=PostMortemSerializer)
@extend_schema(methods=["PATCH"], request=PostMortemUpdateSerializer, responses=PostMortemSerializer)
@api_view(["GET", "PATCH"])
@permission_classes([CanWrite])
def postmortem_detail(request, pk: int):
    """Every section (Markdown and its sanitised HTML), the facts from the incident, the action items.

    PATCH edits sections by name, impact figures, title, service, the Timeline rows and/or `status`; with
    `expected_revision`, a newer save by someone else is a 409. Viewers read published post-mortems only.
    """
    postmortem = _visible(request, pk)
    if request.method == "GET":
        return _data(request, postmortem)
    data = PostMortemUpdateSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    changes: dict[str, Any] = dict(data.validated_data)
    expected = changes.pop("expected_revision", None)
    target = changes.pop("status", None)
    if "timeline" in changes:
        changes["timeline"] = [dict(row) for row in changes["timeline"]]
    with transaction.atomic():
        if changes:
            postmortem = _call(services.postmortem_update, postmortem=postmortem, by=request.user, changes=changes,
                               expected_revision=expected)
            expected = postmortem.revision if expected is not None else None
        if target is not None and target != postmortem.status:
            postmortem = _call(services.postmortem_move, postmortem=postmortem, move=MOVE_FOR_STATUS[target],
                               by=request.user, expected_revision=expected)
    return _data(request, postmortem)


class _Page(PageNumberPagination):
    page_size = 50


@extend_schema(methods=["GET"], responses=ActionItemSerializer(many=True))
@extend_schema(methods=["POST"], request=ActionItemCreateSerializer, responses={201: ActionItemSerializer})
@api_view(["GET", "POST"])
@permission_classes([CanWrite])
def postmortem_action_items(request, pk: int):
    postmortem = _visible(request, pk)
    if request.method == "GET":
        items = postmortem.action_items.select_related("owner", "created_by", "updated_by").oldest_due_first()
        return Response(ActionItemSerializer(items, many=True, context={"today": timezone.localdate()}).data)
    data = ActionItemCreateSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    item = _call(services.action_item_add, postmortem=postmortem, by=request.user, **data.validated_data)
    return Response(ActionItemSerializer(item).data, status=status.HTTP_201_CREATED)


@extend_schema(methods=["GET"], responses=ActionItemSerializer)
@extend_schema(methods=["PATCH"], request=ActionItemUpdateSerializer, responses=ActionItemSerializer)
@api_view(["GET", "PATCH"])
@permission_classes([CanWrite])
def action_item_detail(request, pk: int):
    """PATCH description, owner (a username), due_date, ticket_url, or status open/done."""
    item = _one(ActionItem.objects.visible_to(request.user).select_related("owner"), "No such action item.", pk=pk)
    if request.method == "PATCH":
        data = ActionItemUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = _call(services.action_item_update, item=item, by=request.user, changes=dict(data.validated_data))
    item = ActionItem.objects.select_related("owner", "created_by", "updated_by").get(pk=item.pk)
    return Response(ActionItemSerializer(item).data)


@extend_schema(operation_id="action_items_list",
               parameters=[ActionItemFilterSerializer, OpenApiParameter("page", int, description="From 1")],
               responses=inline_serializer("PaginatedActionItemList", {
                   "count": serializers.IntegerField(), "next": serializers.URLField(allow_null=True),
                   "previous": serializers.URLField(allow_null=True), "results": ActionItemSerializer(many=True)}),
               description="Open action items (or ?status=done), oldest due first. `overdue=true`: open and due "
                           "before today (due today is not overdue).")
@api_view(["GET"])
@permission_classes([CanRead])
def action_items(request):
    filters = ActionItemFilterSerializer(data=request.query_params.dict())
    filters.is_valid(raise_exception=True)
    wanted = filters.validated_data
    today = timezone.localdate()
    items = ActionItem.objects.visible_to(request.user).filter(
        status=wanted.get("status", ActionItemStatus.OPEN)).select_related("owner", "created_by", "updated_by")
    if wanted.get("owner"):
        items = items.filter(owner__username=wanted["owner"].lstrip("@"))
    if wanted.get("overdue") is True:
        items = items.overdue(today)
    elif wanted.get("overdue") is False:
        items = items.exclude(pk__in=ActionItem.objects.overdue(today).values("pk"))
    paginator = _Page()
    page = paginator.paginate_queryset(items.oldest_due_first(), request)
    return paginator.get_paginated_response(ActionItemSerializer(page, many=True, context={"today": today}).data)


