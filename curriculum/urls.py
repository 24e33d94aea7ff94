from django.urls import path

from . import views

app_name = "curriculum"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("courses/<int:page_id>/enrol/", views.enrol, name="enrol"),
    path("lessons/<int:page_id>/complete/", views.complete_lesson, name="complete_lesson"),
    path("lessons/<int:page_id>/quiz/", views.start_quiz, name="start_quiz"),
    path("attempts/<int:attempt_id>/", views.attempt, name="attempt"),
]
