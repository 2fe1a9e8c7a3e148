from django.urls import path

from postmortems.views import metrics

app_name = "postmortems"
urlpatterns = [
    # metrics (h/pm-metrics)
    path("postmortems/metrics/", metrics.metrics, name="metrics"),
]
