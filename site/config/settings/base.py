"""Settings shared by every environment. Everything that differs between machines comes from the
environment (see the configuration table in README.md)."""

from pathlib import Path

import environ
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

from search.settings import search_backend_settings

BASE_DIR = Path(__file__).resolve().parents[3]
SITE_DIR = BASE_DIR / "site"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

VAR_DIR = Path(env("VAR_DIR", default=str(BASE_DIR / "var")))

SECRET_KEY = env("SECRET_KEY", default="")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "core",
    "people",
    "search",
    "curriculum",
    "curriculum.credentials",
    "curriculum.careers",
    "casestudies",
    "knowledge",
    "talent",
    "demo",
    "wagtail.api.v2",
    "wagtail.contrib.forms",
    "wagtail.contrib.routable_page",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.locales",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "rest_framework",
    "django_tasks",
    "django_tasks_db",
    "csp",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "core.security.ContentSecurityPolicyMiddleware",
    "core.security.PermissionsPolicyMiddleware",
    # Static files are answered before the session, locale and auth layers run.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Stores anonymous pages; outside the session, CSRF and messages layers to see their cookies.
    "core.caching.UpdatePageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # An oversized body (413) or a NUL in the address (400) is refused before the CSRF check or a
    # view reads it.
    "core.uploads.RequestLimitsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # After the account layer: staff and moderators without MFA are sent to set it up.
    "people.middleware.MFARequiredMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Answers anonymous pages from the cache; last, as it needs the user, messages and view.
    "core.caching.FetchPageCacheMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [SITE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite creates the file but not its folder.
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL lets readers keep reading while the one writer commits.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "cio",
            "OPTIONS": {"IGNORE_EXCEPTIONS": False},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Security counters (failed sign-ins, posting limits, used one-time codes; core/counters.py) live
# apart from the cache, where nothing evicts them and every process shares them: in the database
# by default, or in Redis (which must not evict keys) with SECURITY_COUNTERS=redis.
SECURITY_COUNTERS = env("SECURITY_COUNTERS", default="database")
if SECURITY_COUNTERS == "redis":
    if not REDIS_URL:
        raise ImproperlyConfigured("SECURITY_COUNTERS=redis needs REDIS_URL.")
    CACHES["security"] = {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "cio-security",
        "TIMEOUT": None,
        "OPTIONS": {"IGNORE_EXCEPTIONS": False},
    }
elif SECURITY_COUNTERS == "database":
    CACHES["security"] = {"BACKEND": "core.counters.DatabaseCounterStore", "TIMEOUT": None}
else:
    raise ImproperlyConfigured("SECURITY_COUNTERS must be database or redis.")
# Seconds an anonymous page stays in the page cache (core/caching.py); 0 switches it off. On by
# default only with Redis: every process must see the same content generation.
PAGE_CACHE_SECONDS = env.int("PAGE_CACHE_SECONDS", default=300 if REDIS_URL else 0)
# What every reader of one course or page sees, cached under that content's own generation
# (core/generations.py). Needs a cache every process shares: on by default only with Redis (the
# development server and the tests, one process each, switch it on too).
GENERATION_CACHE = env.bool("GENERATION_CACHE", default=bool(REDIS_URL))
# Answers on one page of a question (knowledge/threads.py): a long thread comes in pages of this
# many, the accepted answer first on the first page.
KNOWLEDGE_ANSWERS_PER_PAGE = env.int("KNOWLEDGE_ANSWERS_PER_PAGE", default=20)

AUTH_USER_MODEL = "people.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "people:me"
LOGOUT_REDIRECT_URL = "/"

