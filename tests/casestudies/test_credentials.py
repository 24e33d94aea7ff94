"""Published case studies earn the credentials that count them, and the career path points to
case studies on the areas a learner still has to build."""

import pytest
from django.urls import reverse

from casestudies.models import CaseStudyPage
from curriculum.careers import paths
from curriculum.credentials import rules
from curriculum.credentials.models import Award
from curriculum.models import CourseCompetency
from people.models import Profile
from tests.factories import (
    CompetencyFactory,
    CourseCatalogPageFactory,
    CoursePageFactory,
    CredentialDefinitionFactory,
    CredentialRuleFactory,
    MunicipalityFactory,
    ProgrammePageFactory,
    RoleFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def author():
    return UserFactory(email="author@example.jp")


def draft(case_index, author, title):
    case = CaseStudyPage(
        title=title,
        slug=f"case-{CaseStudyPage.objects.count() + 1}",
        municipality=MunicipalityFactory(),
        summary="概要",
        problem="課題",
        approach="取組",
        live=False,
    )
    case.authors = [author]
    case_index.add_child(instance=case)
    return case


def case_studies_to_read(competencies):
    """The case library's reading source, as registered when the app starts (not imported
    here, so that registering it is what is tested)."""
    (source,) = [s for s in paths.reading_sources() if s.__module__ == "casestudies.credentials"]
    return source(competencies)


def test_the_case_library_registers_its_counter_and_reading():
    assert rules.has_counter("case_studies")
    assert [s.__module__ for s in paths.reading_sources()] == ["casestudies.credentials"]


def test_publishing_the_second_case_earns_the_contributor_credential(case_index, author):
    definition = CredentialDefinitionFactory(slug="case-study-contributor")
    CredentialRuleFactory(definition=definition, kind="case_studies", count=2)

    draft(case_index, author, "窓口のキャッシュレス化").save_revision().publish()
    assert not Award.objects.exists()
    second = draft(case_index, author, "AI-OCRで申請書を読み取り")
    second.save_revision().publish()

    award = Award.objects.get()
    assert (award.user, award.definition, award.method) == (author, definition, "auto")
    assert [e["name"] for e in award.evidence] == [
        "公開した事例: 窓口のキャッシュレス化",
        "公開した事例: AI-OCRで申請書を読み取り",
    ]
    assert award.evidence[1]["url"] == second.url


def test_drafts_and_other_peoples_cases_do_not_count(case_index, author):
    draft(case_index, author, "下書きのまま")
    draft(case_index, UserFactory(), "他の人の事例").save_revision().publish()
    assert rules._counters["case_studies"](author) == []


def test_the_career_plan_points_to_case_studies_on_the_courses_topics(
    client, case_index, make_case, topics
):
    area = CompetencyFactory(code="C9", name_ja="自動化・AI活用")
    other = CompetencyFactory(code="C7", name_ja="情報セキュリティ")
    catalogue = CourseCatalogPageFactory(parent=case_index.get_parent())
    programme = ProgrammePageFactory(parent=catalogue)
    course = CoursePageFactory(parent=programme, code="K3", slug="k3")
    course.topics.set([topics["rpa"]])
    course.save_revision().publish()
    CourseCompetency.objects.create(page=course, competency=area, level=2)
    role = RoleFactory(code="R3")
    role.requirements.create(competency=area, level=2)
    role.requirements.create(competency=other, level=1)
    role.save()
    many_hours = make_case(
        title="RPAで年間1,000時間",
        topics=[topics["rpa"]],
        metrics=[{"kind": "hours_saved", "value": 1000}],
    )
    make_case(
        title="RPAで年間10時間",
        topics=[topics["rpa"]],
        metrics=[{"kind": "hours_saved", "value": 10}],
    )
    make_case(title="チャットボットの導入", topics=[topics["chatbot"]])
    member = UserFactory()
    Profile.objects.filter(user=member).update(target_role=role)

    readings = case_studies_to_read([area, other])
    assert [r.title for r in readings[area.pk]] == ["RPAで年間1,000時間", "RPAで年間10時間"]
    assert other.pk not in readings

    client.force_login(member)
    page = client.get(reverse("career:path")).content.decode()
    assert f'href="{many_hours.url}"' in page
