from django.urls import path

from mitigations import views

app_name = "mitigations"
urlpatterns = [
    path("incidents/<int:pk>/mitigations/", views.request_mitigation, name="request"),
    path("incidents/<int:pk>/mitigations/<int:mitigation_pk>/approve/", views.approve, name="approve"),
    path("incidents/<int:pk>/mitigations/<int:mitigation_pk>/confirm/", views.confirm, name="confirm"),
    path("incidents/<int:pk>/mitigations/<int:mitigation_pk>/cancel/", views.cancel, name="cancel"),
]
