import pytest

from tests.factories import (
    CompetencyFactory,
    CourseCatalogPageFactory,
    CoursePageFactory,
    LessonPageFactory,
    ModulePageFactory,
    ProgrammePageFactory,
    RoleFactory,
)


@pytest.fixture
def course(home_page):
    """A course in a programme in the catalogue: two modules, three lessons (one optional)."""
    from curriculum.models import CourseCompetency

    catalogue = CourseCatalogPageFactory(parent=home_page)
    programme = ProgrammePageFactory(parent=catalogue, title="CIO育成プログラム", slug="cio")
    course = CoursePageFactory(
        parent=programme, title="自治体DXとガバナンス", slug="k1-dx-governance", code="K1"
    )
    course.target_roles.set([RoleFactory(code="R4", name_ja="CIO補佐官", name_en="CIO adviser")])
    course.save()
    CourseCompetency.objects.create(
        page=course, competency=CompetencyFactory(code="C1", name_ja="DX戦略・計画立案"), level=3
    )
    first = ModulePageFactory(parent=course, title="DX推進計画", slug="module-1")
    second = ModulePageFactory(parent=course, title="推進体制", slug="module-2")
    LessonPageFactory(parent=first, title="7つの重点取組", slug="seven", estimated_minutes=20)
    LessonPageFactory(parent=first, title="全体手順書", slug="steps", estimated_minutes=25)
    LessonPageFactory(
        parent=second,
        title="参考: 他団体の体制",
        slug="reading",
        estimated_minutes=10,
        required=False,
    )
    return course
