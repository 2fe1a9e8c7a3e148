"""The webhooks Alertmanager and Grafana post to. For machines: each source's bearer token, nothing else.

No session (so no CSRF): a person signed in to Warroom is not a source. The view validates, stores in one
transaction and answers; anything slow (notifications) happens on the workers after the commit.
"""

from django.contrib.auth.models import AnonymousUser
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.decorators import api_view, authentication_classes, parser_classes, permission_classes
from rest_framework.parsers import JSONParser
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from alerts import services
from alerts.models import AlertSource
from alerts.payloads import parse


class SourceTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer <token>`, as Alertmanager's `http_config.authorization` and Grafana's webhook send it."""

    keyword = b"bearer"

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header:
            return None  # no credentials: the permission below answers 401
        if header[0].lower() != self.keyword or len(header) != 2:
            raise exceptions.AuthenticationFailed("Send the source's token as 'Authorization: Bearer <token>'.")
        try:
            token = header[1].decode()
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("The token is not valid.") from None
        source = services.source_for_token(token)
        if source is None:
            raise exceptions.AuthenticationFailed("The token is not valid.")
        return (AnonymousUser(), source)  # the source is no person: request.auth carries it

    def authenticate_header(self, request):
        return 'Bearer realm="warroom-alerts"'


class SourceTokenScheme(OpenApiAuthenticationExtension):
    """How the API docs describe the sources' token."""

    target_class = "alerts.api.SourceTokenAuthentication"
    name = "alertSourceToken"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(header_name="Authorization", token_prefix="Bearer")


class WebhookJSONParser(JSONParser):
    """DRF's JSON parser, answering a body nested too deep for Python's parser with a 400 too (not a 500)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError("JSON parse error - nested too deeply.") from None


class IsAlertSource(BasePermission):
    message = "Send the source's token as 'Authorization: Bearer <token>' (create one: manage.py alert_source NAME)."

    def has_permission(self, request, view):
        if request.method not in ("POST", "OPTIONS"):
            return True  # a method the endpoint lacks: DRF's 405, whoever asks
        return isinstance(request.auth, AlertSource)


def _receive(request, *, grafana: bool) -> Response:
    delivery = parse(request.data, grafana=grafana)  # a ValidationError → 400 naming each wrong field
    receipt = services.alerts_receive(source=request.auth, delivery=delivery)  # one transaction
    return Response(receipt.as_dict())


_BODY = {"application/json": {"type": "object"}}
_RESPONSES = {200: OpenApiResponse(description="What was stored: new, updated, resolved, unchanged"),
              400: OpenApiResponse(description="Malformed: the errors name each field; nothing stored"),
              401: OpenApiResponse(description="No token, or not a source's"),
              413: OpenApiResponse(description="The body is over the server's limit")}


@extend_schema(operation_id="alerts_alertmanager", request=_BODY, responses=_RESPONSES)
@api_view(["POST"])
@authentication_classes([SourceTokenAuthentication])
@permission_classes([IsAlertSource])
@parser_classes([WebhookJSONParser])
def alertmanager(request):
    """Alertmanager's webhook (version 4)."""
    return _receive(request, grafana=False)


@extend_schema(operation_id="alerts_grafana", request=_BODY, responses=_RESPONSES)
@api_view(["POST"])
@authentication_classes([SourceTokenAuthentication])
@permission_classes([IsAlertSource])
@parser_classes([WebhookJSONParser])
def grafana(request):
    """Grafana unified alerting's webhook contact point."""
    return _receive(request, grafana=True)
