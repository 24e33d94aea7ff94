from django.urls import path

from . import views

app_name = "people"

urlpatterns = [
    path("", views.directory, name="directory"),
    path("me/", views.me, name="me"),
    path("<int:pk>/", views.profile_detail, name="profile"),
    path("<int:pk>/edit/", views.profile_edit, name="profile_edit"),
]
