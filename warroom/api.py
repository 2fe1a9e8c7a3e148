"""One shape for every API error: {"detail": "<a sentence a person can read>", "errors": {<field>: [<message>…]}}.

`errors` is empty when the error is not about particular fields (403, 404, 405, 409, 413 …).
"""

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


def _as_lists(errors):
    """Field errors are always lists of messages, as DRF's own are: {"severity": ["…"]}."""
    if isinstance(errors, dict):
        return {field: _as_lists(value) if isinstance(value, dict | list) else [value]
                for field, value in errors.items()}
    return errors


def error_body(detail: str, errors=None) -> dict:
    return {"detail": detail, "errors": errors or {}}


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    response = drf_exception_handler(exc, context)
    if response is None:
        # Django's handlers answer, in the same shape: a body too large (413), a bug (500).
        return None
    data = response.data
    if isinstance(data, dict) and set(data) == {"detail"}:
        body = error_body(str(data["detail"]))
    elif isinstance(data, dict):
        body = error_body(_sentence(data), _as_lists(data))
    else:  # a bare list of messages: not about any one field
        body = error_body(_sentence(data), {"non_field_errors": data})
    return Response(body, status=response.status_code, headers=dict(response.headers))
