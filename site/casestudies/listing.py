"""The case library's listing: live cases under the index, faceted, sorted and paginated.

Facets are disjunctive: the counts shown for one facet apply every *other* active filter, so a
reader can widen a selection; several values within one facet are ORed, facets are ANDed. Every
count comes from one grouped query per facet (or, for the free-text technologies, one query whose
rows are counted here), so the number of queries does not grow with the number of cases.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q
from django.db.models.functions import ExtractYear
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from wagtail.models import Page

from core.models import Topic
from core.slugs import is_slug
from people.models import Municipality, Prefecture

from .models import CaseStudyPage, FigureStatus, Metric, PopulationBand

PER_PAGE = 12
MAX_VALUES_PER_FACET = 50
MAX_VALUE_LENGTH = 100
MAX_TECHNOLOGY_OPTIONS = 30  # the most common ones, and any that are ticked

SORTS = {
    "newest": (_("Newest first"), (F("first_published_at").desc(nulls_last=True), "-pk")),
    "hours": (
        _("Most hours saved"),
        (
            F("hours_saved_per_year").desc(nulls_last=True),
            F("first_published_at").desc(nulls_last=True),
            "-pk",
        ),
    ),
}
DEFAULT_SORT = "newest"

_PREFECTURE_CODE = re.compile(r"^\d{2}$")
_YEAR = re.compile(r"^\d{4}$")


# --- The cases under an index --------------------------------------------------------------


def cases_under(index_page, *, dedupe: bool = True):
    """Live, public cases under the index or any of its translations.

    Cases are written in one language; the English listing shows the Japanese case where no
    English translation exists. With ``dedupe`` a case appears once: in the index's own language
    where it has been translated, otherwise in the language it was written in.
    """
    indexes = Page.objects.filter(translation_key=index_page.translation_key).only("path", "depth")
    under = Q(pk__in=[])
    for index in indexes:
        under |= CaseStudyPage.objects.child_of_q(index)
    cases = CaseStudyPage.objects.filter(under).live().public()
    if dedupe:
        translated = CaseStudyPage.objects.filter(
            under, translation_key=OuterRef("translation_key"), locale_id=index_page.locale_id
        ).live()
        cases = cases.filter(Q(locale_id=index_page.locale_id) | ~Exists(translated))
    return cases


def topic_q(slugs) -> Q:
    """Cases with any of these topics (a subquery, so a case is never counted twice)."""
    through = CaseStudyPage.topics.through
    return Q(pk__in=through.objects.filter(topic__slug__in=slugs).values("casestudypage_id"))


def split_technologies(text: str) -> list[str]:
    """The same split as ``CaseStudyPage.technology_list``, for a value read with values_list."""
    return [t.strip() for t in (text or "").replace("、", ",").split(",") if t.strip()]


def technology_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def display_number(value, places: int = 2) -> str:
    """A figure as people write it: grouped, rounded to ``places`` decimals, no trailing zeros
    (389.90 → "389.9", 1400.00 → "1,400"), in the active language's format."""
    if value is None:
        return ""
    try:
        number = Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        return str(value)
    number = number.normalize()
    if number == number.to_integral_value():
        number = number.quantize(Decimal(1))
    return number_format(number, use_l10n=True, force_grouping=True)


def key_metric(case) -> Metric | None:
    """What a card shows: the largest hours saved, otherwise the first outcome recorded."""
    metrics = case.metric_list
    hours = [m for m in metrics if m.kind == Metric.Kind.HOURS_SAVED]
    if hours:
        return max(hours, key=lambda m: m.value)
    return metrics[0] if metrics else None


def card_queryset(cases):
    """What the cards show, fetched in a constant number of queries."""
    return cases.select_related("municipality__prefecture").prefetch_related(
        Prefetch("topics", queryset=Topic.objects.order_by("sort_order", "name_ja")),
        Prefetch("metrics", queryset=Metric.objects.order_by("sort_order", "pk")),
    )


# --- Parameters ------------------------------------------------------------------------------


@dataclass
class Option:
    value: str
    label: str
    count: int = 0
    selected: bool = False


@dataclass
class Facet:
    name: str
    legend: str
    options: list[Option] = field(default_factory=list)

    @property
    def selected(self) -> list[Option]:
        return [o for o in self.options if o.selected]

    @property
    def selected_count(self) -> int:
        return sum(o.count for o in self.selected)


FACET_NAMES = ("prefecture", "kind", "band", "topic", "technology", "year", "status")
FACET_LEGENDS = {
    "prefecture": _("Prefecture"),
    "kind": _("Kind of municipality"),
    "band": _("Population"),
    "topic": _("Topic"),
    "technology": _("Technology"),
    "year": _("Year started"),
    "status": _("Status of the figures"),
}


