"""The load test (`make loadtest`, benchmarks/loadtest/run.py): production settings served over
plain HTTP on the loopback interface, where there is no TLS-terminating proxy.

Everything else is production's: DEBUG off, hashed and compressed static files through WhiteNoise,
the Redis cache (REDIS_URL), PostgreSQL (DATABASE_URL), the posting rate limits and the review of
new members' posts. The relaxations, each needed only because the client speaks plain HTTP:

- No redirect to HTTPS: every request would otherwise be a 301 to an address nobody listens on.
- No HSTS header: it would tell the client to use HTTPS for 127.0.0.1 from then on.
- Session and CSRF cookies without the Secure flag: an HTTP client never sends Secure cookies back,
  so nobody could stay signed in or pass the CSRF check.

One setting plays the part of the load balancer rather than relaxing anything: every simulated
member arrives from 127.0.0.1, so the client's address is read from X-Forwarded-For (one trusted
proxy), where the scenario puts a distinct address per simulated member. The sign-in rate limits
per address then apply as they would to members behind a proxy in production.
"""

from .production import *  # noqa: F403

SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = False
SECURE_HSTS_PRELOAD = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
ALLAUTH_TRUSTED_PROXY_COUNT = 1
