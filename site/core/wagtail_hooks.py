from django.utils.translation import gettext_lazy as _
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from .models import Topic


class TopicViewSet(SnippetViewSet):
    model = Topic
    icon = "tag"
    menu_label = _("Topics")
    menu_order = 200
    add_to_admin_menu = True
    list_display = ["name_ja", "name_en", "slug", "sort_order"]
    search_fields = ["name_ja", "name_en", "slug"]
    ordering = ["sort_order", "name_ja"]


register_snippet(TopicViewSet)
