from django.utils.translation import gettext_lazy as _

from core.translation import active_locale
from search.registry import SearchableType, register

from .models import CaseStudyPage, FigureStatus, PopulationBand

# The case's structured fields the site search filters on (?figure_status=published&band=10k-50k).
FILTERS = {
    "figure_status": ("figure_status", FigureStatus.values),
    "band": ("population_band", PopulationBand.values),
}


def live_case_studies(request):
    # As for courses: the reader's language (the search backend cannot filter on `public()`).
    # Each result's title names the municipality: fetched with the page, not once per result.
    cases = (
        CaseStudyPage.objects.live()
        .filter(locale=active_locale(request))
        .select_related("municipality")
    )
    for parameter, (field, allowed) in FILTERS.items():
        value = request.GET.get(parameter, "")
        if value in allowed:
            cases = cases.filter(**{field: value})
    return cases


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
