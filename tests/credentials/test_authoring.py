"""Admins define credentials (rules, competencies, alignments) and the issuer in the admin."""

import pytest
from django.urls import reverse
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from curriculum.credentials import openbadges
from curriculum.credentials.models import CredentialDefinition, IssuerSettings
from tests.factories import CompetencyFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(email="admin@example.jp", is_superuser=True, is_staff=True))
    return client


def definition_data(course, competency, rules):
    return nested_form_data(
        {
            "slug": "dx-basics",
            "name_ja": "自治体DX基礎",
            "name_en": "Municipal DX basics",
            "description_ja": "DXの基礎を修めたことを示します。",
            "description_en": "",
            "criteria_ja": "講座を修了し、確認テストで80%以上を取る。",
            "criteria_en": "",
            "validity_days": "730",
            "is_active": "on",
            "rules": inline_formset(rules),
            "competencies": inline_formset([{"competency": competency.pk, "level": 2}]),
            "alignments": inline_formset(
                [
                    {
                        "framework": "dss",
                        "target_name": "ビジネスアーキテクト",
                        "target_code": "",
                        "target_url": "https://www.ipa.go.jp/jinzai/skill-standard/dss/index.html",
                        "target_description": "",
                    }
                ]
            ),
        }
    )


def test_an_admin_defines_a_credential_with_rules_and_alignments(admin_client, course):
    add_url = reverse("wagtailsnippets_credentials_credentialdefinition:add")
    assert admin_client.get(add_url).status_code == 200
    competency = CompetencyFactory(code="C2")
    # A course rule without its course is refused with the field named.
    refused = admin_client.post(
        add_url, definition_data(course, competency, [{"kind": "course", "course": ""}])
    )
    assert refused.status_code == 200
    assert not CredentialDefinition.objects.exists()

    response = admin_client.post(
        add_url,
        definition_data(
            course,
            competency,
            [{"kind": "course", "course": course.pk, "min_score": "", "count": ""}],
        ),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    definition = CredentialDefinition.objects.get(slug="dx-basics")
    assert [(r.kind, r.course_id) for r in definition.rules.all()] == [("course", course.pk)]
    achievement = openbadges.achievement(definition)
    assert [a["targetCode"] for a in achievement["alignment"] if "targetCode" in a] == ["C2-2"]
    assert achievement["alignment"][1]["targetName"] == "ビジネスアーキテクト"


def test_the_issuer_profile_is_a_setting(admin_client, db):
    url = reverse("wagtailsettings:edit", args=["credentials", "issuersettings"])
    assert admin_client.get(url, follow=True).status_code == 200
    issuer = IssuerSettings.load()
    issuer.name_ja = "〇〇県 自治体DX研修センター"
    issuer.email = "dx-center@example.lg.jp"
    issuer.save()
    profile = openbadges.issuer_profile()
    assert profile["name"] == "〇〇県 自治体DX研修センター"
    assert profile["email"] == "dx-center@example.lg.jp"
    assert profile["id"] == "did:web:testserver"


def test_a_new_credential_goes_to_learners_who_already_qualify(
    admin_client, course, django_capture_on_commit_callbacks
):
    from curriculum import progress as learning
    from curriculum.credentials.models import Award
    from curriculum.models import LessonPage

    done, halfway = UserFactory(), UserFactory()
    for user in (done, halfway):
        learning.enrol(user, course)
        learning.complete_lesson(user, LessonPage.objects.get(slug="seven"))
    learning.complete_lesson(done, LessonPage.objects.get(slug="steps"))
    assert not Award.objects.exists()

    add_url = reverse("wagtailsnippets_credentials_credentialdefinition:add")
    rule = {"kind": "course", "course": course.pk, "min_score": "", "count": ""}
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(add_url, definition_data(course, CompetencyFactory(), [rule]))
    assert response.status_code == 302
    assert [a.user for a in Award.objects.all()] == [done]
