"""Admin menu items for pages that need a permission. Wagtail shows a menu item to every admin
user; the pages check the permission themselves, and this keeps the menu from offering a page
that would refuse the user."""

from collections.abc import Iterable

from wagtail.admin.menu import MenuItem


class PermissionMenuItem(MenuItem):
    """Shown to a user who has any of `permissions` ("app_label.codename"; a superuser has
    them all)."""

    def __init__(self, label, url, *, permissions: str | Iterable[str], **kwargs):
        super().__init__(label, url, **kwargs)
        # A lone string would otherwise be read one character at a time.
        self.permissions = (permissions,) if isinstance(permissions, str) else tuple(permissions)

    def is_shown(self, request):
        return any(request.user.has_perm(permission) for permission in self.permissions)
