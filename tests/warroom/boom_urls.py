"""Warroom's URLs plus views that fail, for tests of what a failure looks like (used via ROOT_URLCONF)."""

from django.urls import path
from rest_framework.decorators import api_view
from rest_framework.exceptions import ValidationError

from warroom.urls import handler400, handler403, handler404, handler500
from warroom.urls import urlpatterns as warroom_urlpatterns

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


def boom(request):
    target_url = request.POST.get("target", "")  # a local variable the debug page must mask
    raise RuntimeError(f"checking {len(target_url)} characters failed")


@api_view(["GET"])
def api_boom(request):
    raise RuntimeError("a bug in an API view")


@api_view(["GET"])
def api_refuses(request):
    raise ValidationError({"target": "No target called prod-db."})  # a string, as other apps' views raise them


def database_gone(request):
    from django.db import OperationalError

    raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")


urlpatterns = [
    path("database-gone/", database_gone),
    path("api/refuses/", api_refuses),
    path("boom/", boom),
    path("api/boom/", boom),
    path("api/drf-boom/", api_boom),
    *warroom_urlpatterns,
]
