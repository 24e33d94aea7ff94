from django.utils.translation import gettext_lazy as _
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from .models import SynonymGroup


class SynonymGroupViewSet(SnippetViewSet):
    model = SynonymGroup
    icon = "search"
    menu_label = _("Search synonyms")
    menu_order = 220
    add_to_admin_menu = True
    list_display = ["__str__", "note"]
    search_fields = ["terms", "note"]


register_snippet(SynonymGroupViewSet)
