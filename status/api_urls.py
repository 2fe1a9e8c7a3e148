from django.urls import path

from status import api

app_name = "status-api"
urlpatterns = [
    path("external-services/", api.external_services, name="external-services"),
]
