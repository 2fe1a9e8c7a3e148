from rest_framework.routers import DefaultRouter

from incidents.api import IncidentViewSet, SeverityViewSet

app_name = "api"
router = DefaultRouter()
router.register("severities", SeverityViewSet, basename="severity")
router.register("incidents", IncidentViewSet, basename="incident")
urlpatterns = router.urls
