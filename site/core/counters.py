"""Where the security counters live: failed sign-ins and the lockout, the other allauth rate
limits, used one-time (TOTP) codes and the knowledge base's posting limits.

They need a store that nothing else can evict and that every process shares. The default cache
is neither without Redis (a per-process memory cache of 300 entries, which reading ~150 question
pages filled with rendered Markdown, wiping the lockout; and each gunicorn worker counted for
itself, so two workers allowed twice the guesses). So the counters have a cache alias of their
own, "security" (settings.SECURITY_COUNTERS):

- `database` (the default): `DatabaseCounterStore`, rows of `core.SecurityCounter`; increments
  lock the row in a transaction (SQLite takes its write lock when the transaction begins);
  entries past their expiry are ignored and swept now and then. Nothing culls live entries.
- `redis`: Redis at REDIS_URL under a prefix of its own; Redis must not evict keys (its
  `maxmemory-policy` must be `noeviction`, the default), or it would lose the counters as the
  memory cache did.

allauth reads the default cache through its own module global, so `route_allauth_counters`
points its rate limiter and its used-code record at this store. A per-process backend for the
alias is an error (system check core.E002), and the production settings refuse to start with one.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from allauth.core.internal import ratelimit
from allauth.mfa.totp.internal import auth as totp
from django.conf import settings
from django.core import checks
from django.core.cache import caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.connection import ConnectionProxy

from .models import SecurityCounter

ALIAS = "security"
PER_PROCESS_BACKENDS = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
    "django.core.cache.backends.filebased.FileBasedCache",
)
SWEEP_EVERY_SECONDS = 300

security_cache = ConnectionProxy(caches, ALIAS)


class DatabaseCounterStore(BaseCache):
    """A cache backend over `core.SecurityCounter`: JSON values, expiry, atomic `incr`, and no
    culling. Meant for small, hot, must-not-lose entries, not for page fragments."""

    _last_sweep = 0.0

    def __init__(self, location=None, params=None):
        super().__init__(params or {})

    @staticmethod
    def _model():
        return SecurityCounter

    def _key(self, key, version):
        key = self.make_and_validate_key(key, version=version)
        if len(key) > 250:
            raise ValueError("Security counter keys are at most 250 characters.")
        return key

    def _expiry(self, timeout):
        expires = self.get_backend_timeout(timeout)
        return None if expires is None else datetime.fromtimestamp(expires, tz=UTC)

    def _live(self, key):
        now = timezone.now()
        return self._model().objects.filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now), key=key
        )

    def _sweep(self):
        now = time.monotonic()
        if now - DatabaseCounterStore._last_sweep < SWEEP_EVERY_SECONDS:
            return
        DatabaseCounterStore._last_sweep = now
        self._model().objects.filter(expires_at__lte=timezone.now()).delete()

    def get(self, key, default=None, version=None):
        key = self._key(key, version)
        row = self._live(key).values_list("value", flat=True).first()
        return default if row is None else row

    def has_key(self, key, version=None):
        return self._live(self._key(key, version)).exists()

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        key = self._key(key, version)
        self._model().objects.update_or_create(
            key=key, defaults={"value": value, "expires_at": self._expiry(timeout)}
        )
        self._sweep()

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        key = self._key(key, version)
        model = self._model()
        with transaction.atomic():
            model.objects.filter(key=key, expires_at__lte=timezone.now()).delete()
            try:
                with transaction.atomic():
                    model.objects.create(key=key, value=value, expires_at=self._expiry(timeout))
            except IntegrityError:
                return False
        self._sweep()
        return True

    def incr(self, key, delta=1, version=None):
        key = self._key(key, version)
        with transaction.atomic():
            row = self._live(key).select_for_update().first()
            if row is None:
                raise ValueError(f"Key '{key}' not found.")
            if not isinstance(row.value, int) or isinstance(row.value, bool):
                raise TypeError(f"Key '{key}' does not hold a number.")
            row.value += delta
            row.save(update_fields=["value"])
            return row.value

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        key = self._key(key, version)
        return bool(self._live(key).update(expires_at=self._expiry(timeout)))

    def delete(self, key, version=None):
        return bool(self._model().objects.filter(key=self._key(key, version)).delete()[0])

    def clear(self):
        self._model().objects.all().delete()


def route_allauth_counters() -> None:
    """allauth's rate limiter and its record of used TOTP codes read the default cache through
    module globals: point them at the security store."""
    ratelimit.cache = security_cache
    totp.cache = security_cache


def security_store_problem() -> str | None:
    """Why the security counters' store will not do, or None."""
    config = settings.CACHES.get(ALIAS)
    if config is None:
        return f'CACHES has no "{ALIAS}" alias for the security counters.'
    if config["BACKEND"] in PER_PROCESS_BACKENDS:
        return (
            f'The "{ALIAS}" cache ({config["BACKEND"]}) is per process or per machine: '
            "each process would count failed sign-ins and posts for itself. Use "
            "SECURITY_COUNTERS=database (the default) or redis with REDIS_URL."
        )
    return None


@checks.register(checks.Tags.caches)
def check_security_store(app_configs=None, **kwargs):
    problem = security_store_problem()
    if problem:
        return [checks.Error(problem, id="core.E002")]
    return []


def refuse_per_process_store_in_production() -> None:
    """Called when the apps load: production does not start with a per-process store (gunicorn
    runs no system checks)."""
    problem = security_store_problem()
    if problem and getattr(settings, "PRODUCTION", False):
        raise ImproperlyConfigured(problem)
