"""Local development: debug on, e-mail printed to the console, a throwaway secret key."""

from .base import *  # noqa: F403
from .base import STATIC_ROOT, env

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env("SECRET_KEY", default="dev-only-insecure-key-do-not-use-in-production")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
# The demo's staff and moderator logins reach the admin without an authenticator app; set
# MFA_REQUIRED_FOR_STAFF=true to try the enforcement locally.
MFA_REQUIRED_FOR_STAFF = env.bool("MFA_REQUIRED_FOR_STAFF", default=False)

# The development server is one process, so its memory cache is shared by every request.
GENERATION_CACHE = env.bool("GENERATION_CACHE", default=True)

# WhiteNoise serves straight from the app folders, so there is nothing to collect in development.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
