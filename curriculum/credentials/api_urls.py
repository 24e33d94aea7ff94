from django.urls import path

from . import api

urlpatterns = [
    path("api/credentials/verify", api.verify, name="credential_verify_api"),
    path(".well-known/did.json", api.did_document, name="credential_did"),
    path(".well-known/jwks.json", api.jwks, name="credential_jwks"),
    path("credentials/issuer", api.issuer, name="credential_issuer"),
    path("credentials/status/<int:number>", api.status_list, name="credential_status_list"),
    path("credentials/achievements/<slug:slug>", api.achievement, name="credential_achievement"),
    path("credentials/badges/<int:definition_id>.svg", api.badge, name="credential_badge"),
]
