from django.urls import path

from alerts import api

app_name = "alerts-api"
urlpatterns = [
    path("alerts/alertmanager/", api.alertmanager, name="alertmanager"),
    path("alerts/grafana/", api.grafana, name="grafana"),
]
