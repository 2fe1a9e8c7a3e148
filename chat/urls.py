from django.urls import path

from chat import views

app_name = "chat"
urlpatterns = [
    path("incidents/<int:pk>/slack/retry/", views.retry, name="retry"),
    path("incidents/<int:pk>/slack/summary/", views.summary, name="summary"),
    # Slack's side: authenticated by the request signature, never by a session.
    path("slack/commands/", views.slash_command, name="command"),
    path("slack/interactivity/", views.interactivity, name="interactivity"),
]
