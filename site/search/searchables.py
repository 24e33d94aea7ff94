from django.utils.translation import gettext_lazy as _
from wagtail.models import Page

from core.translation import active_locale
from search.registry import SearchableType, page_models_with_their_own_type, register


def live_pages_in_active_language(request):
    """Pages that no other type claims (courses and lessons are listed as themselves)."""
    pages = Page.objects.live().filter(locale=active_locale(request))
    claimed = page_models_with_their_own_type()
    if claimed:
        pages = pages.not_type(*claimed)
    return pages.specific()


register(
    SearchableType(
        name="page",
        label=_("Page"),
        queryset=live_pages_in_active_language,
        title=lambda page: page.title,
        order=900,
    )
)