# django-allauth: sign-up by email with mandatory verification, MFA for everyone who wants it.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_SIGNUP_FORM_CLASS = "people.forms.SignupForm"
ACCOUNT_ADAPTER = "people.adapters.AccountAdapter"
ACCOUNT_USER_DISPLAY = "people.adapters.user_display"
ACCOUNT_DEFAULT_HTTP_PROTOCOL = env("ACCOUNT_DEFAULT_HTTP_PROTOCOL", default="http")
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_ADAPTER = "people.adapters.MFAAdapter"
# Staff, superusers, Wagtail admin users and moderators must have an active authenticator app
# before they reach the admin or moderate (people/mfa.py).
MFA_REQUIRED_FOR_STAFF = env.bool("MFA_REQUIRED_FOR_STAFF", default=True)
# The permissions that act on other members' content, besides being staff.
MFA_PRIVILEGED_PERMISSIONS = ["wagtailadmin.access_admin", "knowledge.moderate_posts"]
# Throttling through the security counters (SECURITY_COUNTERS), which every process shares.
# Failed sign-ins lock an account for 15 minutes after 5 failures, whatever the address they
# come from; the per-address limits are generous because a prefecture's LGWAN terminals reach
# the site through one shared gateway (自治体情報セキュリティクラウド), so many officials share
# one IP address.
ACCOUNT_RATE_LIMITS = {
    "login": "60/m/ip",
    "login_failed": "30/10m/ip,5/15m/key",
    "signup": "60/h/ip",
    "reset_password": "20/h/ip,3/h/key",
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/3m/key",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
    "reauthenticate": "10/m/user",
}
# Behind a load balancer, the client's address is the Nth from the right in X-Forwarded-For.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
MFA_TOTP_ISSUER = env("MFA_TOTP_ISSUER", default="自治体CIOアカデミー")

# EMAIL_URL, e.g. smtp+tls://user:password@smtp.example.jp:587; the console by default.
_email = env.email_url("EMAIL_URL", default="consolemail://")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST", "localhost")
EMAIL_PORT = _email.get("EMAIL_PORT", 25)
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
EMAIL_FILE_PATH = _email.get("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="自治体CIOアカデミー <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", "日本語"), ("en", "English")]
LOCALE_PATHS = [SITE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True
WAGTAIL_I18N_ENABLED = True
WAGTAIL_CONTENT_LANGUAGES = LANGUAGES

STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(VAR_DIR / "static")))
STATICFILES_DIRS = [SITE_DIR / "static"]
MEDIA_URL = env("MEDIA_URL", default="/media/")
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_S3_BUCKET = env("MEDIA_S3_BUCKET", default="")
if MEDIA_S3_BUCKET:
    # Any S3-compatible store; credentials come from the usual AWS_* variables.
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": MEDIA_S3_BUCKET,
            "endpoint_url": env("MEDIA_S3_ENDPOINT_URL", default=None),
            "region_name": env("MEDIA_S3_REGION", default=None),
            "custom_domain": env("MEDIA_S3_CUSTOM_DOMAIN", default=None),
            "file_overwrite": False,
            "querystring_auth": env.bool("MEDIA_S3_QUERYSTRING_AUTH", default=False),
        },
    }

SEARCH_INDEX_DIR = Path(env("SEARCH_INDEX_DIR", default=str(VAR_DIR / "search_index")))
# tantivy (embedded, compiled, Japanese-aware: the default), whoosh (embedded, pure Python),
# database (Wagtail's own), or a cluster: opensearch / elasticsearch at SEARCH_URL with the
# kuromoji analyzer (see search/settings.py).
SEARCH_BACKEND = env("SEARCH_BACKEND", default="tantivy")
WAGTAILSEARCH_BACKENDS = {"default": search_backend_settings(SEARCH_BACKEND, env, SEARCH_INDEX_DIR)}
# The taxonomy the site search's topic facet and filter use.
SEARCH_TOPIC_MODEL = "core.Topic"

