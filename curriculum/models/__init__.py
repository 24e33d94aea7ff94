from .competencies import Competency, Level, Role, RoleRequirement
from .pages import (
    CourseCatalogPage,
    CourseCompetency,
    CoursePage,
    LessonPage,
    ModulePage,
    ProgrammePage,
)

__all__ = [
    "Competency",
    "CourseCatalogPage",
    "CourseCompetency",
    "CoursePage",
    "LessonPage",
    "Level",
    "ModulePage",
    "ProgrammePage",
    "Role",
    "RoleRequirement",
]
