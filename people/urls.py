from django.urls import path

from people import views

app_name = "people"
urlpatterns = [
    path("contacts/", views.contacts, name="contacts"),
    path("escalation/", views.escalation, name="escalation"),
    path("contacts/calendar-token/", views.calendar_token, name="calendar_token"),
    path("calendar/<int:user_pk>/<str:token>/rotations/<int:pk>.ics", views.rotation_ics, name="rotation_ics"),
    path("calendar/<int:user_pk>/<str:token>/contacts/<int:pk>.ics", views.contact_ics, name="contact_ics"),
]
