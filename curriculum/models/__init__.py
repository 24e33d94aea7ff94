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

__all__ = [
    "Choice",
    "Competency",
    "CourseCatalogPage",
    "CourseCompetency",
    "CoursePage",
    "Enrolment",
    "LessonCompletion",
    "LessonPage",
    "Level",
    "ModulePage",
    "ProgrammePage",
    "Quiz",
    "QuizAttempt",
    "QuizItem",
    "QuizQuestion",
    "Role",
    "RoleRequirement",
]
