from django.urls import path

from postmortems.api import metrics

app_name = "postmortems-api"
urlpatterns = [
    # metrics (h/pm-metrics)
    path("metrics/", metrics.metrics, name="metrics"),
]
