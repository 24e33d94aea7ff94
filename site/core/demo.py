"""The site's own demo content: the topics and the home and about pages in Japanese and English.
Loaded by the demo app's load_demo; idempotent: what exists is left as it is."""

import json
from urllib.parse import urlsplit

from django.conf import settings
from wagtail.models import Locale, Page, Site

from .models import HomePage, StandardPage, Topic
from .translation import ensure_translation

FIXTURES = settings.BASE_DIR / "fixtures"


def site_address() -> dict:
    """Host name and port of WAGTAILADMIN_BASE_URL, as Wagtail's Site record holds them."""
    address = urlsplit(settings.WAGTAILADMIN_BASE_URL)
    default = 443 if address.scheme == "https" else 80
    return {"hostname": address.hostname or "localhost", "port": address.port or default}


def load_topics():
    topics = json.loads((FIXTURES / "topics.json").read_text(encoding="utf-8"))
    existing = set(Topic.objects.values_list("slug", flat=True))
    Topic.objects.bulk_create(Topic(**t) for t in topics if t["slug"] not in existing)


def load_pages():
    content = json.loads((FIXTURES / "demo" / "pages.json").read_text(encoding="utf-8"))
    locale_ja = Locale.objects.get_or_create(language_code="ja")[0]
    locale_en = Locale.objects.get_or_create(language_code="en")[0]

    home_ja = HomePage.objects.filter(locale=locale_ja).first()
    if home_ja is None:
        home_ja = create_home(content["home"]["ja"], locale_ja)
    home_en = ensure_translation(home_ja, locale_en, content["home"]["en"])
    match_site_to_base_url()

    about_ja = StandardPage.objects.child_of(home_ja).filter(slug="about").first()
    if about_ja is None:
        about_ja = home_ja.add_child(instance=StandardPage(**content["about"]["ja"]))
        about_ja.save_revision().publish()
    ensure_translation(about_ja, locale_en, content["about"]["en"])
    return home_ja, home_en


def create_home(fields, locale):
    root = Page.get_first_root_node()
    # Wagtail's initial migration leaves a "Welcome to your new Wagtail site!" page (and a site
    # pointing at it) behind; it makes way for the real home page.
    for placeholder in root.get_children().exact_type(Page):
        if not placeholder.get_children().exists():
            placeholder.delete()
    home = root.add_child(instance=HomePage(slug="home", locale=locale, **fields))
    home.save_revision().publish()
    Site.objects.update_or_create(
        is_default_site=True,
        defaults={"root_page": home, "site_name": settings.WAGTAIL_SITE_NAME, **site_address()},
    )
    return home


def match_site_to_base_url():
    """Wagtail builds full page URLs (its e-mails, feeds, sitemaps) from the site record: it
    names the address the site is served on (WAGTAILADMIN_BASE_URL, which follows PORT), on
    every run, so `PORT=8201 make run` after a run on 8000 moves it too."""
    Site.objects.filter(is_default_site=True).update(**site_address())
