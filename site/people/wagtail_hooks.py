from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.panels import FieldPanel
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup

from .models import Municipality, Profile


class MunicipalityViewSet(ModelViewSet):
    model = Municipality
    icon = "site"
    menu_label = _("Municipalities")
    list_display = ["code", "name", "kana", "prefecture", "kind"]
    list_filter = ["kind", "prefecture"]
    search_fields = ["code", "name", "kana"]
    list_per_page = 50
    panels = [
        FieldPanel("code", read_only=True),
        FieldPanel("name"),
        FieldPanel("kana"),
        FieldPanel("prefecture"),
        FieldPanel("kind"),
        FieldPanel("parent"),
        FieldPanel("website"),
    ]

    def get_queryset(self, request):
        return Municipality.objects.select_related("prefecture")


class ProfileViewSet(ModelViewSet):
    model = Profile
    icon = "user"
    menu_label = _("Profiles")
    list_display = ["display_name", "user", "municipality", "job_title", "is_public"]
    list_filter = ["is_public", "open_to_questions", "municipality__prefecture"]
    search_fields = ["display_name", "user__email", "department", "job_title"]
    list_per_page = 50
    add_to_settings_menu = False
    panels = [
        FieldPanel("display_name"),
        FieldPanel("municipality"),
        FieldPanel("department"),
        FieldPanel("job_title"),
        FieldPanel("bio"),
        FieldPanel("expertise"),
        FieldPanel("is_public"),
        FieldPanel("open_to_questions"),
    ]

    def get_queryset(self, request):
        return Profile.objects.select_related("user", "municipality__prefecture")


class PeopleViewSetGroup(ModelViewSetGroup):
    menu_label = _("People")
    menu_icon = "group"
    menu_order = 210
    items = [ProfileViewSet, MunicipalityViewSet]


@hooks.register("register_admin_viewset")
def register_people_admin():
    return PeopleViewSetGroup()


@hooks.register("register_log_actions")
def people_log_actions(actions):
    # Recorded without the data itself: the entry says that it happened, to which account number.
    actions.register_action(
        "people.export_personal_data",
        _("Download personal data"),
        _("Member downloaded their personal data"),
    )
    actions.register_action(
        "people.delete_account",
        _("Delete account"),
        _("Member deleted their account and personal data"),
    )
