"""The rules of talent.access: who is a recruiter, whose candidates they see, which needs they
manage or see the matches of, and which needs members read."""

import pytest
from django.contrib.auth.models import AnonymousUser

from people.models import Municipality
from talent.access import (
    Recruiter,
    can_manage,
    can_see_candidate,
    can_see_matches,
    candidates_for,
    needs_managed_by,
    needs_readable_by,
    recruiter_for,
)
from talent.models import TalentNeed
from tests.factories import (
    MunicipalityFactory,
    PrefectureFactory,
    TalentNeedFactory,
    TalentProfileFactory,
    UserFactory,
    recruiter,
)

pytestmark = pytest.mark.django_db

PREFECTURE = Municipality.Kind.PREFECTURE


@pytest.fixture
def places(db):
    """愛媛県 (its government, 八幡浜市, 西予市) and 広島県 (its government, 府中町)."""
    ehime = PrefectureFactory(code="38", name="愛媛県", kana="えひめけん", name_en="Ehime")
    hiroshima = PrefectureFactory(
        code="34", name="広島県", kana="ひろしまけん", name_en="Hiroshima"
    )
    return {
        "ehime": ehime,
        "hiroshima": hiroshima,
        "ehime_gov": MunicipalityFactory(
            prefecture=ehime, code="380008", name="愛媛県", kind=PREFECTURE
        ),
        "yawatahama": MunicipalityFactory(prefecture=ehime, code="382043", name="八幡浜市"),
        "seiyo": MunicipalityFactory(prefecture=ehime, code="382141", name="西予市"),
        "hiroshima_gov": MunicipalityFactory(
            prefecture=hiroshima, code="340006", name="広島県", kind=PREFECTURE
        ),
        "fuchu": MunicipalityFactory(
            prefecture=hiroshima, code="343021", name="府中町", kind=Municipality.Kind.TOWN
        ),
    }


def as_recruiter(organisation, **kwargs):
    return recruiter_for(recruiter(organisation, **kwargs))


# recruiter_for --------------------------------------------------------------------------------


def test_a_recruiter_has_the_permission_and_an_assigned_organisation(places):
    found = as_recruiter(places["yawatahama"])
    assert found == Recruiter(organisation=places["yawatahama"])
    assert found.can_post and not found.is_prefectural and not found.everything
    assert found.prefecture_id == places["ehime"].pk
    assert as_recruiter(places["ehime_gov"]).is_prefectural


def test_who_is_not_a_recruiter(places):
    from curriculum.credentials.models import OrganisationReporter

    assert recruiter_for(AnonymousUser()) is None
    # An organisation without the permission (e.g. organisation reports only).
    reporter = UserFactory()
    OrganisationReporter.objects.create(user=reporter, municipality=places["yawatahama"])
    assert recruiter_for(reporter) is None
    # The permission without an organisation; the profile's municipality does not count.
    unassigned = recruiter(places["seiyo"])
    OrganisationReporter.objects.filter(user=unassigned).delete()
    unassigned.profile.municipality = places["seiyo"]
    unassigned.profile.save()
    assert recruiter_for(unassigned) is None
    # Both, but the account is deactivated.
    inactive = recruiter(places["seiyo"], is_active=False)
    assert recruiter_for(inactive) is None


def test_a_superuser_sees_everything_and_posts_only_with_an_organisation(places):
    admin = UserFactory(is_superuser=True, is_staff=True)
    found = recruiter_for(admin)
    assert found.everything and found.organisation is None and not found.can_post
    from curriculum.credentials.models import OrganisationReporter

    OrganisationReporter.objects.create(user=admin, municipality=places["seiyo"])
    found = recruiter_for(admin)
    assert found.everything and found.organisation == places["seiyo"] and found.can_post
    inactive = UserFactory(is_superuser=True, is_active=False)
    assert recruiter_for(inactive) is None


# Candidates ------------------------------------------------------------------------------------


def test_a_recruiter_sees_the_open_profiles_of_their_prefectures_pool(places):
    ehime, hiroshima = places["ehime"], places["hiroshima"]
    in_pool = TalentProfileFactory(pools=[ehime], home_prefecture=hiroshima)
    both = TalentProfileFactory(pools=[ehime, hiroshima])
    TalentProfileFactory(pools=[ehime], is_open=False)  # left the pool
    TalentProfileFactory(pools=[ehime], user=UserFactory(is_active=False))
    hiroshima_only = TalentProfileFactory(pools=[hiroshima], home_prefecture=ehime)

    town = as_recruiter(places["yawatahama"])
    assert set(candidates_for(town)) == {in_pool, both}
    assert set(candidates_for(as_recruiter(places["ehime_gov"]))) == {in_pool, both}
    # Naming another prefecture changes nothing for a recruiter.
    assert set(candidates_for(town, prefecture_id=hiroshima.pk)) == {in_pool, both}
    assert set(candidates_for(as_recruiter(places["fuchu"]))) == {both, hiroshima_only}
    assert can_see_candidate(town, in_pool)
    assert not can_see_candidate(town, hiroshima_only)
    assert not candidates_for(None).exists()
    assert not can_see_candidate(None, in_pool)

    admin = recruiter_for(UserFactory(is_superuser=True))
    assert set(candidates_for(admin)) == {in_pool, both, hiroshima_only}
    assert set(candidates_for(admin, prefecture_id=hiroshima.pk)) == {both, hiroshima_only}


