from django.urls import path

from postmortems.views import metrics, reading, writing

app_name = "postmortems"
urlpatterns = [
    # metrics (h/pm-metrics)
    path("postmortems/metrics/", metrics.metrics, name="metrics"),
    # writing (h/pm-write)
    path("incidents/<int:pk>/postmortem/", writing.start, name="start"),
    path("postmortems/<int:pk>/edit/", writing.edit, name="edit"),
    path("postmortems/<int:pk>/preview/", writing.preview, name="preview"),
    path("postmortems/<int:pk>/status/", writing.status, name="status"),
    path("postmortems/<int:pk>/action-items/", writing.action_item_add, name="action_item_add"),
    path("postmortems/<int:pk>/action-items/<int:item_pk>/", writing.action_item_edit, name="action_item_edit"),
    path("postmortems/<int:pk>/revisions/", writing.revisions, name="revisions"),
    path("postmortems/<int:pk>/revisions/<int:number>/", writing.revision, name="revision"),
    path("action-items/mine/", writing.my_action_items, name="my_action_items"),
    path("action-items/", writing.open_action_items, name="action_items"),
    # reading (h/pm-read)
    path("postmortems/", reading.library, name="library"),
    path("postmortems/<int:pk>/", reading.detail, name="detail"),
    path("postmortems/<int:pk>/export.md", reading.export_markdown, name="export"),
]
