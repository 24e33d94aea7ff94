"""The badge drawn for a credential without an uploaded image: different for each credential,
the same bytes every time, safe whatever its name says, served as a cacheable image under a
policy that lets nothing run; and used wherever the platform's single badge used to be."""

import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse
from wagtail_factories import ImageFactory

from curriculum.credentials import awarding, badges, openbadges, verification
from curriculum.credentials.models import CredentialDefinition
from tests.factories import (
    CompetencyFactory,
    CredentialCompetencyFactory,
    CredentialDefinitionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = "<script>alert(\"x\")</script>]]><![CDATA[ & 'quoted' \x07"


def parse(drawing: str) -> ET.Element:
    return ET.fromstring(drawing.encode())


def texts(drawing: str) -> list[str]:
    return [element.text for element in parse(drawing).iter(f"{SVG}text")]


def badge_path(definition) -> str:
    return reverse("credential_badge", args=[definition.pk])


def test_each_credential_gets_its_own_badge_and_always_the_same_one():
    basics = CredentialDefinitionFactory(slug="dx-basics", name_ja="自治体DX基礎")
    governance = CredentialDefinitionFactory(slug="dx-governance", name_ja="自治体DXガバナンス")
    assert badges.draw(basics) != badges.draw(governance)
    assert badges.url(basics) != badges.url(governance)
    again = CredentialDefinition.objects.get(pk=basics.pk)
    assert badges.draw(again) == badges.draw(basics)
    assert badges.url(again) == badges.url(basics)
    # The label comes from the Japanese name, in a font that has Japanese glyphs.
    assert "DX基礎" in texts(badges.draw(basics))
    assert [t for t in texts(badges.draw(governance)) if t != "CIO ACADEMY"] == ["DX", "ガバナンス"]
    assert "Noto Sans CJK JP" in badges.draw(basics)
    assert parse(badges.draw(basics)).find(f"{SVG}title").text == "自治体DX基礎"


def test_colour_and_outline_come_from_the_slug():
    drawings = {
        badges.draw(CredentialDefinitionFactory(slug=f"credential-{n}", name_ja="同じ名前"))
        for n in range(6)
    }
    assert len(drawings) == 6


@pytest.mark.parametrize(
    ("name", "lines"),
    [
        ("自治体DX基礎", ["DX基礎"]),
        ("BPR・業務可視化 実践", ["BPR", "業務可視化"]),
        ("CIO補佐官 基礎", ["CIO補佐官", "基礎"]),
        ("ＤＸ推進", ["DX推進"]),
        ("Data Governance", ["DG"]),
        ("自治体", ["自治体"]),
        ("情報セキュリティマネジメント基礎講座", ["情報セキュリ", "ティマネジ…"]),
    ],
)
def test_the_label_is_short(name, lines):
    assert badges.label_lines(name) == lines


def test_the_level_proven_shows_as_pips():
    definition = CredentialDefinitionFactory()
    plain = badges.draw(definition)
    CredentialCompetencyFactory(definition=definition, competency=CompetencyFactory(), level=3)
    CredentialCompetencyFactory(definition=definition, competency=CompetencyFactory(), level=1)
    proven = badges.draw(CredentialDefinition.objects.get(pk=definition.pk))
    assert proven.count(" l4 5 l-4 5 l-4 -5 Z") == 3 and plain.count(" l4 5 ") == 0


def test_a_hostile_name_is_text_not_markup():
    definition = CredentialDefinitionFactory(name_ja=HOSTILE, name_en="</svg><script>")
    drawing = badges.draw(definition)
    root = parse(drawing)  # well-formed XML, the bell character dropped
    assert [element.tag for element in root.iter() if "script" in element.tag.lower()] == []
    assert "<script" not in drawing and "]]>" not in drawing and "<![CDATA[" not in drawing
    assert root.find(f"{SVG}title").text == HOSTILE.replace("\x07", "")
    assert not [a for element in root.iter() for a in element.attrib if a.startswith("on")]


def test_the_badge_is_served_as_a_strict_cacheable_image(client):
    definition = CredentialDefinitionFactory(name_ja=HOSTILE)
    url = badges.url(definition)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response["Content-Security-Policy"] == "default-src 'none'; style-src 'unsafe-inline'"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.content.decode() == badges.draw(definition)
    etag = response["ETag"]
    assert etag == f'"{url.rsplit("=", 1)[1]}"'

    not_modified = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert not_modified.status_code == 304
    assert not_modified["ETag"] == etag and "immutable" in not_modified["Cache-Control"]
    assert client.head(url).status_code == 200
    assert client.post(url).status_code == 405

    # An address without the current version still answers, but is not kept for long.
    for stale in (badge_path(definition), badge_path(definition) + "?v=0123456789abcdef"):
        response = client.get(stale)
        assert response.status_code == 200
        assert response["Cache-Control"] == "public, max-age=3600"


def test_an_unknown_credential_has_no_badge(client):
    assert client.get(reverse("credential_badge", args=[999_999])).status_code == 404
    assert client.get("/credentials/badges/nothing.svg").status_code == 404


def test_the_address_changes_with_the_name(client):
    definition = CredentialDefinitionFactory(name_ja="自治体DX基礎")
    before = badges.url(definition)
    definition.name_en = "Renamed in English only"
    definition.save()
    assert badges.url(definition) == before  # the drawing does not use it
    definition.name_ja = "自治体DX応用"
    definition.save()
    after = badges.url(definition)
    assert after != before and after.split("?")[0] == before.split("?")[0]
    assert "DX応用" in client.get(after).content.decode()


def test_the_achievement_image_is_the_upload_or_else_the_drawn_badge():
    drawn = CredentialDefinitionFactory()
    assert openbadges.image_url(drawn) == "http://testserver" + badges.url(drawn)
    uploaded = CredentialDefinitionFactory(image=ImageFactory())
    url = openbadges.image_url(uploaded)
    assert url.startswith("http://testserver/media/images/") and "fill-400x400" in url
    assert url == "http://testserver" + uploaded.image.get_rendition("fill-400x400").url
    assert "/credentials/badges/" not in url


def test_a_credential_names_its_drawn_badge_and_still_verifies_after_a_rename(client, home_page):
    definition = CredentialDefinitionFactory(name_ja="自治体DX基礎")
    award = awarding.award_manually(UserFactory(), definition, awarded_by=None, reason="テスト")
    image = award.credential["credentialSubject"]["achievement"]["image"]["id"]
    assert image == award.credential["image"]["id"] == openbadges.image_url(definition)
    assert verification.verify_credential(award.credential).verified

    definition.name_ja = "自治体DX応用"
    definition.save()
    award.refresh_from_db()
    assert award.credential["image"]["id"] == image  # what was signed stays as it was
    assert verification.verify_credential(award.credential).verified
    assert client.get(image.removeprefix("http://testserver")).status_code == 200


def test_a_credential_signed_with_the_platform_badge_still_verifies(client, home_page):
    """Awards issued before drawn badges name the single static badge: it is still served, and
    their signature still holds (nothing re-signs them)."""
    from django.contrib.staticfiles import finders

    from curriculum.credentials import proofs

    award = awarding.award_manually(
        UserFactory(), CredentialDefinitionFactory(), awarded_by=None, reason="テスト"
    )
    unsigned = {k: v for k, v in award.credential.items() if k != "proof"}
    old = "http://testserver/static/credentials/badge.svg"
    unsigned["image"] = {"id": old, "type": "Image"}
    unsigned["credentialSubject"]["achievement"]["image"]["id"] = old
    signed = proofs.sign(unsigned, created=award.issued_at.isoformat())
    assert verification.verify_credential(signed).verified
    assert finders.find("credentials/badge.svg")


def test_pages_show_the_drawn_badge_without_an_upload(client, home_page):
    learner = UserFactory()
    drawn = CredentialDefinitionFactory(name_ja="自治体DX基礎")
    uploaded = CredentialDefinitionFactory(image=ImageFactory())
    first = awarding.award_manually(learner, drawn, awarded_by=None, reason="x")
    second = awarding.award_manually(learner, uploaded, awarded_by=None, reason="x")
    client.force_login(learner)
    wallet = client.get(reverse("credentials:wallet")).content.decode()
    assert badges.url(drawn) in wallet
    assert badges.url(uploaded) not in wallet
    assert badges.url(drawn) in client.get(first.get_absolute_url()).content.decode()
    page = client.get(second.get_absolute_url()).content.decode()
    assert "/credentials/badges/" not in page and "credentials/badge.svg" not in page


def test_the_admin_previews_the_drawn_badge(client):
    definition = CredentialDefinitionFactory()
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    edit = reverse("wagtailsnippets_credentials_credentialdefinition:edit", args=[definition.pk])
    html = client.get(edit).content.decode()
    assert badges.url(definition) in html
    add = client.get(reverse("wagtailsnippets_credentials_credentialdefinition:add"))
    assert add.status_code == 200 and "/credentials/badges/" not in add.content.decode()
