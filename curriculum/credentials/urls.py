from django.urls import path

from . import views

app_name = "credentials"

urlpatterns = [
    path("", views.wallet, name="wallet"),
    path("verify/", views.verify, name="verify"),
    path("framework/", views.framework, name="framework"),
    path("<uuid:award_id>/", views.award, name="award"),
    path("<uuid:award_id>/sharing/", views.sharing, name="sharing"),
    path("<uuid:award_id>/credential.json", views.download_json, name="download_json"),
    path("<uuid:award_id>/credential.jwt", views.download_jwt, name="download_jwt"),
    path("<uuid:award_id>/certificate/", views.certificate, name="certificate"),
]
