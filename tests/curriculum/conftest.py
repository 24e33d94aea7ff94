import pytest

from people.models import Municipality
from tests.factories import (
    CompetencyFactory,
    CourseCatalogPageFactory,
    CoursePageFactory,
    CourseRunFactory,
    LessonPageFactory,
    ModulePageFactory,
    MunicipalityFactory,
    PrefectureFactory,
    ProgrammePageFactory,
    RoleFactory,
    UserFactory,
    valid_code,
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


# Course runs -----------------------------------------------------------------------------------


@pytest.fixture
def hiroshima(db):
    """広島県 (its government, kind 都道府県), 府中町, 広島市 and its ward 中区; 大阪府 吹田市."""
    prefecture = PrefectureFactory(
        code="34", name="広島県", kana="ひろしまけん", name_en="Hiroshima"
    )
    osaka = PrefectureFactory(code="27", name="大阪府", kana="おおさかふ", name_en="Osaka")
    kind = Municipality.Kind
    city = MunicipalityFactory(
        prefecture=prefecture, code=valid_code("34100"), name="広島市", kind=kind.DESIGNATED_CITY
    )
    return {
        "prefecture": prefecture,
        "government": MunicipalityFactory(
            prefecture=prefecture, code=valid_code("34000"), name="広島県", kind=kind.PREFECTURE
        ),
        "fuchu": MunicipalityFactory(
            prefecture=prefecture, code=valid_code("34302"), name="府中町", kind=kind.TOWN
        ),
        "city": city,
        "ward": MunicipalityFactory(
            prefecture=prefecture,
            code=valid_code("34101"),
            name="中区",
            kind=kind.WARD,
            parent=city,
        ),
        "osaka": osaka,
        "suita": MunicipalityFactory(prefecture=osaka, code=valid_code("27205"), name="吹田市"),
    }


@pytest.fixture
def member():
    """A member working for a municipality: member("a@example.jp", municipality, name=...)."""

    def make(email, municipality=None, name="", **fields):
        user = UserFactory(email=email, **fields)
        profile = user.profile
        profile.municipality = municipality
        profile.display_name = name or email.split("@")[0]
        profile.save()
        return user

    return make


@pytest.fixture
def prefecture_run(course, hiroshima):
    """広島県's run of the course: open, deadline in three weeks, 10 places."""
    return CourseRunFactory(
        course=course,
        owner=hiroshima["government"],
        title="広島県 CIO補佐官 育成研修 令和8年度",
        capacity=10,
    )
