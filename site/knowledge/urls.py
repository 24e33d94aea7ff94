from django.urls import path

from . import feeds, views

app_name = "knowledge"

urlpatterns = [
    path("", views.question_list, name="list"),
    path("feed/", feeds.atom_feed, name="feed"),
    path("topics/<str:slug>/feed/", feeds.atom_feed, name="topic_feed"),
    path("ask/", views.ask, name="ask"),
    path("similar/", views.similar, name="similar"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<int:pk>/", views.open_notification, name="open_notification"),
    path("settings/", views.notification_settings, name="settings"),
    path("<int:pk>/", views.question_detail, name="question"),
    path("<int:pk>/answer/", views.post_answer, name="answer"),
    path("<int:pk>/close/", views.close, name="close"),
    path("<int:pk>/reopen/", views.reopen, name="reopen"),
    path("answers/<int:pk>/", views.answer_link, name="answer_link"),
    path("answers/<int:pk>/accept/", views.accept, name="accept"),
    path("comments/<int:pk>/", views.comment_link, name="comment_link"),
    path("<str:kind>/<int:pk>/vote/", views.vote, name="vote"),
    path("<str:kind>/<int:pk>/comment/", views.post_comment, name="comment"),
    path("<str:kind>/<int:pk>/comments/", views.post_comments, name="comments"),
    path("<str:kind>/<int:pk>/edit/", views.edit, name="edit"),
    path("<str:kind>/<int:pk>/revisions/", views.revisions, name="revisions"),
    path("<str:kind>/<int:pk>/flag/", views.flag, name="flag"),
    path("follow/<str:kind>/<str:key>/", views.subscribe, name="subscribe"),
]
