from django.urls import path

from . import views

app_name = "casestudies"

urlpatterns = [
    path("mine/", views.my_cases, name="mine"),
    path("new/", views.edit, name="new"),
    path("<int:page_id>/edit/<slug:step>/", views.edit, name="edit"),
    path("<int:page_id>/submit/", views.submit, name="submit"),
    path("<int:page_id>/preview/", views.preview, name="preview"),
    path("<int:page_id>/did-this-too/", views.replicate, name="replicate"),
    path("markdown-preview/", views.markdown_preview, name="markdown_preview"),
]
