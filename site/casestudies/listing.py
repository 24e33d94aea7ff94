"""The case library's listing: live cases under the index, faceted, sorted and paginated.

Facets are disjunctive: the counts shown for one facet apply every *other* active filter, so a
reader can widen a selection; several values within one facet are ORed, facets are ANDed. Every
count comes from one grouped query per facet (or, for the free-text technologies, one query whose
rows are counted here), so the number of queries does not grow with the number of cases.

What a filter combination shows beyond its page of cards (the `Summary`: values known, counts,
total) is kept in the cache under the case-library generation (`listing_cache`), so a listing
already counted runs only the queries for its cards. The cards read only the columns they show.
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
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.models import Page

from core.models import Topic
from core.slugs import is_slug
from people.models import Municipality, Prefecture

from . import listing_cache
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
    """Whole cases with their places, topics and metrics, in a constant number of queries (the
    comparison shows most of their fields; the listing's cards use `listing_cards`)."""
    return cases.select_related("municipality__prefecture").prefetch_related(
        Prefetch("topics", queryset=Topic.objects.order_by("sort_order", "name_ja")),
        Prefetch("metrics", queryset=Metric.objects.order_by("sort_order", "pk")),
    )


# What a card in the listing shows (includes/card.html), and the url_path its link is made from;
# the bodies, summaries and search fields of a case are many times larger and stay in the table.
CARD_FIELDS = (
    "title",
    "url_path",
    "population_band",
    "figure_status",
    "municipality",
    "municipality__name",
    "municipality__kind",
    "municipality__prefecture",
    "municipality__prefecture__name",
    "municipality__prefecture__name_en",
)


def listing_cards(cases):
    """The listing's cards: one query for the cases and one for each of their topics and metrics,
    each reading only the columns a card shows."""
    return (
        cases.select_related("municipality__prefecture")
        .only(*CARD_FIELDS)
        .prefetch_related(
            Prefetch(
                "topics",
                queryset=Topic.objects.only("name_ja", "name_en").order_by("sort_order", "name_ja"),
            ),
            Prefetch(
                "metrics",
                queryset=Metric.objects.only("page", "kind", "name", "value", "unit").order_by(
                    "sort_order", "pk"
                ),
            ),
        )
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


def normalised(filters: dict[str, list[str]]) -> dict[str, list[str]]:
    """A combination as the cache sees it: each facet's values sorted, and technologies by the
    case-blind key they are matched with, so that the order values came in does not matter."""
    return {
        name: sorted({technology_key(v) for v in values} if name == "technology" else set(values))
        for name, values in filters.items()
    }


def facet_q(name, values, technology_pks=()) -> Q:
    """The cases one facet's values leave (all of them when none is chosen). Technologies are
    free text, matched in Python: ``technology_pks`` are the cases they leave."""
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
        return Q(pk__in=technology_pks)
    if name == "year":
        return Q(started__year__in=[int(v) for v in values])
    if name == "status":
        return Q(figure_status__in=values)
    raise ValueError(name)


def filters_q(filters, technology_pks, *, without: str | None = None) -> Q:
    q = Q()
    for name in FACET_NAMES:
        if name != without:
            q &= facet_q(name, filters[name], technology_pks)
    return q


# --- What a combination shows besides its cards ------------------------------------------------


class Summary:
    """Everything one filter combination shows that neither the sort nor the page changes: the
    requested values that exist (with their labels), each facet's counts and the number of
    results. What ``data()`` returns is plain data, which the cache keeps (listing_cache)."""

    def __init__(self, base, filters: dict[str, list[str]]):
        self.base = base
        self.filters = {name: list(values) for name, values in filters.items()}
        self.known: dict[str, dict[str, str]] = {"prefecture": {}, "topic": {}, "technology": {}}
        self._validate()

    # Unknown values are ignored, and known ones keep a label even when no case is left for them.
    def _validate(self):
        f = self.filters
        if f["prefecture"]:
            prefectures = Prefecture.objects.filter(code__in=f["prefecture"])
            self.known["prefecture"] = {p.code: p.display_name for p in prefectures}
            f["prefecture"] = [v for v in f["prefecture"] if v in self.known["prefecture"]]
        if f["topic"]:
            topics = Topic.objects.filter(slug__in=f["topic"])
            self.known["topic"] = {t.slug: t.name for t in topics}
            f["topic"] = [v for v in f["topic"] if v in self.known["topic"]]
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
        f["technology"] = [key for key in f["technology"] if key in self._technology_labels]
        self.known["technology"] = {key: self._technology_labels[key] for key in f["technology"]}
        wanted = set(f["technology"])
        self.technology_pks = (
            sorted(pk for pk, keys in self._technologies.items() if keys & wanted) if wanted else []
        )

    def filtered(self, *, without: str | None = None):
        return self.base.filter(filters_q(self.filters, self.technology_pks, without=without))

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
            # Only the most common are offered (and any ticked): the rest need not be kept.
            selected = set(self.filters[name])
            kept = dict(ordered[:MAX_TECHNOLOGY_OPTIONS])
            kept.update((k, n) for k, n in ordered[MAX_TECHNOLOGY_OPTIONS:] if k in selected)
            # A ticked technology no case is left for is still offered, as it is spelled.
            return kept, {k: self._technology_labels[k] for k in {*kept, *selected}}
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

    def data(self) -> dict:
        return {
            "known": self.known,
            "counts": {name: self._counts(name) for name in FACET_NAMES},
            "total": self.filtered().count(),
            "technology_pks": self.technology_pks,
        }


# --- The listing -----------------------------------------------------------------------------


class Listing:
    """Filters, facet counts and the filtered cases for one request."""

    def __init__(self, index_page, request):
        self.index_page = index_page
        self.request = request
        self.base = cases_under(index_page)
        self.sort = parse_sort(request)
        requested = parse_filters(request)
        combination = normalised(requested)
        self.summary = listing_cache.cached(
            listing_cache.entry_key(index_page.pk, combination),
            lambda: Summary(self.base, combination).data(),
        )
        self.filters = self._known(requested)

    def _known(self, requested: dict[str, list[str]]) -> dict[str, list[str]]:
        """The requested values that exist, in the order they came in (which links keep)."""
        known = self.summary["known"]
        filters = dict(requested)
        for name in ("prefecture", "topic"):
            filters[name] = [v for v in requested[name] if v in known[name]]
        technologies = []
        for value in requested["technology"]:
            key = technology_key(value)
            if key in known["technology"] and key not in technologies:
                technologies.append(key)
        filters["technology"] = technologies
        return filters

    @property
    def active(self) -> bool:
        return any(self.filters.values())

    @property
    def total(self) -> int:
        return self.summary["total"]

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
        return labels.get(value) or self.summary["known"].get(name, {}).get(value) or value

    def facets(self) -> list[Facet]:
        facets = []
        for name in FACET_NAMES:
            counts, labels = self.summary["counts"][name]
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
        q = filters_q(self.filters, self.summary["technology_pks"])
        return listing_cards(self.base.filter(q)).order_by(*SORTS[self.sort][1])

    def querystring(self, *, sort: bool = True) -> str:
        """The filters (and sort) as GET parameters, for links that keep them."""
        spellings = self.summary["known"]["technology"]
        pairs = []
        for name in FACET_NAMES:
            for value in self.filters[name]:
                if name == "technology":
                    value = spellings.get(value, value)
                pairs.append((name, value))
        if sort and self.sort != DEFAULT_SORT:
            pairs.append(("sort", self.sort))
        return urlencode(pairs)


class CountedPaginator(Paginator):
    """A paginator told its count (the summary's), which would otherwise be a COUNT query."""

    def __init__(self, object_list, per_page, *, count: int, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self._known_count = count

    @cached_property
    def count(self) -> int:
        return self._known_count


def listing_context(index_page, request) -> dict:
    listing = Listing(index_page, request)
    facets = listing.facets()
    paginator = CountedPaginator(listing.results(), PER_PAGE, count=listing.total)
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
