from django.urls import path

from people import api

app_name = "people-api"
urlpatterns = [
    path("contacts/", api.contacts, name="contacts"),
    path("oncall/", api.oncall, name="oncall"),
    path("escalation/", api.escalation, name="escalation"),
]
