from django.urls import path

from incidents import views

app_name = "incidents"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("live/", views.dashboard_live, name="dashboard_live"),
    path("live/stream/", views.dashboard_stream, name="dashboard_stream"),
    path("incidents/history/", views.history, name="history"),
    path("incidents/declare/", views.declare, name="declare"),
    path("incidents/<int:pk>/", views.detail, name="detail"),
    path("incidents/<int:pk>/live/", views.detail_live, name="detail_live"),
    path("incidents/<int:pk>/live/stream/", views.detail_stream, name="detail_stream"),
    path("incidents/<int:pk>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("incidents/<int:pk>/transition/", views.transition, name="transition"),
    path("incidents/<int:pk>/severity/", views.change_severity, name="severity"),
    path("incidents/<int:pk>/roles/", views.assign_role, name="roles"),
    path("incidents/<int:pk>/details/", views.edit_details, name="details"),
    path("incidents/<int:pk>/timeline/", views.add_note, name="timeline"),
    path("incidents/<int:pk>/entries/<int:entry_pk>/star/", views.star, name="star"),
]
