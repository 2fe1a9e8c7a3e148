from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from audit.login import LoginView
from warroom import outbox
from warroom.errors import DATABASE_DOWN


class _PeopleLogIn(APIView):
    """The docs and schema are for people (a session) and for scripts (a token): a browser without either logs in."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated and "HTTP_AUTHORIZATION" not in request.META:
            return auth_views.redirect_to_login(request.get_full_path())
        return super().dispatch(request, *args, **kwargs)

    def handle_exception(self, exc):
        # Errors are JSON like the rest of /api/, not YAML or an HTML template.
        response = super().handle_exception(exc)
        self.request.accepted_renderer, self.request.accepted_media_type = JSONRenderer(), "application/json"
        return response


class SchemaView(_PeopleLogIn, SpectacularAPIView):
    pass


class DocsView(_PeopleLogIn, SpectacularSwaggerSplitView):
    """Its set-up script served at ?script, not inline, and no inline style: the CSP allows neither."""

    template_name = "warroom/api_docs.html"


@login_not_required  # load balancers, without a session: nothing here reads one
def healthz(request):
    """For load balancers: 200 while the database answers, 503 (saying so) when it does not. A broker that is down
    is reported but keeps the 200: pages still serve and work waits in the outbox (docs/operations.md)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        waiting = outbox.waiting()
    except DatabaseError:
        return JsonResponse({"status": "unavailable", "database": "unreachable", "detail": DATABASE_DOWN},
                            status=503, headers={"Retry-After": "10"})
    if waiting:
        return JsonResponse({"status": "degraded", "database": "ok", "workers": "unreachable", "waiting": waiting})
    return JsonResponse({"status": "ok", "database": "ok", "workers": "ok"})


urlpatterns = [
    path("", include("incidents.urls")),
    path("", include("diagnostics.urls")),
    path("", include("mitigations.urls")),
    path("", include("postmortems.urls")),
    path("people/", include("people.urls")),
    path("", include("alerts.urls")),
    path("", include("chat.urls")),
    path("", include("status.urls")),
    path("api/", include("incidents.api_urls")),
    path("api/", include("diagnostics.api_urls")),
    path("api/", include("mitigations.api_urls")),
    path("api/", include("postmortems.api_urls")),
    path("api/", include("people.api_urls")),
    path("api/", include("people.notifications_api_urls")),
    path("api/", include("alerts.api_urls")),
    path("api/", include("status.api_urls")),
    path("api/schema/", SchemaView.as_view(), name="schema"),
    path("api/docs/", DocsView.as_view(url_name="schema"), name="api-docs"),
    path("accounts/login/", LoginView.as_view(), name="login"),  # refuses a locked name or address (audit/lockout.py)
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("", include("audit.urls")),
]

# Under /api/ these answer JSON in the API's error shape; elsewhere a page.
handler400 = "warroom.errors.bad_request"
handler403 = "warroom.errors.permission_denied"
handler404 = "warroom.errors.page_not_found"
handler500 = "warroom.errors.server_error"
