from django.urls import path

from postmortems.views import reading

app_name = "postmortems"
urlpatterns = [
    # reading (h/pm-read)
    path("postmortems/", reading.library, name="library"),
    path("postmortems/<int:pk>/", reading.detail, name="detail"),
    path("postmortems/<int:pk>/export.md", reading.export_markdown, name="export"),
]