# Needs -----------------------------------------------------------------------------------------


def test_a_need_is_managed_by_its_organisation_and_its_prefectural_government(places):
    need = TalentNeedFactory(organisation=places["seiyo"])
    assert can_manage(as_recruiter(places["seiyo"]), need)
    assert can_manage(as_recruiter(places["ehime_gov"]), need)
    # Not by a neighbour, even when shared with it; not by another prefecture's government.
    shared = TalentNeedFactory(organisation=places["seiyo"], sharing=TalentNeed.Sharing.PREFECTURE)
    assert not can_manage(as_recruiter(places["yawatahama"]), shared)
    assert not can_manage(as_recruiter(places["hiroshima_gov"]), need)
    assert not can_manage(as_recruiter(places["fuchu"]), need)
    # A superuser without an organisation sees but does not manage.
    assert not can_manage(recruiter_for(UserFactory(is_superuser=True)), need)
    assert not can_manage(None, need)
    # A prefectural government's own need: not managed by its municipalities.
    own = TalentNeedFactory(organisation=places["ehime_gov"])
    assert can_manage(as_recruiter(places["ehime_gov"]), own)
    assert not can_manage(as_recruiter(places["seiyo"]), own)


def test_the_matches_of_a_shared_need_are_open_to_the_prefectures_municipalities(places):
    own = TalentNeedFactory(organisation=places["seiyo"], sharing=TalentNeed.Sharing.OWN)
    shared = TalentNeedFactory(organisation=places["seiyo"], sharing=TalentNeed.Sharing.PREFECTURE)
    neighbour = as_recruiter(places["yawatahama"])
    assert not can_see_matches(neighbour, own)
    assert can_see_matches(neighbour, shared)
    for organisation in ("seiyo", "ehime_gov"):
        viewer = as_recruiter(places[organisation])
        assert can_see_matches(viewer, own) and can_see_matches(viewer, shared)
    for organisation in ("hiroshima_gov", "fuchu"):
        viewer = as_recruiter(places[organisation])
        assert not can_see_matches(viewer, own) and not can_see_matches(viewer, shared)
    assert can_see_matches(recruiter_for(UserFactory(is_superuser=True)), own)
    assert not can_see_matches(None, shared)

    assert set(needs_managed_by(neighbour)) == {shared}
    assert set(needs_managed_by(as_recruiter(places["seiyo"]))) == {own, shared}
    assert set(needs_managed_by(as_recruiter(places["ehime_gov"]))) == {own, shared}
    assert not needs_managed_by(as_recruiter(places["fuchu"])).exists()
    assert not needs_managed_by(None).exists()


def test_members_read_open_needs_published_to_members_and_their_pools_needs(places):
    ehime, hiroshima = places["ehime"], places["hiroshima"]
    Status, Audience = TalentNeed.Status, TalentNeed.Audience
    for_members = TalentNeedFactory(organisation=places["seiyo"], audience=Audience.MEMBERS)
    pool_only = TalentNeedFactory(organisation=places["seiyo"], audience=Audience.POOL)
    other_pool = TalentNeedFactory(organisation=places["fuchu"], audience=Audience.POOL)
    filled = TalentNeedFactory(
        organisation=places["seiyo"], audience=Audience.MEMBERS, status=Status.FILLED
    )
    TalentNeedFactory(organisation=places["seiyo"], audience=Audience.POOL, status=Status.UNFILLED)
    hiroshima_members = TalentNeedFactory(organisation=places["fuchu"], audience=Audience.MEMBERS)

    member = UserFactory()
    assert set(needs_readable_by(member)) == {for_members, hiroshima_members}
    candidate = TalentProfileFactory(pools=[ehime]).user
    assert set(needs_readable_by(candidate)) == {for_members, hiroshima_members, pool_only}
    # Out of the pool (listing turned off), the pool's needs are gone again.
    left = TalentProfileFactory(pools=[ehime, hiroshima], is_open=False).user
    assert set(needs_readable_by(left)) == {for_members, hiroshima_members}
    both = TalentProfileFactory(pools=[ehime, hiroshima]).user
    assert set(needs_readable_by(both)) == {
        for_members,
        hiroshima_members,
        pool_only,
        other_pool,
    }
    assert not needs_readable_by(AnonymousUser()).exists()
    assert not needs_readable_by(UserFactory(is_active=False)).exists()
    # A recruiter also reads their organisation's needs, closed ones included.
    seiyo = recruiter(places["seiyo"])
    assert filled in set(needs_readable_by(seiyo))
    assert pool_only in set(needs_readable_by(seiyo))
    assert filled not in set(needs_readable_by(recruiter(places["yawatahama"])))
