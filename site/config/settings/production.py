"""Production: every secret from the environment, HTTPS only, hashed and compressed static files.
`manage.py check --deploy` passes with no warnings (a test asserts it)."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import STORAGES, TASK_BACKENDS, env

DEBUG = False
PRODUCTION = True

SECRET_KEY = env("SECRET_KEY", default="")
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a random string of 50 or more characters."
    )
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")

# Credentials name their issuer by this address for as long as they exist: a placeholder here
# would be signed into every credential.
CREDENTIALS_BASE_URL = env("CREDENTIALS_BASE_URL", default=env("WAGTAILADMIN_BASE_URL", default=""))
if not CREDENTIALS_BASE_URL.startswith("https://"):
    raise ImproperlyConfigured(
        "CREDENTIALS_BASE_URL (or WAGTAILADMIN_BASE_URL) must be the site's public https address."
    )

SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# Behind a TLS-terminating load balancer that sets X-Forwarded-Proto.
if env.bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https"
# Staff, administrators and moderators must sign in with an authenticator app: not an option here.
MFA_REQUIRED_FOR_STAFF = True

TASKS = {"default": {"BACKEND": TASK_BACKENDS[env("TASKS_BACKEND", default="database")]}}

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
