from django.urls import path

from status import api

app_name = "status-api"
urlpatterns = [
    path("external-services/", api.external_services, name="external-services"),
    path("incidents/<int:pk>/status-updates/", api.status_updates, name="incident-status-updates"),
]