def _values(request, name) -> list[str]:
    """The distinct, non-empty values of a GET parameter, in order, within sane limits."""
    seen = []
    for raw in request.GET.getlist(name)[: MAX_VALUES_PER_FACET * 2]:
        value = raw.strip()
        if value and len(value) <= MAX_VALUE_LENGTH and value not in seen:
            seen.append(value)
    return seen[:MAX_VALUES_PER_FACET]


def parse_filters(request) -> dict[str, list[str]]:
    """The filters a request asks for, with malformed values dropped (never an error). Values that
    are well-formed but unknown (a prefecture code no prefecture has) are dropped later."""
    return {
        "prefecture": [v for v in _values(request, "prefecture") if _PREFECTURE_CODE.match(v)],
        "kind": [v for v in _values(request, "kind") if v in Municipality.Kind.values],
        "band": [v for v in _values(request, "band") if v in PopulationBand.values],
        "topic": [v for v in _values(request, "topic") if is_slug(v)],
        "technology": _values(request, "technology"),
        "year": [v for v in _values(request, "year") if _YEAR.match(v) and 1900 <= int(v) <= 2100],
        "status": [v for v in _values(request, "status") if v in FigureStatus.values],
    }


def parse_sort(request) -> str:
    sort = request.GET.get("sort", "")
    return sort if sort in SORTS else DEFAULT_SORT


# --- The listing -----------------------------------------------------------------------------


