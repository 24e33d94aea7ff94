"""The demo talent pool (talent/demo.py, fixtures/demo/talent.json) as load_demo builds it: one
load for the whole module (it takes a while), run twice to show it is idempotent."""

import json
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from curriculum.credentials.models import Award, OrganisationReporter
from talent.access import can_manage, can_see_matches, candidates_for, recruiter_for
from talent.demo import FIXTURE
from talent.matching import rank_candidates
from talent.models import (
    CompetencyClaim,
    ContactRequest,
    NeedRequirement,
    TalentNeed,
    TalentProfile,
    TalentRoleClaim,
)

pytestmark = pytest.mark.django_db

COUNTED = [
    get_user_model(),
    Group,
    OrganisationReporter,
    Award,
    TalentProfile,
    TalentProfile.pools.through,
    TalentProfile.shown_awards.through,
    TalentRoleClaim,
    CompetencyClaim,
    TalentNeed,
    NeedRequirement,
    ContactRequest,
]


def row_counts():
    return {model._meta.label: model.objects.count() for model in COUNTED}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """What the tests look at, gathered while the demo is loaded; the database is rolled back."""
    folder = tmp_path_factory.mktemp("talent-demo-index")
    backends = {"default": {"BACKEND": "search.backends.tantivy", "PATH": str(folder)}}
    facts = {}
    with (
        django_db_blocker.unblock(),
        override_settings(WAGTAILSEARCH_BACKENDS=backends),
        transaction.atomic(),
    ):
        out = StringIO()
        call_command("load_demo", stdout=out)
        facts["output"] = out.getvalue()
        facts["first"] = row_counts()
        call_command("load_demo", stdout=StringIO())
        facts["second"] = row_counts()
        _gather(facts)
        transaction.set_rollback(True)
    return facts


def _gather(facts):
    User = get_user_model()
    profiles = TalentProfile.objects.select_related("user__profile").order_by("pk")
    facts["people"] = [
        {
            "name": p.user.profile.display_name,
            "bio": p.user.profile.bio,
            "fictional": p.is_fictional,
            "open": p.is_open,
            "can_sign_in": p.user.has_usable_password(),
            "pools": sorted(p.pools.values_list("code", flat=True)),
            "shown": [a.definition.slug for a in p.shown_awards.standing()],
            "roles": list(p.roles.values_list("role", flat=True)),
        }
        for p in profiles
    ]
    recruiter = User.objects.get(email="recruiter@example.jp")
    moderator = User.objects.get(email="moderator@example.jp")
    facts["recruiter"] = recruiter_for(recruiter)
    facts["prefecture"] = recruiter_for(moderator)
    facts["groups"] = {
        email: sorted(User.objects.get(email=email).groups.values_list("name", flat=True))
        for email in ("recruiter@example.jp", "moderator@example.jp")
    }
    facts["needs"] = []
    for need in TalentNeed.objects.select_related("organisation__prefecture").order_by("pk"):
        fits = []
        if need.status == TalentNeed.Status.OPEN:
            fits = rank_candidates(need, candidates_for(facts["prefecture"]))
        facts["needs"].append(
            {
                "title": need.title,
                "organisation": need.organisation.code,
                "prefecture": need.organisation.prefecture.code,
                "status": need.status,
                "sharing": need.sharing,
                "audience": need.audience,
                "posted_by": need.posted_by.email if need.posted_by else None,
                "matches": [
                    (f.profile.user.profile.display_name, f.verified_score, f.declared_score)
                    for f in fits
                ],
                "recruiter_manages": can_manage(facts["recruiter"], need),
                "recruiter_sees_matches": can_see_matches(facts["recruiter"], need),
                "prefecture_manages": can_manage(facts["prefecture"], need),
            }
        )
    facts["contacts"] = list(
        ContactRequest.objects.values_list("sender__email", "candidate__email", "status")
    )


def test_loading_twice_adds_nothing(demo):
    assert demo["second"] == demo["first"]
    assert demo["first"]["talent.TalentProfile"] == 5
    assert demo["first"]["talent.TalentNeed"] == 3


def test_the_pool_is_ehimes_and_its_people_are_fictional(demo):
    assert len(demo["people"]) == 5
    for person in demo["people"]:
        assert person["name"].endswith("（架空）"), person
        assert "架空" in person["bio"], person
        assert person["fictional"] and person["open"] and not person["can_sign_in"], person
        assert "38" in person["pools"], person
        assert person["roles"], person
    assert sum(person["pools"] == ["34", "38"] for person in demo["people"]) == 1
    assert sum(bool(person["shown"]) for person in demo["people"]) >= 2
    # Every name in the fixture is marked too.
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    assert all(p["display_name"].endswith("（架空）") for p in data["people"])


def test_two_open_needs_each_led_by_a_verified_candidate(demo):
    open_needs = [need for need in demo["needs"] if need["status"] == "open"]
    assert len(open_needs) == 2
    assert {(n["sharing"], n["audience"]) for n in open_needs} == {
        ("prefecture", "members"),
        ("own", "pool"),
    }
    for need in open_needs:
        assert need["prefecture"] == "38"
        assert len(need["matches"]) == 5
        _name, verified, _declared = need["matches"][0]
        assert verified > 0, need["title"]
        assert all(verified >= other for _n, other, _d in need["matches"]), need["title"]
    by_sharing = {n["sharing"]: n for n in open_needs}
    assert by_sharing["prefecture"]["matches"][0][0] == "岡田 誠（架空）"
    assert by_sharing["own"]["matches"][0][0] == "河野 恵子（架空）"
    # A self-declared candidate with more declared levels comes after a verified one.
    assert by_sharing["own"]["matches"][1][:2] == ("二宮 彩（架空）", 2)
    assert by_sharing["own"]["matches"][2][:2] == ("石川 拓也（架空）", 0)
    (unfilled,) = [need for need in demo["needs"] if need["status"] != "open"]
    assert unfilled["status"] == "unfilled" and unfilled["prefecture"] == "38"


def test_the_recruiters_see_and_manage_what_their_organisations_may(demo):
    recruiter, prefecture = demo["recruiter"], demo["prefecture"]
    assert recruiter.organisation.code == "382043" and not recruiter.everything
    assert prefecture.organisation.code == "380008" and prefecture.is_prefectural
    assert "Talent recruiters" in demo["groups"]["recruiter@example.jp"]
    assert {"Moderators", "Talent recruiters"} <= set(demo["groups"]["moderator@example.jp"])
    open_needs = {n["sharing"]: n for n in demo["needs"] if n["status"] == "open"}
    own, shared = open_needs["own"], open_needs["prefecture"]
    assert own["posted_by"] == "recruiter@example.jp" and own["recruiter_manages"]
    assert shared["recruiter_sees_matches"] and not shared["recruiter_manages"]
    assert all(need["prefecture_manages"] for need in demo["needs"])
    assert demo["contacts"] == [("recruiter@example.jp", "talent-ishikawa@example.jp", "pending")]
    assert "recruiter@example.jp" in demo["output"]
    assert "Talent pool: /talent/" in demo["output"]
