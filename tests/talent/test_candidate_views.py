"""The candidate's side of the talent pool: signing up as an outside expert, the talent profile
form (saved whole, or refused without losing what was typed, and limited to the member's own
credentials), leaving the pool, and contact requests whose e-mail addresses appear only once the
candidate accepts."""

import datetime
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core import mail
from django.urls import reverse

from curriculum.credentials import awarding
from curriculum.credentials.models import OrganisationReporter
from people.models import Municipality
from talent.models import (
    CompetencyClaim,
    ContactRequest,
    NeedRequirement,
    TalentNeed,
    TalentProfile,
    TalentRoleClaim,
)
from tests.factories import (
    CompetencyFactory,
    CredentialCompetencyFactory,
    CredentialDefinitionFactory,
    MunicipalityFactory,
    PrefectureFactory,
    UserFactory,
    valid_code,
)

pytestmark = pytest.mark.django_db

PASSWORD = "kasumigaseki-2026-dx"
Status = ContactRequest.Status


# Local helpers (the shared talent factories are written elsewhere) ------------------------------


@pytest.fixture
def ehime():
    prefecture = PrefectureFactory(code="38", name="愛媛県", kana="えひめけん", name_en="Ehime")
    return {
        "prefecture": prefecture,
        "government": MunicipalityFactory(
            prefecture=prefecture,
            code=valid_code("38000"),
            name="愛媛県",
            kind=Municipality.Kind.PREFECTURE,
        ),
        "matsuyama": MunicipalityFactory(
            prefecture=prefecture, code=valid_code("38201"), name="松山市"
        ),
    }


def member(email, municipality=None, name=None, *, expert=False):
    user = UserFactory(email=email)
    profile = user.profile
    profile.display_name = name or email.split("@")[0]
    profile.municipality = municipality
    profile.is_outside_expert = expert
    profile.save()
    return user


def recruiter(email, organisation, name="採用 担当"):
    user = member(email, organisation, name)
    user.user_permissions.add(Permission.objects.get(codename="recruit_talent"))
    OrganisationReporter.objects.create(user=user, municipality=organisation)
    return get_user_model().objects.get(pk=user.pk)  # a fresh permission cache


def talent_profile(user, prefecture, **fields):
    profile = TalentProfile.objects.create(
        user=user,
        is_open=fields.pop("is_open", True),
        background=fields.pop("background", "private"),
        headline=fields.pop("headline", "基幹系の標準化移行をPMとして3件"),
        home_prefecture=prefecture,
        days_per_month=fields.pop("days_per_month", 8),
        **fields,
    )
    profile.pools.add(prefecture)
    return profile


def need(organisation, posted_by, **fields):
    return TalentNeed.objects.create(
        organisation=organisation,
        posted_by=posted_by,
        title=fields.pop("title", "標準化移行のプロジェクトマネージャー"),
        role=fields.pop("role", "project_manager"),
        description="基幹業務システムの標準化移行を進めます。",
        starts_on=fields.pop("starts_on", datetime.date(2027, 4, 1)),
        days_per_month=fields.pop("days_per_month", 4),
        **fields,
    )


def contact(need_, candidate, sender, **fields):
    return ContactRequest.objects.create(
        need=need_, candidate=candidate, sender=sender, message="一度お話を伺えますか。", **fields
    )


def profile_data(prefecture, **overrides):
    return {
        "is_open": "on",
        "background": "private",
        "headline": "自治体クラウドの移行をPMとして担当",
        "summary": "民間SIerで20年、自治体案件を担当しました。",
        "commitment": "part_time",
        "days_per_month": "6",
        "work_mode": "remote",
        "available_from": "",
        "home_prefecture": str(prefecture.pk),
        "pools": [str(prefecture.pk)],
        "roles": ["project_manager", "engineer"],
        **overrides,
    }


# Sign-up ----------------------------------------------------------------------------------------


def test_an_outside_expert_signs_up_without_a_municipality(client):
    response = client.post(
        "/accounts/signup/",
        {
            "email": "expert@example.jp",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "display_name": "外部 専門",
            "member_type": "outside_expert",
            "municipality": "",
        },
    )
    assert response.status_code == 302
    profile = get_user_model().objects.get(email="expert@example.jp").profile
    assert profile.is_outside_expert
    assert profile.municipality is None


def test_local_government_staff_still_name_their_municipality(client):
    response = client.post(
        "/accounts/signup/",
        {
            "email": "staff@example.jp",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "display_name": "職員 太郎",
            "member_type": "staff",
        },
    )
    assert response.status_code == 200
    assert "municipality" in response.context["form"].errors
    assert not get_user_model().objects.filter(email="staff@example.jp").exists()


