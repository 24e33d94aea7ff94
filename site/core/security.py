"""Response headers that browsers enforce: the Content Security Policy and the Permissions Policy.

The policies themselves are settings (CONTENT_SECURITY_POLICY, CSP_ADMIN_REPLACEMENTS in
config/settings/base.py); this module applies them.
"""

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings

# Features no page of the site uses are switched off for it and for anything it might embed.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
        "browsing-topics",
    )
)


def is_admin_path(path: str) -> bool:
    return path.startswith(settings.CSP_ADMIN_PATH_PREFIX)


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, with the admin's relaxations applied under its path only."""

    def get_policy_parts(self, request, response, report_only=False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only=report_only)
        if not report_only and is_admin_path(request.path_info):
            parts.replace = {**settings.CSP_ADMIN_REPLACEMENTS, **(parts.replace or {})}
        return parts


class PermissionsPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
