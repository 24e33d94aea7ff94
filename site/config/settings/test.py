"""The test suite: fast hashing, mail kept in memory, media in a temporary folder."""

import tempfile
from pathlib import Path

from .base import *  # noqa: F403

SECRET_KEY = "test-only-key-not-secret-0123456789abcdefghijklmnopqrstuvwxyz"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# The suite's staff sign in without an authenticator; tests of the enforcement turn it on.
MFA_REQUIRED_FOR_STAFF = False
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "security": {"BACKEND": "core.counters.DatabaseCounterStore", "TIMEOUT": None},
}
# Other tests measure uncached rendering (query budgets); tests/performance/test_caching.py turns
# the anonymous page cache on.
PAGE_CACHE_SECONDS = 0
# Values cached under a course's or page's own generation (core/generations.py) are on, as in
# production: every test starts with an empty cache (tests/conftest.py).
GENERATION_CACHE = True
STATIC_ROOT = Path(tempfile.mkdtemp(prefix="cio-test-static-"))
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="cio-test-media-"))
SEARCH_INDEX_DIR = Path(tempfile.mkdtemp(prefix="cio-test-index-"))
WAGTAILSEARCH_BACKENDS = {
    "default": {"BACKEND": "search.backends.tantivy", "PATH": str(SEARCH_INDEX_DIR)}
}
WAGTAILADMIN_BASE_URL = "http://testserver"
CREDENTIALS_BASE_URL = "http://testserver"
CREDENTIALS_KEY_DIR = Path(tempfile.mkdtemp(prefix="cio-test-keys-"))

# django-modelsearch's own test models (books, novels, authors, animals in a tree) give the search
# backend contract suite a rich set of search_fields to run against.
INSTALLED_APPS = [*INSTALLED_APPS, "modelsearch.test.testapp"]  # noqa: F405
# Its migrations depend on modelsearch's own app, which Wagtail replaces: its tables are
# created directly.
MIGRATION_MODULES = {"searchtests": None}
