"""What the talent pool keeps about a member, in their personal-data export and when they close
their account (people.privacy, talent/personal_data.py)."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.core.serializers.json import DjangoJSONEncoder

from people import privacy
from talent.models import (
    CompetencyClaim,
    ContactRequest,
    TalentNeed,
    TalentProfile,
    TalentRoleClaim,
)
from tests.factories import (
    CompetencyFactory,
    ContactRequestFactory,
    MunicipalityFactory,
    PrefectureFactory,
    TalentNeedFactory,
    TalentProfileFactory,
    UserFactory,
    competency_award,
    recruiter,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    ehime = PrefectureFactory(code="38", name="愛媛県", kana="えひめけん", name_en="Ehime")
    hiroshima = PrefectureFactory(
        code="34", name="広島県", kana="ひろしまけん", name_en="Hiroshima"
    )
    town = MunicipalityFactory(prefecture=ehime, code="382043", name="八幡浜市")
    c1 = CompetencyFactory(code="C1", name_ja="DX戦略・計画立案")
    candidate = UserFactory(email="candidate@example.jp")
    profile = TalentProfileFactory(
        user=candidate,
        headline="元 情報政策課長。DX推進計画の策定を支援",
        summary="市役所で情報政策課長を務めました。",
        home_prefecture=ehime,
        pools=[ehime, hiroshima],
        roles=["producer"],
        claims={c1: 3},
    )
    award = competency_award(candidate, {c1: 3})
    profile.shown_awards.add(award)
    staff = recruiter(town, email="staff@example.jp")
    need = TalentNeedFactory(organisation=town, posted_by=staff, title="CIO補佐官の募集")
    received = ContactRequestFactory(
        need=need, candidate=candidate, sender=staff, message="一度お話を伺えますか。"
    )
    return {
        "candidate": candidate,
        "profile": profile,
        "award": award,
        "staff": staff,
        "need": need,
        "received": received,
    }


def exported(user):
    # Through JSON as the download is, so that every value is one it can write.
    data = privacy.export_personal_data(user)
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False))["talent_pool"]


def test_the_export_holds_the_talent_profile_and_the_requests_received(world):
    data = exported(world["candidate"])
    profile = data["profile"]
    assert profile["listed"] is True
    assert profile["headline"] == "元 情報政策課長。DX推進計画の策定を支援"
    assert profile["experience"] == "市役所で情報政策課長を務めました。"
    assert (profile["availability"], profile["days_per_month"], profile["work_mode"]) == (
        "part_time",
        4,
        "either",
    )
    assert profile["based_in"] == "愛媛県"
    assert profile["pools"] == ["広島県", "愛媛県"]  # by prefecture code
    assert profile["roles"] == ["producer"]
    assert profile["declared_levels"] == [{"level": 3, "competency": "C1"}]
    assert profile["credentials_shown"] == [str(world["award"].uuid)]
    (request,) = data["contact_requests_received"]
    assert request["message"] == "一度お話を伺えますか。"
    assert (request["status"], request["need"], request["organisation"]) == (
        "pending",
        "CIO補佐官の募集",
        "八幡浜市",
    )
    assert data["contact_requests_sent"] == [] and data["needs_posted"] == []


def test_the_export_of_a_recruiter_holds_what_they_wrote(world):
    data = exported(world["staff"])
    assert data["profile"] is None
    assert [r["need"] for r in data["contact_requests_sent"]] == ["CIO補佐官の募集"]
    assert [(n["title"], n["organisation"]) for n in data["needs_posted"]] == [
        ("CIO補佐官の募集", "八幡浜市")
    ]
    assert data["contact_requests_received"] == []


def test_closing_the_candidates_account_removes_the_profile_and_the_requests(world):
    profile = world["profile"]
    privacy.delete_account(world["candidate"])
    assert not TalentProfile.objects.filter(pk=profile.pk).exists()
    assert not TalentRoleClaim.objects.filter(profile_id=profile.pk).exists()
    assert not CompetencyClaim.objects.filter(profile_id=profile.pk).exists()
    assert not TalentProfile.shown_awards.through.objects.filter(
        talentprofile_id=profile.pk
    ).exists()
    assert not ContactRequest.objects.filter(pk=world["received"].pk).exists()
    # The organisation's need stays.
    assert TalentNeed.objects.filter(pk=world["need"].pk).exists()


def test_closing_the_recruiters_account_keeps_the_organisations_needs(world):
    privacy.delete_account(world["staff"])
    assert not get_user_model().objects.filter(email="staff@example.jp").exists()
    need = TalentNeed.objects.get(pk=world["need"].pk)
    assert need.posted_by is None and need.organisation.name == "八幡浜市"
    # The request the candidate received stays theirs, from a former member.
    request = ContactRequest.objects.get(pk=world["received"].pk)
    assert request.sender is None and request.candidate == world["candidate"]
