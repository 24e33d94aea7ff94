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

__all__ = [
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
    "Role",
    "RoleRequirement",
]
