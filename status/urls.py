from django.urls import path

from status import views

app_name = "status"
urlpatterns = [
    path("status/", views.page, name="page"),
    path("status/api/v2/summary.json", views.summary, name="summary"),
    path("status/history.atom", views.history_atom, name="history_atom"),
    path("incidents/<int:pk>/status-page/", views.update, name="update"),
]
