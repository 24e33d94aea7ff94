from django.urls import path

from . import views

app_name = "people"

urlpatterns = [
    path("", views.directory, name="directory"),
    path("me/", views.me, name="me"),
    path("me/data/", views.personal_data, name="personal_data"),
    path("me/data/export/", views.export_personal_data, name="export_personal_data"),
    path("me/data/delete/", views.delete_account, name="delete_account"),
    path("<int:pk>/", views.profile_detail, name="profile"),
    path("<int:pk>/edit/", views.profile_edit, name="profile_edit"),
]
