"""What the curriculum holds about a member (people.privacy): enrolments (with the course run
each belongs to), lesson progress, quiz attempts, attendance at live sessions, the deadline
reminders sent, the runs they facilitate and whether they have a calendar feed (not its secret).
Closing the account deletes them with it (cascading keys); a run they created or attendance they
recorded for others keeps no name (SET_NULL)."""

from people.privacy import PersonalData, register, rows

from .models import (
    Attendance,
    CalendarFeed,
    CourseRun,
    DeadlineReminder,
    Enrolment,
    LessonCompletion,
    QuizAttempt,
)


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
                run_id="run_id",
                run="run__title",
                run_deadline="run__deadline",
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
            "live_session_attendance": rows(
                Attendance.objects.filter(user=user).order_by("session__starts_at"),
                "present",
                "recorded_at",
                run="session__run__title",
                session_starts_at="session__starts_at",
            ),
            "deadline_reminders": rows(
                DeadlineReminder.objects.filter(enrolment__user=user).order_by("sent_at"),
                "days_before",
                "deadline",
                "sent_at",
                run="enrolment__run__title",
            ),
            "runs_facilitated": rows(
                CourseRun.objects.filter(facilitators=user).order_by("starts_on"),
                "title",
                "starts_on",
                "deadline",
            ),
            "calendar_feed_created_at": CalendarFeed.objects.filter(user=user)
            .values_list("created_at", flat=True)
            .first(),
        }
    }


register(PersonalData(export=export, about_people=(Enrolment, LessonCompletion, QuizAttempt)))
