from django.urls import path

from postmortems.api import reading

app_name = "postmortems-api"
urlpatterns = [
    # reading (h/pm-read)
    path("postmortems/", reading.PostMortemListView.as_view(), name="list"),
]