class Listing:
    """Filters, facet counts and the filtered cases for one request."""

    def __init__(self, index_page, request):
        self.index_page = index_page
        self.request = request
        self.base = cases_under(index_page)
        self.filters = parse_filters(request)
        self.sort = parse_sort(request)
        self._labels: dict[str, dict[str, str]] = {}
        self._validate()

    # Unknown values are ignored, and known ones keep a label even when no case is left for them.
    def _validate(self):
        f = self.filters
        if f["prefecture"]:
            prefectures = Prefecture.objects.filter(code__in=f["prefecture"])
            self._labels["prefecture"] = {p.code: p.display_name for p in prefectures}
            f["prefecture"] = [v for v in f["prefecture"] if v in self._labels["prefecture"]]
        if f["topic"]:
            topics = Topic.objects.filter(slug__in=f["topic"])
            self._labels["topic"] = {t.slug: t.name for t in topics}
            f["topic"] = [v for v in f["topic"] if v in self._labels["topic"]]
        # Technologies are free text: one query reads them all, once, for filtering and counting.
        self._technologies: dict[int, set[str]] = {}
        spellings: dict[str, Counter] = {}
        for pk, text in self.base.values_list("pk", "technologies").order_by():
            keys = set()
            for name in split_technologies(text):
                key = technology_key(name)
                keys.add(key)
                spellings.setdefault(key, Counter())[name] += 1
            self._technologies[pk] = keys
        self._technology_labels = {k: c.most_common(1)[0][0] for k, c in spellings.items()}
        wanted = []
        for value in f["technology"]:
            key = technology_key(value)
            if key in self._technology_labels and key not in wanted:
                wanted.append(key)
        f["technology"] = wanted

    def q_for(self, name) -> Q:
        values = self.filters[name]
        if not values:
            return Q()
        if name == "prefecture":
            return Q(municipality__prefecture__code__in=values)
        if name == "kind":
            return Q(municipality__kind__in=values)
        if name == "band":
            return Q(population_band__in=values)
        if name == "topic":
            return topic_q(values)
        if name == "technology":
            wanted = set(values)
            return Q(pk__in=[pk for pk, keys in self._technologies.items() if keys & wanted])
        if name == "year":
            return Q(started__year__in=[int(v) for v in values])
        if name == "status":
            return Q(figure_status__in=values)
        raise ValueError(name)

    def filtered(self, *, without: str | None = None):
        q = Q()
        for name in FACET_NAMES:
            if name != without:
                q &= self.q_for(name)
        return self.base.filter(q)

    @property
    def active(self) -> bool:
        return any(self.filters.values())

    # Facet counts: one grouped query each, over the cases every other filter leaves.
    def _counts(self, name) -> tuple[dict[str, int], dict[str, str]]:
        cases = self.filtered(without=name).order_by()
        labels: dict[str, str] = {}
        if name == "prefecture":
            rows = (
                cases.values(
                    "municipality__prefecture__code",
                    "municipality__prefecture__name",
                    "municipality__prefecture__name_en",
                )
                .annotate(n=Count("pk"))
                .order_by("municipality__prefecture__code")
            )
            counts = {}
            for row in rows:
                code = row["municipality__prefecture__code"]
                counts[code] = row["n"]
                labels[code] = Prefecture(
                    name=row["municipality__prefecture__name"],
                    name_en=row["municipality__prefecture__name_en"],
                ).display_name
            return counts, labels
        if name == "kind":
            rows = cases.values("municipality__kind").annotate(n=Count("pk"))
            return {r["municipality__kind"]: r["n"] for r in rows}, labels
        if name == "band":
            rows = (
                cases.exclude(population_band="").values("population_band").annotate(n=Count("pk"))
            )
            return {r["population_band"]: r["n"] for r in rows}, labels
        if name == "topic":
            topics = (
                Topic.objects.filter(case_studies__in=cases)
                .annotate(n=Count("case_studies", distinct=True))
                .order_by("sort_order", "name_ja")
            )
            counts = {}
            for topic in topics:
                counts[topic.slug] = topic.n
                labels[topic.slug] = topic.name
            return counts, labels
        if name == "technology":
            counts = Counter()
            for pk in cases.values_list("pk", flat=True):
                counts.update(self._technologies.get(pk, ()))
            ordered = sorted(
                counts.items(), key=lambda kv: (-kv[1], self._technology_labels[kv[0]])
            )
            return dict(ordered), dict(self._technology_labels)
        if name == "year":
            rows = (
                cases.exclude(started=None)
                .annotate(started_year=ExtractYear("started"))
                .values("started_year")
                .annotate(n=Count("pk"))
                .order_by("-started_year")
            )
            return {str(r["started_year"]): r["n"] for r in rows}, labels
        if name == "status":
            rows = cases.values("figure_status").annotate(n=Count("pk"))
            return {r["figure_status"]: r["n"] for r in rows}, labels
        raise ValueError(name)

    def _ordered_values(self, name, counts: dict[str, int]) -> list[str]:
        """Values in their natural order; a selected value stays listed with a count of 0."""
        selected = self.filters[name]
        if name == "kind":
            order = list(Municipality.Kind.values)
        elif name == "band":
            order = list(PopulationBand.values)
        elif name == "status":
            order = list(FigureStatus.values)
        elif name == "year":
            order = sorted({*counts, *selected}, reverse=True)
        elif name == "technology":
            order = list(counts)[:MAX_TECHNOLOGY_OPTIONS]
            order += [v for v in selected if v not in order]
        else:
            order = list(counts) + [v for v in selected if v not in counts]
        return [v for v in order if counts.get(v) or v in selected]

    def _label(self, name, value, labels) -> str:
        if name == "kind":
            return str(Municipality.Kind(value).label)
        if name == "band":
            return str(PopulationBand(value).label)
        if name == "status":
            return str(FigureStatus(value).label)
        if name == "year":
            return value
        return labels.get(value) or self._labels.get(name, {}).get(value) or value

    def facets(self) -> list[Facet]:
        facets = []
        for name in FACET_NAMES:
            counts, labels = self._counts(name)
            selected = set(self.filters[name])
            facet = Facet(name=name, legend=str(FACET_LEGENDS[name]))
            for value in self._ordered_values(name, counts):
                facet.options.append(
                    Option(
                        # A technology is submitted as it is spelled; it is matched case-blind.
                        value=labels.get(value, value) if name == "technology" else value,
                        label=self._label(name, value, labels),
                        count=counts.get(value, 0),
                        selected=value in selected,
                    )
                )
            facets.append(facet)
        return facets

    def results(self):
        return card_queryset(self.filtered()).order_by(*SORTS[self.sort][1])

    def querystring(self, *, sort: bool = True) -> str:
        """The filters (and sort) as GET parameters, for links that keep them."""
        pairs = []
        for name in FACET_NAMES:
            for value in self.filters[name]:
                if name == "technology":
                    value = self._technology_labels.get(value, value)
                pairs.append((name, value))
        if sort and self.sort != DEFAULT_SORT:
            pairs.append(("sort", self.sort))
        return urlencode(pairs)


def listing_context(index_page, request) -> dict:
    listing = Listing(index_page, request)
    facets = listing.facets()
    paginator = Paginator(listing.results(), PER_PAGE)
    page_obj = paginator.get_page(request.GET.get("page"))
    cases = list(page_obj.object_list)
    for case in cases:
        case.key_metric = key_metric(case)
        case.key_metric_display = display_number(case.key_metric.value) if case.key_metric else ""
    return {
        "cases": cases,
        "page_obj": page_obj,
        "paginator": paginator,
        "facets": facets,
        "filters_active": listing.active,
        "result_count": paginator.count,
        "sort": listing.sort,
        "sorts": [(value, label) for value, (label, _order) in SORTS.items()],
        "querystring": listing.querystring(),
    }
