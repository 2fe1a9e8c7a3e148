from django.urls import path

from alerts import views

app_name = "alerts"
urlpatterns = [
    path("alerts/", views.alert_list, name="list"),
    path("alerts/<int:pk>/declare/", views.declare, name="declare"),
]
