"""What the curriculum holds about a member (people.privacy): enrolments, lesson progress and
quiz attempts. Closing the account deletes them with it (cascading keys)."""

from people.privacy import PersonalData, register, rows

from .models import Enrolment, LessonCompletion, QuizAttempt


def export(user) -> dict:
    return {
        "learning": {
            "enrolments": rows(
                Enrolment.objects.filter(user=user).order_by("enrolled_at"),
                "source",
                "enrolled_at",
                "completed_at",
                "last_activity_at",
                course_id="course_id",
                course="course__title",
                last_lesson="last_lesson__title",
            ),
            "lesson_progress": rows(
                LessonCompletion.objects.filter(user=user).order_by("completed_at"),
                "via",
                "completed_at",
                lesson_id="lesson_id",
                lesson="lesson__title",
            ),
            "quiz_attempts": rows(
                QuizAttempt.objects.filter(user=user).order_by("started_at"),
                "served",
                "answers",
                "results",
                "score",
                "passed",
                "started_at",
                "submitted_at",
                quiz="quiz__title",
                lesson="lesson__title",
            ),
        }
    }


register(PersonalData(export=export, about_people=(Enrolment, LessonCompletion, QuizAttempt)))
