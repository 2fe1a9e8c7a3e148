"""The project's URLs plus one open view: tests/test_authentication.py must report it."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.urls import path

from warroom.urls import urlpatterns as project


@login_not_required
def forgot(request, pk):
    return HttpResponse("anyone may read this")


urlpatterns = [*project, path("forgot-to-protect/<int:pk>/", forgot, name="open")]
