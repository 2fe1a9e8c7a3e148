from django.urls import path

from diagnostics import views

app_name = "diagnostics"
urlpatterns = [
    path("incidents/<int:pk>/runs/", views.run_check, name="run"),
    path("incidents/<int:pk>/triage/", views.triage, name="triage"),
    path("incidents/<int:pk>/playbooks/<slug:slug>/", views.playbook, name="playbook"),
    path("incidents/<int:pk>/watches/", views.watch_start, name="watch_start"),
    path("incidents/<int:pk>/watches/<int:watch_pk>/cancel/", views.watch_cancel, name="watch_cancel"),
]
