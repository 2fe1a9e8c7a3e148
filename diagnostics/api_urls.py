from django.urls import path

from diagnostics import api

app_name = "diagnostics-api"
urlpatterns = [
    path("targets/", api.targets, name="targets"),
    path("checks/", api.checks, name="checks"),
    path("playbooks/", api.playbooks, name="playbooks"),
    path("incidents/<int:pk>/runs/", api.incident_runs, name="incident-runs"),
    path("incidents/<int:pk>/triage/", api.triage, name="triage"),
    path("incidents/<int:pk>/playbooks/<slug:slug>/", api.run_playbook, name="playbook"),
    path("runs/<int:pk>/", api.run_detail, name="run-detail"),
    path("incidents/<int:pk>/memory-watches/", api.incident_memory_watches, name="incident-memory-watches"),
]
