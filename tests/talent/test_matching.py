"""The ranking of talent.matching on a small pool with a known order: each step of the order in
the module's docstring decides between two neighbours of the list written out below."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.dates import today
from curriculum.credentials import awarding
from talent.matching import REGION_AWAY, REGION_LOCAL, REGION_REMOTE, needs_for, rank_candidates
from talent.models import TalentNeed, TalentProfile
from tests.factories import (
    CompetencyFactory,
    CredentialCompetencyFactory,
    CredentialDefinitionFactory,
    MunicipalityFactory,
    PrefectureFactory,
    TalentNeedFactory,
    TalentProfileFactory,
    UserFactory,
    competency_award,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def ehime(db):
    return PrefectureFactory(code="38", name="愛媛県", kana="えひめけん", name_en="Ehime")


@pytest.fixture
def tokyo(db):
    return PrefectureFactory(code="13", name="東京都", kana="とうきょうと", name_en="Tokyo")


@pytest.fixture
def c1(db):
    return CompetencyFactory(code="C1", name_ja="DX戦略・計画立案")


@pytest.fixture
def c2(db):
    return CompetencyFactory(code="C2", name_ja="BPR・業務可視化")


@pytest.fixture
def need(ehime, c1, c2):
    """八幡浜市 asks a project manager for C1 and C2 at level 2, 4 days a month, remote or on
    site, a month from now."""
    town = MunicipalityFactory(prefecture=ehime, name="八幡浜市", code="382043")
    return TalentNeedFactory(
        organisation=town,
        role="project_manager",
        work_mode="either",
        days_per_month=4,
        requirements={c1: 2, c2: 2},
    )


def candidate(name, pool, *, proven=None, **kwargs):
    """A candidate in `pool`, with a credential proving `proven` levels, shown."""
    profile = TalentProfileFactory(
        user=UserFactory(email=f"{name}@example.jp"), headline=name, pools=[pool], **kwargs
    )
    if proven:
        profile.shown_awards.add(competency_award(profile.user, proven))
    return profile


def headlines(fits):
    return [fit.profile.headline for fit in fits]


def test_candidates_come_in_the_documented_order(need, ehime, tokyo, c1, c2):
    # Created in an order unlike the expected one, so that joining first decides nothing here.
    candidate("declared-high", ehime, home_prefecture=tokyo, claims={c1: 4, c2: 4})
    candidate("away-busy", ehime, proven={c1: 2}, home_prefecture=tokyo, work_mode="on_site",
              days_per_month=2, roles=["project_manager"])  # fmt: skip
    candidate("away-free", ehime, proven={c1: 2}, home_prefecture=tokyo, work_mode="on_site")
    candidate("remote", ehime, proven={c1: 2}, home_prefecture=tokyo, work_mode="remote")
    candidate("local-engineer", ehime, proven={c1: 2}, home_prefecture=ehime, roles=["engineer"])
    candidate("local-pm", ehime, proven={c1: 2}, home_prefecture=ehime, roles=["project_manager"])
    candidate("verified-and-declared", ehime, proven={c1: 2}, home_prefecture=tokyo,
              work_mode="on_site", days_per_month=1, claims={c2: 1})  # fmt: skip

    fits = rank_candidates(need, TalentProfile.objects.in_pool(ehime.pk))

    assert headlines(fits) == [
        # 1. Verified first; 2. among equal verified levels, the declared ones (C2 1, the
        #    others none), whatever else.
        "verified-and-declared",
        # 3. Region: based in the need's prefecture ...
        # 5. ... and there, the role the need is for breaks the tie.
        "local-pm",
        "local-engineer",
        # 3. ... then elsewhere, both remote-able; then elsewhere, the work needing presence.
        "remote",
        # 4. Availability: enough days a month first.
        "away-free",
        "away-busy",
        # 1. Declared levels above the asked ones never beat one verified level.
        "declared-high",
    ]
    by_name = {fit.profile.headline: fit for fit in fits}
    top = by_name["verified-and-declared"]
    assert (top.verified_score, top.declared_score) == (2, 3)
    assert [r.status for r in top.requirements] == ["verified", "partial"]
    assert top.requirements[0].proof == [top.profile.shown_awards.get().definition.name_ja]
    high = by_name["declared-high"]
    assert (high.verified_score, high.declared_score) == (0, 4)
    assert [r.status for r in high.requirements] == ["declared", "declared"]
    assert [by_name[n].region for n in ("local-pm", "remote", "away-free")] == [
        REGION_LOCAL,
        REGION_REMOTE,
        REGION_AWAY,
    ]
    assert (by_name["away-free"].availability, by_name["away-busy"].availability) == (3, 2)
    assert not by_name["away-busy"].days
    assert (by_name["local-pm"].role, by_name["local-engineer"].role) == (True, False)


def test_remaining_ties_go_to_who_joined_first(need, ehime):
    first = candidate("first", ehime)
    second = candidate("second", ehime)
    TalentProfile.objects.filter(pk=second.pk).update(
        created_at=first.created_at - datetime.timedelta(days=1)
    )
    fits = rank_candidates(need, TalentProfile.objects.in_pool(ehime.pk))
    assert headlines(fits) == ["second", "first"]


def test_not_yet_free_at_the_start_counts_against_availability(need, ehime):
    later = candidate("later", ehime, available_from=need.starts_on + datetime.timedelta(days=1))
    candidate("on-time", ehime, available_from=need.starts_on)
    fits = rank_candidates(need, TalentProfile.objects.in_pool(ehime.pk))
    assert headlines(fits) == ["on-time", "later"]
    assert not fits[1].start and fits[1].profile == later


def test_only_standing_shown_own_credentials_count_as_verified(need, ehime, c1):
    """A revoked or expired credential, one the candidate did not choose to show, and someone
    else's credential put among theirs all leave the level self-declared at best."""
    definition = CredentialDefinitionFactory(name_ja="自治体DXガバナンス")
    CredentialCompetencyFactory(definition=definition, competency=c1, level=3)

    def holder(name, *, show=True):
        profile = candidate(name, ehime, claims={c1: 2})
        award = awarding.award_manually(profile.user, definition, awarded_by=None, reason="x")
        if show:
            profile.shown_awards.add(award)
        return profile, award

    holder("standing")
    _profile, revoked = holder("revoked")
    awarding.revoke(revoked, by=None, reason="誤って発行したため")
    _profile, expired = holder("expired")
    type(expired).objects.filter(pk=expired.pk).update(
        expires_at=timezone.now() - datetime.timedelta(days=1)
    )
    holder("not-shown", show=False)
    borrower = candidate("borrower", ehime, claims={c1: 2})
    lender = UserFactory()
    borrower.shown_awards.add(
        awarding.award_manually(lender, definition, awarded_by=None, reason="x")
    )

    fits = {f.profile.headline: f for f in rank_candidates(need, TalentProfile.objects.open())}
    assert fits["standing"].verified_score == 2
    assert fits["standing"].requirements[0].proven == 3
    assert fits["standing"].requirements[0].status == "verified"
    for name in ("revoked", "expired", "not-shown", "borrower"):
        fit = fits[name]
        assert (fit.verified_score, fit.declared_score) == (0, 2), name
        assert fit.requirements[0].status == "declared", name
        assert fit.requirements[0].proof == [], name


