"""The OpenAPI schema says every answer an endpoint can give: its own, and the API's errors in their one shape.

Each view documents its successes; the refusals every view shares (400, 401, 403, 404, 409, 413) are added here
once, from what the operation takes, so no view repeats them and none forgets one. A view that documents a code
itself keeps its own description.
"""

from drf_spectacular.openapi import AutoSchema as _AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """`warroom.api.error_body`: a sentence, and each wrong field's messages (empty when no one field is wrong)."""

    detail = serializers.CharField(help_text="What went wrong, in a sentence a person can read.")
    errors = serializers.DictField(  # type: ignore[assignment]  # the body's key; shadows Serializer.errors, unused here
        child=serializers.JSONField(),
        help_text='Each wrong field\'s messages, {"title": ["…"]}; nested for nested input ({"alerts": {"3": …}}).')


_WRITES = {"POST", "PUT", "PATCH", "DELETE"}
_ERRORS = {
    "400": "Bad input: the errors name each wrong field or parameter; nothing is stored.",
    "401": "No credentials, or credentials that are not valid.",
    "403": "The role signed in does not allow this.",
    "404": "Nothing with that id, or nothing this person may see.",
    "409": "The incident's (or the record's) current state refuses it: the detail says why; nothing is stored.",
    "413": "The body is over the server's limit (DATA_UPLOAD_MAX_MEMORY_SIZE); nothing is stored.",
}


class AutoSchema(_AutoSchema):
    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        if isinstance(field, serializers.TimeField):
            # A wall-clock time in some time zone ("09:00:00"): OpenAPI's "time" format is RFC 3339's, with an offset.
            return {"type": "string", "pattern": r"^\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$", "example": "09:00:00"}
        return super()._map_serializer_field(field, direction, bypass_extensions)

    def _error_codes(self) -> list[str]:
        codes = ["401", "403"]
        if self.method in _WRITES or self._get_parameters():
            codes.append("400")  # a bad body, or a bad filter or page number
        if "{" in self.path:
            codes.append("404")
        if self.method in _WRITES:
            codes += ["409", "413"]
        return codes

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code in self._error_codes():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(response=ErrorSerializer, description=_ERRORS[code]), code, direction=direction)
        return dict(sorted(responses.items()))
