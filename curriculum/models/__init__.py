from .competencies import Competency, Level, Role, RoleRequirement
from .pages import (
    CourseCatalogPage,
    CourseCompetency,
    CoursePage,
    LessonPage,
    ModulePage,
    ProgrammePage,
)
from .progress import Enrolment, LessonCompletion
from .quizzes import Choice, Quiz, QuizAttempt, QuizItem, QuizQuestion
from .runs import Attendance, CalendarFeed, CourseRun, DeadlineReminder, LiveSession

__all__ = [
    "Attendance",
    "CalendarFeed",
    "Choice",
    "Competency",
    "CourseCatalogPage",
    "CourseCompetency",
    "CoursePage",
    "CourseRun",
    "DeadlineReminder",
    "Enrolment",
    "LessonCompletion",
    "LessonPage",
    "Level",
    "LiveSession",
    "ModulePage",
    "ProgrammePage",
    "Quiz",
    "QuizAttempt",
    "QuizItem",
    "QuizQuestion",
    "Role",
    "RoleRequirement",
]
