"""What a contact request shows after the first answer: a candidate who leaves a pool (or turns
the listing off) is no longer named to its recruiters, and what they had not answered is
withdrawn; a candidate's address goes to the person who wrote, not to every recruiter of the
organisation; a closed need cannot be accepted; a recruiter who no longer recruits is not told
who accepted; contact counts of needs other municipalities share stay theirs."""

import pytest
from django.core import mail
from django.urls import reverse

from people.models import Municipality
from talent.models import ContactRequest, TalentNeed
from tests.factories import (
    CompetencyFactory,
    MunicipalityFactory,
    PrefectureFactory,
    TalentNeedFactory,
    TalentProfileFactory,
    UserFactory,
    recruiter,
)

pytestmark = pytest.mark.django_db
Status = ContactRequest.Status
ADDRESS = "candidate-private@example.jp"


@pytest.fixture
def world(django_capture_on_commit_callbacks):
    ehime = PrefectureFactory(code="38", name="愛媛県", kana="えひめけん", name_en="Ehime")
    tokyo = PrefectureFactory(code="13", name="東京都", kana="とうきょうと", name_en="Tokyo")
    government = MunicipalityFactory(
        prefecture=ehime, name="愛媛県", kind=Municipality.Kind.PREFECTURE
    )
    town = MunicipalityFactory(prefecture=ehime, name="八幡浜市")
    neighbour = MunicipalityFactory(prefecture=ehime, name="松山市")
    candidate = UserFactory(email=ADDRESS)
    candidate.profile.display_name = "候補 花子"
    candidate.profile.save()
    profile = TalentProfileFactory(user=candidate, home_prefecture=ehime, pools=[ehime, tokyo])
    sender = recruiter(town, email="sender@example.jp")
    colleague = recruiter(town, email="colleague@example.jp")
    prefecture_staff = recruiter(government, email="pref@example.jp")
    need = TalentNeedFactory(
        organisation=town,
        posted_by=sender,
        requirements={CompetencyFactory(code="C5"): 3},
        sharing=TalentNeed.Sharing.PREFECTURE,
    )
    request = ContactRequest.objects.create(
        need=need, candidate=candidate, sender=sender, message="お話を伺えますか。"
    )
    return {
        "ehime": ehime,
        "tokyo": tokyo,
        "town": town,
        "neighbour": neighbour,
        "candidate": candidate,
        "profile": profile,
        "sender": sender,
        "colleague": colleague,
        "prefecture_staff": prefecture_staff,
        "need": need,
        "request": request,
    }


def _page(client, user, name, *args):
    client.force_login(user)
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200
    return response.content.decode()


def _accept(client, world):
    client.force_login(world["candidate"])
    url = reverse("talent:respond", args=[world["request"].pk])
    return client.post(url, {"decision": "accept"})


def test_after_acceptance_only_the_sender_sees_the_address(client, world):
    _accept(client, world)
    assert ADDRESS in _page(client, world["sender"], "talent:request", world["request"].pk)
    for other in ("colleague", "prefecture_staff"):
        body = _page(client, world[other], "talent:request", world["request"].pk)
        assert ADDRESS not in body, other
        assert "候補 花子" in body, other  # still in their pool: named, without the address


def test_a_candidate_who_leaves_is_no_longer_named_or_reachable(client, world):
    _accept(client, world)
    client.force_login(world["candidate"])
    client.post(reverse("talent:withdraw"))
    for who in ("sender", "colleague", "prefecture_staff"):
        for page in (("talent:request", world["request"].pk), ("talent:requests",)):
            body = _page(client, world[who], *page)
            assert "候補 花子" not in body, (who, page)
            assert ADDRESS not in body, (who, page)


@pytest.mark.parametrize("change", ["unlisted", "left the prefecture's pool"])
def test_leaving_a_pool_withdraws_what_was_not_answered(client, world, change):
    profile = world["profile"]
    if change == "unlisted":
        profile.is_open = False
        profile.save()
    else:
        profile.pools.set([world["tokyo"]])
    # The profile form's save does the same as the model changes above, through the view.
    client.force_login(world["candidate"])
    from talent.candidate_views import _withdraw_unreachable

    _withdraw_unreachable(profile)
    world["request"].refresh_from_db()
    assert world["request"].status == Status.WITHDRAWN
    body = _page(client, world["sender"], "talent:request", world["request"].pk)
    assert "候補 花子" not in body
    assert _accept(client, world).status_code == 302
    world["request"].refresh_from_db()
    assert world["request"].status == Status.WITHDRAWN  # nothing left to accept


def test_staying_in_the_pool_keeps_the_request(client, world):
    from talent.candidate_views import _withdraw_unreachable

    world["profile"].pools.set([world["ehime"]])
    _withdraw_unreachable(world["profile"])
    world["request"].refresh_from_db()
    assert world["request"].status == Status.PENDING


def test_a_closed_need_cannot_be_accepted(client, world):
    need = world["need"]
    need.status = TalentNeed.Status.CANCELLED
    need.save()
    body = _page(client, world["candidate"], "talent:request", world["request"].pk)
    assert "承諾する" not in body
    _accept(client, world)
    world["request"].refresh_from_db()
    assert world["request"].status == Status.PENDING
    assert "sender@example.jp" not in _page(
        client, world["candidate"], "talent:request", world["request"].pk
    )


@pytest.mark.parametrize("still_recruiting", [True, False])
def test_the_acceptance_is_told_to_the_sender_while_they_recruit(
    client, world, django_capture_on_commit_callbacks, still_recruiting
):
    if not still_recruiting:
        world["sender"].organisation_reporter.delete()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _accept(client, world)
    expected = [["sender@example.jp"]] if still_recruiting else []
    assert [m.to for m in mail.outbox] == expected


def test_contact_counts_of_shared_needs_stay_with_their_organisation(client, world):
    neighbour_staff = recruiter(world["neighbour"], email="matsuyama@example.jp")
    body = _page(client, neighbour_staff, "talent:needs")
    assert world["need"].title in body  # shared prefecture-wide: listed
    row = body[body.rindex(world["need"].title) :].split("</tr>")[0]
    assert "—" in row
    own = _page(client, world["sender"], "talent:needs")
    row = own[own.rindex(world["need"].title) :].split("</tr>")[0]
    assert "<td>1</td>" in row


def test_a_closed_need_cannot_be_edited(client, world):
    need = world["need"]
    need.status = TalentNeed.Status.FILLED
    need.save()
    client.force_login(world["sender"])
    url = reverse("talent:need_edit", args=[need.pk])
    assert client.get(url).status_code == 302
    client.post(url, {"title": "書き換え"})
    need.refresh_from_db()
    assert need.title != "書き換え"


def test_a_title_keeps_no_line_break(world):
    need = world["need"]
    need.title = "標準化\r\nBcc: someone@example.jp"
    need.save()
    need.refresh_from_db()
    assert need.title == "標準化 Bcc: someone@example.jp"
