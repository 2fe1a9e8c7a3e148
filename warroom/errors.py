"""What Warroom answers when something goes wrong outside a view's own handling.

Under /api/ every error is JSON in the API's one shape ({"detail", "errors"}); elsewhere it is a page.
Debug pages mask credentials inside URLs as well as the settings Django already hides by name.
"""

import sys

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse, QueryDict
from django.shortcuts import render
from django.template import loader
from django.views.debug import SafeExceptionReporterFilter as _DjangoFilter

from warroom.api import error_body
from warroom.redact import mask_url_credentials


def _is_api(request) -> bool:
    return request.path_info.startswith("/api/")


def answer(request, status: int, template: str, detail: str, context=None):
    if _is_api(request):
        return JsonResponse(error_body(detail), status=status)
    return render(request, template, {"detail": detail, **(context or {})}, status=status)


def bad_request(request, exception=None):
    if isinstance(exception, RequestDataTooBig):  # past DATA_UPLOAD_MAX_MEMORY_SIZE, from a page or the API
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return answer(request, 413, "400.html", f"The request body is larger than the {limit:,} bytes "
                                                 "the server accepts.")
    return answer(request, 400, "400.html", "The request could not be read.")


def permission_denied(request, exception=None):
    """Tell a signed-in person what to ask an admin for: the groups there are and what each allows."""
    detail = str(exception) if exception and str(exception) else "Your role does not allow this."
    if _is_api(request):
        return JsonResponse(error_body(detail), status=403)
    groups = [
        {"name": group.name, "permissions": sorted(p.name for p in group.permissions.all())}
        for group in Group.objects.prefetch_related("permissions").order_by("name")
    ]
    return render(request, "403.html", {"detail": detail, "groups": groups}, status=403)


def page_not_found(request, exception=None):
    if _is_api(request):
        return JsonResponse(error_body(f"Nothing at {request.path}: see /api/docs/ for the API's URLs."), status=404)
    return render(request, "404.html", {"detail": "There is no page here."}, status=404)


DATABASE_DOWN = ("Warroom cannot reach its database right now, so nothing could be read or saved. "
                 "Please retry shortly: Warroom recovers by itself once the database answers.")


def database_unreachable(request) -> HttpResponse:
    """503, not 500: the app is fine and will serve again without a restart once PostgreSQL answers."""
    if _is_api(request):
        response: HttpResponse = JsonResponse(error_body(DATABASE_DOWN), status=503)
    else:
        response = HttpResponse(loader.get_template("503.html").render({"detail": DATABASE_DOWN}), status=503)
    response["Retry-After"] = "10"
    return response


def server_error(request):
    """Rendered without the request's context: whatever broke (the database, a context processor) may break it too."""
    if isinstance(sys.exc_info()[1], OperationalError | InterfaceError):  # Django calls this inside its except
        return database_unreachable(request)
    detail = "Something went wrong on our side; it has been logged. Try again, or tell the Warroom admins."
    if _is_api(request):
        return JsonResponse(error_body(detail), status=500)
    return HttpResponse(loader.get_template("500.html").render({"detail": detail}), status=500)


class SafeExceptionReporterFilter(_DjangoFilter):
    """Django's filter (names with KEY, SECRET, PASS, TOKEN … hidden), plus credentials inside any URL."""

    def mask_urls(self, value):
        if isinstance(value, str):
            return mask_url_credentials(value, mask=self.cleansed_substitute)
        return value

    def cleanse_setting(self, key, value):
        # Used for both settings and request.META; recurses into dicts, lists and tuples by itself.
        return self.mask_urls(super().cleanse_setting(key, value))

    def get_post_parameters(self, request):
        # A form that takes a URL (a target in the admin) may carry its password.
        parameters = super().get_post_parameters(request)
        if not parameters:
            return parameters
        if not isinstance(parameters, QueryDict):  # Django answers request.POST or its copy; the stubs say dict
            return {key: self.mask_urls(value) for key, value in parameters.items()}
        parameters = parameters.copy()
        for key, values in parameters.lists():
            parameters.setlist(key, [self.mask_urls(value) for value in values])
        return parameters

    def get_traceback_frame_variables(self, request, tb_frame):
        # Local variables too: a target's URL, a password in a dict; judged as settings are, by name and by URL.
        variables = super().get_traceback_frame_variables(request, tb_frame)
        return [(name, self.cleanse_setting(name, value)) for name, value in variables]
