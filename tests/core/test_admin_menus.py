"""Who sees which permission-checked admin menu item: one class (core.admin_menus), used by the
curriculum, credentials, careers and knowledge apps."""

import pytest
from django.contrib.auth.models import Permission
from django.test import RequestFactory
from django.urls import reverse
from wagtail import hooks

from core.admin_menus import PermissionMenuItem
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# url name: the permissions, any one of which shows the item
MENU_ITEMS = {
    "learning_reports": ["curriculum.view_enrolment"],
    "bulk_enrol": ["curriculum.add_enrolment"],
    "credential_awards": ["credentials.view_award"],
    "organisation_report": [
        "credentials.view_organisation_report",
        "credentials.view_all_organisations",
    ],
    "knowledge_moderation": ["knowledge.moderate_posts"],
}


def user_with(*permissions, **fields):
    user = UserFactory(**fields)
    for name in ("wagtailadmin.access_admin", *permissions):
        app_label, codename = name.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return user


def shown(item, user) -> bool:
    request = RequestFactory().get("/admin/")
    request.user = user
    return item.is_shown(request)


def menu_items() -> dict[str, PermissionMenuItem]:
    registered = [
        make()
        for hook in ("register_admin_menu_item", "register_reports_menu_item")
        for make in hooks.get_hooks(hook)
    ]
    return {item.url: item for item in registered}


@pytest.mark.parametrize("url_name", MENU_ITEMS)
def test_each_item_is_shown_to_holders_of_its_permissions_only(url_name):
    item = menu_items()[reverse(url_name)]
    assert isinstance(item, PermissionMenuItem)
    assert not shown(item, user_with())
    for permission in MENU_ITEMS[url_name]:
        assert shown(item, user_with(permission)), permission
    others = {p for names in MENU_ITEMS.values() for p in names} - set(MENU_ITEMS[url_name])
    assert not shown(item, user_with(*others))
    assert shown(item, UserFactory(is_superuser=True, is_staff=True))


def test_a_single_permission_may_be_given_as_a_string():
    item = PermissionMenuItem("Reports", "/admin/x/", permissions="curriculum.view_enrolment")
    assert item.permissions == ("curriculum.view_enrolment",)
    assert shown(item, user_with("curriculum.view_enrolment"))
    assert not shown(item, user_with("curriculum.add_enrolment"))
