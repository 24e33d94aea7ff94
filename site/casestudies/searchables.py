from django.utils.translation import gettext_lazy as _
from wagtail.models import Locale

from search.registry import SearchableType, register

from .models import CaseStudyPage


def live_case_studies(request):
    # As for courses: the reader's language (the search backend cannot filter on `public()`).
    return CaseStudyPage.objects.live().filter(locale=Locale.get_active())


register(
    SearchableType(
        name="case_study",
        label=_("Case study"),
        queryset=live_case_studies,
        title=lambda case: f"{case.title}（{case.municipality.name}）",
        topic_filter="topics",
        order=150,
        page_models=(CaseStudyPage,),
    )
)
