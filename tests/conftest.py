import os
import shutil
import tempfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.utils import translation
from wagtail.models import Locale, Page, Site

from core.translation import ensure_translation
from tests.factories import HomePageFactory

MEMORY_FOLDER = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None


@pytest.fixture(autouse=True)
def empty_cache():
    """Rate limits and cool-downs live in the cache: each test starts with none (and with no
    synonym table kept in the process from another test's rolled-back rows)."""
    from search.synonyms import clear_cache

    cache.clear()
    clear_cache()
    yield
    cache.clear()
    clear_cache()


@pytest.fixture(autouse=True)
def default_language_after_each_test():
    """A request under /en/ leaves English active in the test's thread, where a later test's
    reverse() would give /en/ addresses: which test runs next depends on the order (xdist)."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def locales(db):
    return (
        Locale.objects.get_or_create(language_code="ja")[0],
        Locale.objects.get_or_create(language_code="en")[0],
    )


@pytest.fixture
def home_page(locales):
    """A Japanese home page with its English translation, as the default site's root."""
    _locale_ja, locale_en = locales
    root = Page.get_first_root_node()
    for placeholder in root.get_children().exact_type(Page):
        placeholder.delete()
    home = HomePageFactory(parent=root)
    Site.objects.update_or_create(
        is_default_site=True, defaults={"hostname": "localhost", "port": 80, "root_page": home}
    )
    ensure_translation(
        home,
        locale_en,
        {"title": "Municipal CIO Academy", "lead": "A place where officials help each other."},
    )
    return home


@pytest.fixture(autouse=True)
def search_index(settings, tmp_path):
    """Each test writes to a search index of its own, in memory where the machine has a tmpfs:
    every index commit is synced to disk, which is most of a small test's time on a real one."""
    folder = Path(tempfile.mkdtemp(prefix="cio-test-index-", dir=MEMORY_FOLDER))
    settings.WAGTAILSEARCH_BACKENDS = {
        "default": {"BACKEND": "search.backends.tantivy", "PATH": str(folder)}
    }
    yield folder
    shutil.rmtree(folder, ignore_errors=True)
