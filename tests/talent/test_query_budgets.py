"""The talent pool's pages read a fixed number of queries whatever the number of candidates,
needs or requests: the same page is measured with few and with many, and the counts must be
equal (and under a budget)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from people.models import Municipality
from talent.models import ContactRequest
from tests.factories import (
    CompetencyFactory,
    MunicipalityFactory,
    PrefectureFactory,
    TalentNeedFactory,
    TalentProfileFactory,
    competency_award,
    recruiter,
)

pytestmark = pytest.mark.django_db

BUDGET = 40


@pytest.fixture
def pool(db):
    ehime = PrefectureFactory(code="38", name="愛媛県", kana="えひめけん", name_en="Ehime")
    government = MunicipalityFactory(
        prefecture=ehime, name="愛媛県", kind=Municipality.Kind.PREFECTURE
    )
    town = MunicipalityFactory(prefecture=ehime, name="八幡浜市")
    c2 = CompetencyFactory(code="C2", name_ja="BPR", name_en="BPR")
    c5 = CompetencyFactory(code="C5", name_ja="PM", name_en="PM")
    need = TalentNeedFactory(organisation=town, requirements={c2: 2, c5: 3})
    staff = recruiter(town, email="staff@example.jp")
    prefecture_staff = recruiter(government, email="pref@example.jp")

    def add_candidates(count):
        for _ in range(count):
            profile = TalentProfileFactory(
                home_prefecture=ehime, roles=["project_manager"], claims={c5: 3}
            )
            award = competency_award(profile.user, {c2: 2})
            profile.shown_awards.add(award)
            ContactRequest.objects.create(
                need=need, candidate=profile.user, sender=staff, message="お話を伺えますか。"
            )

    def add_needs(count):
        for _ in range(count):
            TalentNeedFactory(organisation=town, requirements={c2: 2})

    return {
        "need": need,
        "staff": staff,
        "prefecture_staff": prefecture_staff,
        "add_candidates": add_candidates,
        "add_needs": add_needs,
    }


def _queries(client, user, url) -> int:
    client.force_login(user)
    client.get(url)  # warm what is cached per process (content types, sessions)
    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


@pytest.mark.parametrize(
    "page, viewer",
    [
        ("matches", "staff"),
        ("need", "staff"),
        ("needs", "staff"),
        ("requests", "staff"),
        ("pool", "prefecture_staff"),
    ],
)
def test_recruiter_pages_do_not_grow_with_the_candidates(client, pool, page, viewer):
    need = pool["need"]
    url = {
        "matches": reverse("talent:matches", args=[need.pk]),
        "need": reverse("talent:need", args=[need.pk]),
        "needs": reverse("talent:needs"),
        "requests": reverse("talent:requests"),
        "pool": reverse("talent:pool"),
    }[page]
    pool["add_candidates"](3)
    pool["add_needs"](2)
    few = _queries(client, pool[viewer], url)
    pool["add_candidates"](12)
    pool["add_needs"](10)
    many = _queries(client, pool[viewer], url)
    assert few == many, f"{page}: {few} queries with 3 candidates, {many} with 15"
    assert many <= BUDGET


def test_a_candidates_pages_do_not_grow_with_the_needs(client, pool):
    pool["add_candidates"](1)
    from talent.models import TalentProfile

    profile = TalentProfile.objects.get()
    for name, args in [("talent:home", []), ("talent:candidate", [profile.pk])]:
        url = reverse(name, args=args)
        pool["add_needs"](2)
        few = _queries(client, profile.user, url)
        pool["add_needs"](10)
        many = _queries(client, profile.user, url)
        assert few == many, f"{name}: {few} queries with 3 needs, {many} with 13"
        assert many <= BUDGET
