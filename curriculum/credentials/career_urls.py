from django.urls import path

from . import career_views

app_name = "career"

urlpatterns = [
    path("", career_views.career_path, name="path"),
]
