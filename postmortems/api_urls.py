from django.urls import path

from postmortems.api import metrics, reading, writing

app_name = "postmortems-api"
urlpatterns = [
    # metrics (h/pm-metrics)
    path("metrics/", metrics.metrics, name="metrics"),
    # writing (h/pm-write)
    path("incidents/<int:pk>/postmortem/", writing.incident_postmortem, name="incident-postmortem"),
    path("postmortems/<int:pk>/", writing.postmortem_detail, name="detail"),
    path("postmortems/<int:pk>/action-items/", writing.postmortem_action_items, name="action-items"),
    path("action-items/", writing.action_items, name="action-item-list"),
    path("action-items/<int:pk>/", writing.action_item_detail, name="action-item"),
    # reading (h/pm-read)
    path("postmortems/", reading.PostMortemListView.as_view(), name="list"),
]