def test_the_outside_expert_marker_on_the_profile(client):
    expert = member("expert@example.jp", expert=True)
    client.force_login(expert)
    response = client.get(reverse("people:profile", args=[expert.profile.pk]))
    assert "Outside expert" in response.content.decode() or "外部専門家" in (
        response.content.decode()
    )


# The talent profile form --------------------------------------------------------------------------


def test_creating_a_talent_profile_saves_everything(client, ehime):
    c1 = CompetencyFactory(code="C1", name_ja="DX戦略", name_en="DX strategy")
    c2 = CompetencyFactory(code="C2", name_ja="調達", name_en="Procurement")
    definition = CredentialDefinitionFactory(name_ja="PM認定", name_en="PM credential")
    CredentialCompetencyFactory(definition=definition, competency=c1, level=3)
    expert = member("expert@example.jp", expert=True)
    award = awarding.award_manually(expert, definition, awarded_by=None, reason="テスト")
    client.force_login(expert)

    page = client.get(reverse("talent:profile_edit"))
    assert page.status_code == 200
    html = page.content.decode()
    assert page.context["form"]["background"].value() == "private"  # an outside expert
    assert '<option value="private" selected>' in html
    assert "PM認定" in html  # the credential that proves C1, next to it
    assert f'name="level_{c1.pk}"' in html

    response = client.post(
        reverse("talent:profile_edit"),
        profile_data(
            ehime["prefecture"],
            shown_awards=[str(award.pk)],
            **{f"level_{c1.pk}": "2", f"level_{c2.pk}": ""},
        ),
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("talent:home")
    profile = TalentProfile.objects.get(user=expert)
    assert profile.is_open
    assert profile.days_per_month == 6
    assert list(profile.pools.all()) == [ehime["prefecture"]]
    assert set(TalentRoleClaim.objects.filter(profile=profile).values_list("role", flat=True)) == {
        "project_manager",
        "engineer",
    }
    assert list(
        CompetencyClaim.objects.filter(profile=profile).values_list("competency", "level")
    ) == [(c1.pk, 2)]
    assert list(profile.shown_awards.all()) == [award]

    # Editing: a role and a level dropped, full time without days.
    response = client.post(
        reverse("talent:profile_edit"),
        profile_data(
            ehime["prefecture"],
            commitment="full_time",
            days_per_month="",
            roles=["producer"],
            **{f"level_{c1.pk}": "", f"level_{c2.pk}": "4"},
        ),
    )
    assert response.status_code == 302
    profile.refresh_from_db()
    assert profile.days_per_month is None
    assert list(profile.roles.values_list("role", flat=True)) == ["producer"]
    assert list(profile.claims.values_list("competency", "level")) == [(c2.pk, 4)]
    assert not profile.shown_awards.exists()


def test_a_form_error_keeps_what_was_typed_and_saves_nothing(client, ehime):
    c1 = CompetencyFactory(code="C1")
    user = member("staff@example.jp", ehime["matsuyama"])
    client.force_login(user)
    response = client.post(
        reverse("talent:profile_edit"),
        profile_data(
            ehime["prefecture"],
            days_per_month="",  # part time needs days
            headline="住民向けサービスの設計をしてきました",
            summary="窓口のBPRを5年",
            **{f"level_{c1.pk}": "3"},
        ),
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "days_per_month" in form.errors
    html = response.content.decode()
    assert "住民向けサービスの設計をしてきました" in html
    assert "窓口のBPRを5年" in html
    assert 'value="3" selected' in html
    assert re.search(r'value="engineer"[^>]*checked', html)
    assert not TalentProfile.objects.filter(user=user).exists()


def test_no_pool_is_an_error(client, ehime):
    user = member("staff@example.jp", ehime["matsuyama"])
    client.force_login(user)
    response = client.post(
        reverse("talent:profile_edit"), profile_data(ehime["prefecture"], pools=[])
    )
    assert response.status_code == 200
    assert "pools" in response.context["form"].errors


def test_someone_elses_credential_cannot_be_shown(client, ehime):
    definition = CredentialDefinitionFactory()
    other = member("other@example.jp")
    theirs = awarding.award_manually(other, definition, awarded_by=None, reason="テスト")
    user = member("staff@example.jp", ehime["matsuyama"])
    client.force_login(user)
    response = client.post(
        reverse("talent:profile_edit"),
        profile_data(ehime["prefecture"], shown_awards=[str(theirs.pk)]),
    )
    assert response.status_code == 200
    assert "shown_awards" in response.context["form"].errors
    assert not TalentProfile.objects.filter(user=user).exists()
    # A nonsense identifier is an error too, never a server error.
    response = client.post(
        reverse("talent:profile_edit"),
        profile_data(ehime["prefecture"], shown_answers=["x"], home_prefecture="999999"),
    )
    assert response.status_code == 200
    assert {"shown_answers", "home_prefecture"} <= set(response.context["form"].errors)


def test_the_pages_need_a_sign_in(client):
    for name in ["talent:home", "talent:profile_edit", "talent:requests"]:
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


# Home -------------------------------------------------------------------------------------------


def test_home_shows_the_needs_that_fit_and_the_pending_requests(client, ehime):
    staff = recruiter("hr@example.jp", ehime["matsuyama"])
    competency = CompetencyFactory(code="C1")
    wanted = need(ehime["matsuyama"], staff, title="RPA導入の伴走")
    NeedRequirement.objects.create(need=wanted, competency=competency, level=2)
    candidate = member("expert@example.jp", expert=True)
    talent_profile(candidate, ehime["prefecture"])
    contact(wanted, candidate, staff)
    client.force_login(candidate)
    response = client.get(reverse("talent:home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "RPA導入の伴走" in html
    assert reverse("talent:need", args=[wanted.pk]) in html
    assert 'class="fit-reasons"' in html
    assert response.context["pending"] == 1
    assert reverse("talent:need_create") not in html  # not a recruiter

    client.force_login(staff)
    html = client.get(reverse("talent:home")).content.decode()
    assert reverse("talent:need_create") in html
    assert reverse("talent:pool") not in html  # a city, not the prefecture


# Leaving the pool -------------------------------------------------------------------------------


def test_withdrawing_deletes_the_profile_and_closes_pending_requests(client, ehime):
    staff = recruiter("hr@example.jp", ehime["matsuyama"])
    candidate = member("expert@example.jp", expert=True)
    profile = talent_profile(candidate, ehime["prefecture"])
    TalentRoleClaim.objects.create(profile=profile, role="engineer")
    CompetencyClaim.objects.create(profile=profile, competency=CompetencyFactory(), level=2)
    pending = contact(need(ehime["matsuyama"], staff), candidate, staff)
    accepted = contact(need(ehime["matsuyama"], staff), candidate, staff, status=Status.ACCEPTED)
    client.force_login(candidate)

    assert client.get(reverse("talent:withdraw")).status_code == 405
    response = client.post(reverse("talent:withdraw"))
    assert response.status_code == 302
    assert response["Location"] == reverse("talent:home")
    assert not TalentProfile.objects.filter(user=candidate).exists()
    assert not TalentRoleClaim.objects.exists()
    assert not CompetencyClaim.objects.exists()
    pending.refresh_from_db()
    accepted.refresh_from_db()
    assert pending.status == Status.WITHDRAWN
    assert accepted.status == Status.ACCEPTED


# Contact requests -------------------------------------------------------------------------------


@pytest.fixture
def request_between(ehime):
    staff = recruiter("hr@matsuyama.example.jp", ehime["matsuyama"], name="松山 人事")
    candidate = member("expert@private.example.jp", name="外部 専門", expert=True)
    talent_profile(candidate, ehime["prefecture"])
    return contact(need(ehime["matsuyama"], staff), candidate, staff)


def test_addresses_are_shown_only_after_the_candidate_accepts(
    client, request_between, django_capture_on_commit_callbacks
):
    contact_request = request_between
    url = reverse("talent:request", args=[contact_request.pk])
    candidate, staff = contact_request.candidate, contact_request.sender

    client.force_login(candidate)
    html = client.get(url).content.decode()
    assert "一度お話を伺えますか。" in html
    assert "hr@matsuyama.example.jp" not in html
    assert "松山 人事" not in html
    assert reverse("talent:respond", args=[contact_request.pk]) in html

    client.force_login(staff)
    html = client.get(url).content.decode()
    assert "expert@private.example.jp" not in html
    assert "外部 専門" in html
    assert reverse("talent:respond", args=[contact_request.pk]) not in html

    client.force_login(candidate)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("talent:respond", args=[contact_request.pk]), {"decision": "accept"}
        )
    assert response.status_code == 302
    assert response["Location"] == url
    contact_request.refresh_from_db()
    assert contact_request.status == Status.ACCEPTED
    assert contact_request.responded_at is not None
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["hr@matsuyama.example.jp"]
    assert f"http://testserver{url}" in mail.outbox[0].body
    assert "expert@private.example.jp" not in mail.outbox[0].body

    html = client.get(url).content.decode()
    assert "hr@matsuyama.example.jp" in html
    assert "松山 人事" in html
    assert "松山市" in html

    client.force_login(staff)
    html = client.get(url).content.decode()
    assert "expert@private.example.jp" in html

    # Answered once: a second answer changes nothing.
    client.force_login(candidate)
    client.post(reverse("talent:respond", args=[contact_request.pk]), {"decision": "decline"})
    contact_request.refresh_from_db()
    assert contact_request.status == Status.ACCEPTED


def test_declining_shows_no_address(client, request_between, django_capture_on_commit_callbacks):
    contact_request = request_between
    client.force_login(contact_request.candidate)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("talent:respond", args=[contact_request.pk]), {"decision": "decline"})
    contact_request.refresh_from_db()
    assert contact_request.status == Status.DECLINED
    assert mail.outbox == []
    client.force_login(contact_request.sender)
    html = client.get(reverse("talent:request", args=[contact_request.pk])).content.decode()
    assert "expert@private.example.jp" not in html


def test_an_odd_decision_is_a_message_not_an_error(client, request_between):
    contact_request = request_between
    client.force_login(contact_request.candidate)
    response = client.post(
        reverse("talent:respond", args=[contact_request.pk]), {"decision": "maybe"}
    )
    assert response.status_code == 302
    contact_request.refresh_from_db()
    assert contact_request.status == Status.PENDING


def test_strangers_neither_see_nor_answer_a_request(client, ehime, request_between):
    contact_request = request_between
    detail = reverse("talent:request", args=[contact_request.pk])
    respond = reverse("talent:respond", args=[contact_request.pk])
    other_prefecture = PrefectureFactory(
        code="27", name="大阪府", kana="おおさかふ", name_en="Osaka"
    )
    strangers = [
        member("someone@example.jp"),
        recruiter("hr@suita.example.jp", MunicipalityFactory(prefecture=other_prefecture)),
    ]
    for stranger in strangers:
        client.force_login(stranger)
        assert client.get(detail).status_code == 404
        assert client.post(respond, {"decision": "accept"}).status_code == 404
    # The recruiter who sent it sees it but cannot answer for the candidate.
    client.force_login(contact_request.sender)
    assert client.post(respond, {"decision": "accept"}).status_code == 404
    # The prefectural government manages the need of its municipality.
    client.force_login(recruiter("hr@pref.example.jp", ehime["government"]))
    assert client.get(detail).status_code == 200
    contact_request.refresh_from_db()
    assert contact_request.status == Status.PENDING
    assert client.get(respond).status_code == 405
    client.logout()
    assert client.get(detail).status_code == 302


def test_request_lists(client, ehime, request_between):
    contact_request = request_between
    client.force_login(contact_request.candidate)
    html = client.get(reverse("talent:requests")).content.decode()
    assert contact_request.need.title in html
    assert "松山市" in html

    client.force_login(contact_request.sender)
    response = client.get(reverse("talent:requests"))
    assert [c.pk for c in response.context["sent"]] == [contact_request.pk]
    assert "外部 専門" in response.content.decode()

    client.force_login(member("someone@example.jp"))
    response = client.get(reverse("talent:requests"))
    assert response.context["received"] == []
    assert contact_request.need.title not in response.content.decode()


def test_query_counts_do_not_grow_with_needs_and_requests(client, ehime):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    staff = recruiter("hr@example.jp", ehime["matsuyama"])
    competency = CompetencyFactory(code="C1")
    candidate = member("expert@example.jp", expert=True)
    talent_profile(candidate, ehime["prefecture"])

    def add(n):
        for i in range(TalentNeed.objects.count(), TalentNeed.objects.count() + n):
            posted = need(ehime["matsuyama"], staff, title=f"募集{i}")
            NeedRequirement.objects.create(need=posted, competency=competency, level=2)
            contact(posted, candidate, staff)

    def counts():
        found = []
        for user in (candidate, staff):
            client.force_login(user)
            for name in ("talent:home", "talent:requests"):
                with CaptureQueriesContext(connection) as queries:
                    assert client.get(reverse(name)).status_code == 200
                found.append(len(queries))
        return found

    add(1)
    few = counts()
    add(4)
    assert counts() == few
