"""Japanese titles give readable, unique addresses: in the admin (where the browser's ASCII-only
title-to-slug sync leaves 「K9 AI活用の基礎」 as k9-ai) and from the case form."""

import pytest
from django.urls import reverse
from wagtail.models import Page
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from core.models import StandardPage
from core.slugs import is_slug, readable_slug
from tests.factories import UserFactory


@pytest.mark.parametrize(
    "title, slug",
    [
        ("窓口のキャッシュレス化", "madoguchi-no-kyasshuresu-ka"),
        ("K9 AI活用の基礎", "k9-ai-katsuyou-no-kiso"),
        ("ＡＩ－ＯＣＲで申請書を読み取り", "ai-ocr-de-shinseisho-wo-yomitori"),
        ("About us", "about-us"),
        ("！？", "page"),
    ],
)
def test_readable_slug(title, slug):
    assert readable_slug(title) == slug


@pytest.mark.parametrize(
    "value, expected",
    [
        ("rpa", True),
        ("ai-ocr", True),
        ("cloud_2026", True),
        ("", False),
        ("a" * 101, False),
        ("rpa' OR 1=1", False),
        ("自治体", False),
        ("rpa\n", False),
        (None, False),
    ],
)
def test_a_slug_parameter_is_checked_before_it_is_looked_up(value, expected):
    assert is_slug(value) is expected


def test_a_long_title_is_cut_at_a_word():
    slug = readable_slug("自治体情報システムの標準化・共通化に係る手順書と移行計画の作り方" * 2)
    assert len(slug) <= 60 and not slug.endswith("-")
    assert slug.startswith("jichitai-jouhou-shisutemu-no-hyoujunka")


@pytest.fixture
def admin_client(client, db):
    client.force_login(UserFactory(email="admin@example.jp", is_superuser=True, is_staff=True))
    return client


def add_page(admin_client, parent, title, slug):
    url = reverse("wagtailadmin_pages:add", args=("core", "standardpage", parent.pk))
    data = nested_form_data(
        {
            "title": title,
            "slug": slug,
            "intro": rich_text("<p>導入</p>"),
            "body": streamfield([]),
            "action-publish": "publish",
        }
    )
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    return StandardPage.objects.child_of(parent).order_by("-pk").first()


@pytest.mark.django_db
def test_pages_created_in_the_admin_get_readable_unique_slugs(admin_client, client, home_page):
    # What the admin's slug sync sends for these titles: the ASCII remnant, or nothing.
    first = add_page(admin_client, home_page, "AI活用の基礎", "ai")
    second = add_page(admin_client, home_page, "AIの倫理", "ai")
    third = add_page(admin_client, home_page, "生成AIの利用ガイドライン", "ai")
    fourth = add_page(admin_client, home_page, "窓口のキャッシュレス化", "")
    again = add_page(admin_client, home_page, "窓口のキャッシュレス化", "")
    assert [first.slug, second.slug, third.slug, fourth.slug, again.slug] == [
        "ai-katsuyou-no-kiso",
        "ai-no-rinri",
        "seisei-ai-no-riyou-gaidorain",
        "madoguchi-no-kyasshuresu-ka",
        "madoguchi-no-kyasshuresu-ka-2",
    ]
    assert client.get("/ai-no-rinri/").status_code == 200


@pytest.mark.django_db
def test_a_slug_the_editor_typed_or_a_published_one_is_kept(admin_client, home_page):
    typed = add_page(admin_client, home_page, "AI活用の基礎", "ai-basics")
    assert typed.slug == "ai-basics"
    # Editing a published page whose slug happens to be the ASCII remnant keeps its address.
    page = StandardPage(title="AIの倫理", slug="ai")
    home_page.add_child(instance=page)
    page.save_revision().publish()
    url = reverse("wagtailadmin_pages:edit", args=(page.pk,))
    data = nested_form_data(
        {
            "title": "AIの倫理",
            "slug": "ai",
            "intro": rich_text("<p>導入</p>"),
            "body": streamfield([]),
            "action-publish": "publish",
        }
    )
    assert admin_client.post(url, data).status_code == 302
    assert Page.objects.get(pk=page.pk).slug == "ai"
