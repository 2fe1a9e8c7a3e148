from django.urls import path
from rest_framework.routers import DefaultRouter

from incidents.api import IncidentViewSet, SeverityViewSet, entry_star

app_name = "api"
router = DefaultRouter()
router.register("severities", SeverityViewSet, basename="severity")
router.register("incidents", IncidentViewSet, basename="incident")
urlpatterns = [
    *router.urls,
    path("incidents/<int:pk>/entries/<int:entry_pk>/star/", entry_star, name="incident-entry-star"),
]
