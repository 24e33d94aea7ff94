from django.utils.translation import gettext_lazy as _
from wagtail.models import Locale, Page

from search.registry import SearchableType, register


def live_pages_in_active_language(request):
    return Page.objects.live().filter(locale=Locale.get_active()).specific()


register(
    SearchableType(
        name="page",
        label=_("Page"),
        queryset=live_pages_in_active_language,
        title=lambda page: page.title,
        order=900,
    )
)
