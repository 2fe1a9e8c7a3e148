from django.urls import path

from people import notifications_api

app_name = "notifications-api"
urlpatterns = [
    path("incidents/<int:pk>/notifications/", notifications_api.incident_notifications, name="incident-notifications"),
]