def test_ranking_reads_the_same_number_of_queries_for_3_and_30_candidates(need, ehime, c1, c2):
    definition = CredentialDefinitionFactory()
    CredentialCompetencyFactory(definition=definition, competency=c1, level=2)

    def add(count):
        for _n in range(count):
            profile = TalentProfileFactory(
                pools=[ehime], roles=["engineer", "project_manager"], claims={c1: 1, c2: 2}
            )
            profile.shown_awards.add(
                awarding.award_manually(profile.user, definition, awarded_by=None, reason="x")
            )

    def measure():
        need_again = TalentNeed.objects.select_related("organisation").get(pk=need.pk)
        with CaptureQueriesContext(connection) as captured:
            fits = rank_candidates(need_again, TalentProfile.objects.in_pool(ehime.pk))
            # What a match list shows of each.
            shown = [
                (f.profile.user.profile.display_name, f.profile.home_prefecture.name) for f in fits
            ]
        return len(shown), len(captured.captured_queries)

    add(3)
    few, few_queries = measure()
    add(27)
    many, many_queries = measure()
    assert (few, many) == (3, 30)
    assert many_queries == few_queries


# Needs for a candidate -------------------------------------------------------------------------


def test_needs_for_orders_the_needs_of_the_candidates_pools(ehime, tokyo, c1, c2):
    town = MunicipalityFactory(prefecture=ehime, name="西予市", code="382141")
    elsewhere = MunicipalityFactory(prefecture=tokyo, name="八王子市", code="132012")
    profile = candidate("me", ehime, proven={c1: 2}, claims={c2: 2})
    start = today() + datetime.timedelta(days=30)

    def post(title, organisation=town, **kwargs):
        return TalentNeedFactory(title=title, organisation=organisation, **kwargs)

    post("half-proven", requirements={c1: 4}, starts_on=start)
    post("declared-only", requirements={c2: 2}, starts_on=start)
    post("proven-later", requirements={c1: 2}, starts_on=start + datetime.timedelta(days=9))
    post("proven-sooner", requirements={c1: 2}, starts_on=start)
    post("not-my-pool", organisation=elsewhere, requirements={c1: 2}, starts_on=start)
    post("closed", requirements={c1: 2}, starts_on=start, status=TalentNeed.Status.FILLED)

    fits = needs_for(profile, TalentNeed.objects.all())
    # The share of what each asks that is proven, then declared; equal fits by start date.
    assert [fit.need.title for fit in fits] == [
        "proven-sooner",
        "proven-later",
        "half-proven",
        "declared-only",
    ]
    # The candidate's pools decide, not the queryset alone: joining Tokyo's brings its need.
    profile.pools.add(tokyo)
    titles = [fit.need.title for fit in needs_for(profile, TalentNeed.objects.all())]
    assert "not-my-pool" in titles and "closed" not in titles


def test_needs_for_reads_the_same_number_of_queries_for_2_and_12_needs(ehime, c1, c2):
    town = MunicipalityFactory(prefecture=ehime, name="西予市", code="382141")
    profile = candidate("me", ehime, proven={c1: 2}, claims={c2: 2}, roles=["engineer"])

    def add(count):
        for n in range(count):
            TalentNeedFactory(organisation=town, requirements={c1: 2 + n % 2, c2: 1})

    def measure():
        with CaptureQueriesContext(connection) as captured:
            fits = needs_for(profile, TalentNeed.objects.open())
            shown = [
                (
                    f.need.organisation.prefecture.name,
                    [r.requirement.competency.name_ja for r in f.requirements],
                )
                for f in fits
            ]
        return len(shown), len(captured.captured_queries)

    add(2)
    few, few_queries = measure()
    add(10)
    many, many_queries = measure()
    assert (few, many) == (2, 12)
    assert many_queries == few_queries
