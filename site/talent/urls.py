from django.urls import path

from . import candidate_views, need_views, pool_views

app_name = "talent"

urlpatterns = [
    path("", candidate_views.home, name="home"),
    path("profile/", candidate_views.profile_edit, name="profile_edit"),
    path("profile/withdraw/", candidate_views.withdraw, name="withdraw"),
    path("requests/", candidate_views.requests, name="requests"),
    path("requests/<int:pk>/", candidate_views.request_detail, name="request"),
    path("requests/<int:pk>/respond/", candidate_views.respond, name="respond"),
    path("needs/", need_views.needs, name="needs"),
    path("needs/new/", need_views.need_create, name="need_create"),
    path("needs/<int:pk>/", need_views.need_detail, name="need"),
    path("needs/<int:pk>/edit/", need_views.need_edit, name="need_edit"),
    path("needs/<int:pk>/close/", need_views.need_close, name="need_close"),
    path("needs/<int:pk>/matches/", need_views.matches, name="matches"),
    path("needs/<int:pk>/contact/<int:profile_pk>/", need_views.contact, name="contact"),
    path("candidates/<int:pk>/", need_views.candidate, name="candidate"),
    path("pool/", pool_views.pool, name="pool"),
]
