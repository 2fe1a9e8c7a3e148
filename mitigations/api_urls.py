from django.urls import path

from mitigations import api

app_name = "mitigations-api"
urlpatterns = [
    path("incidents/<int:pk>/mitigations/", api.incident_mitigations, name="incident-mitigations"),
    path("mitigations/<int:pk>/", api.mitigation_detail, name="detail"),
    path("mitigations/<int:pk>/approve/", api.approve, name="approve"),
    path("mitigations/<int:pk>/confirm/", api.confirm, name="confirm"),
    path("mitigations/<int:pk>/cancel/", api.cancel, name="cancel"),
]