WAGTAIL_SITE_NAME = "自治体CIOアカデミー"
# No third-party requests, the admin included (LGWAN terminals reach no outside host): no Gravatar
# avatars, no check for new Wagtail releases.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAIL_ENABLE_UPDATE_CHECK = False
# The address members are sent to (e-mails, the API, and through CREDENTIALS_BASE_URL credential
# ids and the issuer): by default where `make run` serves, which follows PORT.
WAGTAILADMIN_BASE_URL = env(
    "WAGTAILADMIN_BASE_URL", default=f"http://127.0.0.1:{env.int('PORT', default=8000)}"
)
# Every snippet type has its own menu group, which left /admin/snippets/ (linked from the admin's
# breadcrumbs and search) listing nothing and refusing even the superuser: it lists them all.
WAGTAILSNIPPETS_MENU_SHOW_ALL = True
# One way in: the admin signs in through allauth (rate limits, e-mail verification, the MFA stage),
# and passwords and e-mail addresses are managed there too (people/middleware.py also sends
# /admin/login/ to it).
WAGTAILADMIN_LOGIN_URL = "account_login"
WAGTAIL_PASSWORD_MANAGEMENT_ENABLED = False
WAGTAIL_PASSWORD_RESET_ENABLED = False
WAGTAIL_EMAIL_MANAGEMENT_ENABLED = False
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES
# Every kind the case-study form accepts (casestudies.forms.ATTACHMENT_TYPES) is here too: the
# document model refuses any other.
WAGTAILDOCS_EXTENSIONS = [
    "csv",
    "docx",
    "json",
    "key",
    "ods",
    "odt",
    "pdf",
    "pptx",
    "rtf",
    "txt",
    "xlsx",
    "xml",
    "zip",
]
WAGTAILIMAGES_EXTENSIONS = ["gif", "jpg", "jpeg", "png", "webp"]
# Uploads (core/uploads.py). No SVG: it can carry scripts. Images up to 10 MB and 40 million
# pixels are re-encoded without their metadata (EXIF, GPS, XMP), which Wagtail would otherwise
# keep in the original and copy into every rendition.
WAGTAILIMAGES_MAX_UPLOAD_SIZE = 10 * 1024 * 1024
WAGTAILIMAGES_MAX_IMAGE_PIXELS = 40_000_000
WAGTAILIMAGES_IMAGE_FORM_BASE = "core.uploads.MetadataStrippedImageForm"
# Documents go through Wagtail's view, always as downloads (no type is shown inline), with
# X-Content-Type-Options: nosniff and a Content-Security-Policy of default-src 'none'.
WAGTAILDOCS_SERVE_METHOD = "serve_view"
WAGTAILDOCS_INLINE_CONTENT_TYPES = []
WAGTAILDOCS_BLOCK_EMBEDDED_CONTENT = True
WAGTAILEMBEDS_RESPONSIVE_HTML = True
WAGTAIL_ALLOW_UNICODE_SLUGS = False
WAGTAILAPI_BASE_URL = WAGTAILADMIN_BASE_URL

# Credentials name the site by this address (their ids, the did:web issuer, the status lists):
# set it to the public https address in production. Private signing keys live in files here.
CREDENTIALS_BASE_URL = env("CREDENTIALS_BASE_URL", default=WAGTAILADMIN_BASE_URL)
CREDENTIALS_KEY_DIR = Path(env("CREDENTIALS_KEY_DIR", default=str(VAR_DIR / "keys")))
WAGTAILAPI_SEARCH_ENABLED = True

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}

# Background work (search indexing, later e-mail digests): run at once by default; with
# TASKS_BACKEND=database, queued in the database for `manage.py db_worker` (production's default).
TASK_BACKENDS = {
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
    "database": "django_tasks_db.DatabaseBackend",
}
TASKS = {"default": {"BACKEND": TASK_BACKENDS[env("TASKS_BACKEND", default="immediate")]}}

# Content Security Policy (django-csp, applied by core/security.py). The public site runs no inline
# script or style, so it allows nothing but its own files; every asset is served by the platform
# itself (LGWAN terminals reach no outside host), so no directive names another origin.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "media-src": [SELF],
        "object-src": [NONE],
        "frame-src": [NONE],
        "worker-src": [SELF],
        "manifest-src": [SELF],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# The Wagtail admin still writes inline scripts and styles of its own (wagtail/wagtail#1288), so
# under its path alone these directives are replaced. Its users are signed-in staff with MFA; every
# other directive stays as strict as on the public pages.
CSP_ADMIN_PATH_PREFIX = "/admin/"
CSP_ADMIN_REPLACEMENTS = {
    "script-src": [SELF, UNSAFE_INLINE],
    "style-src": [SELF, UNSAFE_INLINE],
    # Image previews and images pasted into the rich-text editor are blob: and data: URLs.
    "img-src": [SELF, "data:", "blob:"],
    # Page previews open in the admin's own frames.
    "frame-src": [SELF],
    "frame-ancestors": [SELF],
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000
# A form without files may be 5 MB (the admin's largest page forms); a request with files as
# large as the largest upload (a document in the admin) and the form around it. Larger bodies get
# a 413 page from core.uploads.RequestLimitsMiddleware. Files over 2.5 MB are streamed to a
# temporary file rather than held in memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
MAX_UPLOAD_REQUEST_SIZE = 25 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django_tasks": {"level": "WARNING"},
    },
}
