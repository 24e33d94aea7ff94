"""Sharing a public award: LinkedIn's add-to-profile form for its holder, LinkedIn's share
dialog and the address to copy for anyone who can see it; a private award has none of them."""

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup
from django.test import Client
from django.urls import reverse

from curriculum.credentials import awarding, sharing
from curriculum.credentials.models import IssuerSettings
from tests.factories import CredentialDefinitionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def issuer(db):
    settings = IssuerSettings.load()
    settings.name_ja = "自治体CIOアカデミー & 協議会"
    settings.name_en = "Municipal CIO Academy"
    settings.save()
    return settings


@pytest.fixture
def award(learner, home_page, issuer):
    definition = CredentialDefinitionFactory(
        name_ja="自治体DX基礎 <入門>", name_en="Municipal DX basics & more"
    )
    return awarding.award_manually(learner, definition, awarded_by=None, reason="テスト")


def query(url: str) -> dict[str, str]:
    params = parse_qs(urlsplit(url).query, keep_blank_values=True, strict_parsing=True)
    assert all(len(values) == 1 for values in params.values())
    return {name: values[0] for name, values in params.items()}


def soup(response) -> BeautifulSoup:
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def make_public(award):
    award.is_public = True
    award.save(update_fields=["is_public"])


def test_the_add_to_profile_address_is_linkedins_form_filled_in(award, issuer):
    # 2025-03-31 16:30 UTC is 1 April in Japan: the month is the Japanese one.
    award.issued_at = datetime(2025, 3, 31, 16, 30, tzinfo=UTC)
    award.expires_at = datetime(2027, 12, 31, 15, 30, tzinfo=UTC)
    url = sharing.linkedin_add_url(award, issuer)
    assert url.startswith("https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME&")
    assert " " not in url and "<" not in url and "+" not in url
    assert query(url) == {
        "startTask": "CERTIFICATION_NAME",
        "name": "自治体DX基礎 <入門>",
        "organizationName": "自治体CIOアカデミー & 協議会",
        "issueYear": "2025",
        "issueMonth": "4",
        "expirationYear": "2028",
        "expirationMonth": "1",
        "certUrl": f"http://testserver/credentials/{award.uuid}/",
        "certId": str(award.uuid),
    }
    assert "%26%20%E5%8D%94%E8%AD%B0%E4%BC%9A" in url  # " & 協議会", encoded once


def test_without_an_expiry_the_form_has_none_and_english_names_under_en(award, issuer):
    from django.utils import translation

    assert award.expires_at is None
    with translation.override("en"):
        params = query(sharing.linkedin_add_url(award))
    assert "expirationYear" not in params and "expirationMonth" not in params
    assert params["name"] == "Municipal DX basics & more"
    assert params["organizationName"] == "Municipal CIO Academy"
    # The award's address is the same in every language, like its credential's id.
    assert params["certUrl"] == award.credential["id"]


def test_the_share_dialog_address(award):
    url = sharing.linkedin_share_url("http://testserver/credentials/x/?a=1&b=2")
    assert url == (
        "https://www.linkedin.com/sharing/share-offsite/"
        "?url=http%3A%2F%2Ftestserver%2Fcredentials%2Fx%2F%3Fa%3D1%26b%3D2"
    )


def test_only_a_public_standing_award_has_links(award):
    assert sharing.links_for(award) is None
    make_public(award)
    links = sharing.links_for(award)
    assert links.public_url == f"http://testserver/credentials/{award.uuid}/"
    assert query(links.linkedin_share) == {"url": links.public_url}
    assert query(links.linkedin_add)["certId"] == str(award.uuid)
    awarding.revoke(award, by=None, reason="誤発行")
    award.refresh_from_db()
    assert sharing.links_for(award) is None


def _linkedin_links(page):
    return {
        "add": page.select('a[href^="https://www.linkedin.com/profile/add?"]'),
        "share": page.select('a[href^="https://www.linkedin.com/sharing/share-offsite/?"]'),
        "address": page.select("input[data-share-address]"),
    }


def test_the_holder_of_a_public_award_can_add_it_to_linkedin(client, award, learner):
    make_public(award)
    client.force_login(learner)
    page = soup(client.get(award.get_absolute_url()))
    found = _linkedin_links(page)
    assert len(found["add"]) == 1 and len(found["share"]) == 1
    add = found["add"][0]
    assert add["href"] == sharing.linkedin_add_url(award)
    assert set(add["rel"]) == {"noopener", "noreferrer"} and add["target"] == "_blank"
    assert set(found["share"][0]["rel"]) == {"noopener", "noreferrer"}
    assert found["address"][0]["value"] == sharing.public_url(award)
    assert found["address"][0].has_attr("readonly")
    copy = page.select_one("button[data-copy-from]")
    assert copy.has_attr("hidden") and copy["data-copy-from"] == found["address"][0]["id"]
    assert page.select_one('script[src$="credentials/share.js"]')


def test_others_may_share_a_public_award_but_not_add_it_to_their_profile(award):
    make_public(award)
    signed_in = Client()
    signed_in.force_login(UserFactory())
    for viewer in (Client(), signed_in):
        page = soup(viewer.get(award.get_absolute_url()))
        found = _linkedin_links(page)
        assert found["add"] == [] and len(found["share"]) == 1 and len(found["address"]) == 1


def test_a_private_award_has_no_links_and_stays_hidden(client, award, learner):
    stranger = Client()
    assert stranger.get(award.get_absolute_url()).status_code == 404
    stranger.force_login(UserFactory())
    assert stranger.get(award.get_absolute_url()).status_code == 404
    client.force_login(learner)
    page = soup(client.get(award.get_absolute_url()))
    assert not any(_linkedin_links(page).values())
    assert "linkedin.com" not in str(page)
    assert page.select_one(".credential-share__private")


def test_the_wallet_offers_linkedin_for_public_awards_only(client, award, learner, home_page):
    private = awarding.award_manually(
        learner, CredentialDefinitionFactory(), awarded_by=None, reason="x"
    )
    make_public(award)
    client.force_login(learner)
    page = soup(client.get(reverse("credentials:wallet")))
    found = _linkedin_links(page)
    assert [a["href"] for a in found["add"]] == [sharing.linkedin_add_url(award)]
    assert len(found["share"]) == 1
    hint = page.select_one(".credential-share__private a")
    assert hint["href"] == private.get_absolute_url() + "#sharing"


def test_the_copy_script_enhances_a_field_that_works_without_it():
    from pathlib import Path

    from django.contrib.staticfiles import finders

    script = Path(finders.find("credentials/share.js")).read_text()
    assert "navigator.clipboard" in script and "button.hidden = false" in script
