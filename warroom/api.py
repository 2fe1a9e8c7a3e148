"""One shape for every API error: {"detail": "<a sentence a person can read>", "errors": {...}}."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "That conflicts with the current state."
    default_code = "conflict"


def _sentence(errors) -> str:
    if isinstance(errors, dict):
        parts = []
        for field, value in errors.items():
            text = _sentence(value)
            parts.append(text if field in ("non_field_errors", "__all__") else f"{field}: {text}")
        return " ".join(parts)
    if isinstance(errors, list):
        return " ".join(_sentence(e) for e in errors)
    return str(errors)


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(data, dict) and set(data) == {"detail"}:
        return response
    body = {"detail": _sentence(data), "errors": data}
    return Response(body, status=response.status_code, headers=dict(response.headers))
