from django.urls import path

from . import views

app_name = "curriculum"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("courses/<int:page_id>/enrol/", views.enrol, name="enrol"),
    path("lessons/<int:page_id>/complete/", views.complete_lesson, name="complete_lesson"),
    path("lessons/<int:page_id>/quiz/", views.start_quiz, name="start_quiz"),
    path("attempts/<int:attempt_id>/", views.attempt, name="attempt"),
    path("runs/<int:run_id>/", views.run, name="run"),
    path("runs/<int:run_id>/join/", views.join_run, name="join_run"),
    path("calendar/", views.calendar, name="calendar"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
    path("xapi/statements/", views.my_statements, name="my_statements"),
    path("xapi/statements/all/", views.all_statements, name="all_statements"),
]
