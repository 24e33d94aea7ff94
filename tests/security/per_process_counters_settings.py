"""Production settings with the security counters in a per-process cache: the site must refuse
to start (tests/security/test_security_counters.py)."""

from config.settings.production import *  # noqa: F403
from config.settings.production import CACHES

CACHES = {**CACHES, "security": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
