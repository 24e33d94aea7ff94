from django.utils.translation import gettext_lazy as _
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from .models import Competency, Role


class CompetencyViewSet(SnippetViewSet):
    model = Competency
    icon = "pick"
    menu_label = _("Competency areas")
    list_display = ["code", "name_ja", "name_en"]
    search_fields = ["code", "name_ja", "name_en"]
    ordering = ["sort_order", "code"]


class RoleViewSet(SnippetViewSet):
    model = Role
    icon = "group"
    menu_label = _("Roles")
    list_display = ["code", "name_ja", "name_en", "rank"]
    search_fields = ["code", "name_ja", "name_en"]
    ordering = ["rank", "code"]


class CareerFrameworkGroup(SnippetViewSetGroup):
    items = (CompetencyViewSet, RoleViewSet)
    menu_icon = "pick"
    menu_label = _("Career framework")
    menu_name = "career-framework"
    menu_order = 210


register_snippet(CareerFrameworkGroup)
