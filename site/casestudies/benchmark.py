"""Benchmarking against similar municipalities (類似団体), at ``<index url>benchmark/``.

For a topic and a kind of metric, the peer group is the cases whose municipality is of the same
kind (city, town, special ward…) and in the same population band as the chosen municipality. Each
case contributes one figure (its largest metric of that kind) and, where its population is known,
the same figure per 10,000 residents. The statistics are in :func:`distribution`, free of Django,
so that they can be tested on their own.
"""

from __future__ import annotations

import math
import re
import statistics
import unicodedata
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, OuterRef, Subquery
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from core.models import Topic
from people.models import Municipality

from .compare import per_10k_applies
from .listing import cases_under, display_number, topic_q
from .models import CaseStudyPage, FigureStatus, Metric, PopulationBand

DEFAULT_METRIC = Metric.Kind.HOURS_SAVED

# --- Statistics ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Distribution:
    n: int
    minimum: Decimal | None = None
    q1: Decimal | None = None
    median: Decimal | None = None
    q3: Decimal | None = None
    mean: Decimal | None = None
    maximum: Decimal | None = None

    def rows(self):
        """(label, value) pairs in the order a table shows them."""
        return [
            (_("Cases (n)"), self.n),
            (_("Minimum"), self.minimum),
            (_("Lower quartile (25%)"), self.q1),
            (_("Median"), self.median),
            (_("Upper quartile (75%)"), self.q3),
            (_("Mean"), self.mean),
            (_("Maximum"), self.maximum),
        ]


def _decimal(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def distribution(values) -> Distribution:
    """n, minimum, quartiles (``statistics.quantiles`` with the inclusive method), median, mean
    and maximum of the values; None values are left out. One value is its own quartiles."""
    data = sorted(_decimal(v) for v in values if v is not None)
    if not data:
        return Distribution(n=0)
    if len(data) == 1:
        (only,) = data
        return Distribution(1, only, only, only, only, only, only)
    q1, _q2, q3 = statistics.quantiles(data, n=4, method="inclusive")
    return Distribution(
        n=len(data),
        minimum=data[0],
        q1=q1,
        median=statistics.median(data),
        q3=q3,
        mean=statistics.mean(data),
        maximum=data[-1],
    )


@dataclass(frozen=True)
class Standing:
    value: Decimal
    rank: int  # 1 = the largest figure
    n: int
    percentile: int  # share of the group below it, counting ties as half


def standing(values, own) -> Standing | None:
    """Where ``own`` stands among ``values`` (which include it)."""
    if own is None:
        return None
    data = [_decimal(v) for v in values if v is not None]
    own = _decimal(own)
    if not data:
        return None
    above = sum(v > own for v in data)
    below = sum(v < own for v in data)
    ties = len(data) - above - below
    percentile = round(100 * (below + ties / 2) / len(data))
    return Standing(value=own, rank=above + 1, n=len(data), percentile=percentile)


# --- The chart -------------------------------------------------------------------------------

WIDTH = 640
MARGIN_X = 32
DOT_ROW = 12


def _fmt(x: float) -> str:
    """A coordinate for an SVG attribute: never localised, never with a thousands separator."""
    return f"{x:.1f}"


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    if hi <= lo:
        hi = lo + 1
    raw = (hi - lo) / max(count - 1, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    start = math.floor(lo / step) * step
    ticks = []
    tick = start
    while tick <= hi + step * 1e-9:
        ticks.append(round(tick, 10))
        tick += step
    if ticks[-1] < hi:
        ticks.append(round(tick, 10))
    return ticks


def _tick_label(value: float) -> str:
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def strip_chart(points, dist: Distribution, own_value=None) -> dict | None:
    """Coordinates for a box plot over a strip of dots, one dot per case. ``points`` are
    (value, figure_status, is_own, label). Shapes, not colours, tell the statuses apart."""
    if not dist.n:
        return None
    lo = min(0.0, float(dist.minimum))
    ticks = nice_ticks(lo, float(dist.maximum))
    lo, hi = ticks[0], ticks[-1]
    span = (hi - lo) or 1.0

    def x(value) -> float:
        return MARGIN_X + (float(value) - lo) / span * (WIDTH - 2 * MARGIN_X)

    box_top, box_height = 32, 28
    dots_y = box_top + box_height + 28
    rows: list[list[float]] = []
    dots = []
    for value, status, is_own, label in sorted(points, key=lambda p: p[0]):
        cx = x(value)
        row = next((i for i, r in enumerate(rows) if all(abs(cx - o) >= DOT_ROW for o in r)), None)
        if row is None:
            rows.append([])
            row = len(rows) - 1
        rows[row].append(cx)
        dots.append(
            {
                "x": _fmt(cx),
                "y": _fmt(dots_y + row * DOT_ROW),
                "shape": status if status in FigureStatus.values else FigureStatus.ILLUSTRATIVE,
                "own": is_own,
                "label": label,
                "x_minus": _fmt(cx - 4),
                "x_plus": _fmt(cx + 4),
                "y_minus": _fmt(dots_y + row * DOT_ROW - 4),
                "y_plus": _fmt(dots_y + row * DOT_ROW + 4),
            }
        )
    axis_y = dots_y + max(len(rows), 1) * DOT_ROW + 8
    legend_y = axis_y + 44
    middle = box_top + box_height / 2
    chart = {
        "width": WIDTH,
        "height": legend_y + 16,
        "box": {
            "x": _fmt(x(dist.q1)),
            "y": _fmt(box_top),
            "width": _fmt(max(x(dist.q3) - x(dist.q1), 1)),
            "height": _fmt(box_height),
            "median_x": _fmt(x(dist.median)),
            "min_x": _fmt(x(dist.minimum)),
            "max_x": _fmt(x(dist.maximum)),
            "q1_x": _fmt(x(dist.q1)),
            "q3_x": _fmt(x(dist.q3)),
            "top": _fmt(box_top),
            "bottom": _fmt(box_top + box_height),
            "middle": _fmt(middle),
        },
        "dots": dots,
        "axis": {
            "y": _fmt(axis_y),
            "x1": _fmt(MARGIN_X),
            "x2": _fmt(WIDTH - MARGIN_X),
            "tick_top": _fmt(axis_y),
            "tick_bottom": _fmt(axis_y + 6),
            "label_y": _fmt(axis_y + 22),
            "ticks": [{"x": _fmt(x(t)), "label": _tick_label(t)} for t in ticks],
        },
        "n": dist.n,
        "summary": summary_display(dist),
        "own_display": display_number(own_value),
        "legend_y": _fmt(legend_y),
        "legend_text_y": _fmt(legend_y + 4),
        "own": None,
    }
    if own_value is not None and lo <= float(own_value) <= hi:
        chart["own"] = {
            "x": _fmt(x(own_value)),
            "top": _fmt(box_top - 10),
            "bottom": _fmt(axis_y),
            "label_x": _fmt(min(max(x(own_value), MARGIN_X + 40), WIDTH - MARGIN_X - 40)),
            "label_y": _fmt(box_top - 14),
        }
    return chart


# --- Parameters ------------------------------------------------------------------------------


def _digits(raw: str) -> str:
    return unicodedata.normalize("NFKC", raw).strip().replace("-", "")


def find_municipality(raw: str) -> Municipality | None:
    """A municipality by its local government code (6 digits, or the first 5 without the check
    digit) or by its id."""
    value = _digits(raw)
    if not (value.isascii() and value.isdigit()):
        return None
    municipalities = Municipality.objects.select_related("prefecture")
    if len(value) == 6:
        return municipalities.filter(code=value).first()
    if len(value) == 5:
        return municipalities.filter(code__startswith=value).first()
    if len(value) < 10:
        return municipalities.filter(pk=int(value)).first()
    return None


@dataclass
class Peer:
    case: CaseStudyPage
    value: Decimal
    unit: str
    per_10k: Decimal | None
    is_own: bool

    @property
    def value_display(self) -> str:
        return display_number(self.value)

    @property
    def per_10k_display(self) -> str:
        return display_number(self.per_10k)


def summary_display(dist: Distribution) -> dict:
    """The five figures of a box plot, formatted for the chart's description."""
    return {
        name: display_number(getattr(dist, name))
        for name in ("minimum", "q1", "median", "q3", "maximum", "mean")
    }


def nearest_band_with_cases(cases, band: str) -> str:
    """``band`` if one of ``cases`` is in it, else the nearest band that has one (the smaller on a
    tie: a town of 12,000 is closer in kind to one of 8,000 than to one of 80,000); ``band`` when
    none has. One query."""
    found = set(cases.exclude(population_band="").values_list("population_band", flat=True))
    if band in found or not found:
        return band
    order = list(PopulationBand.values)
    here = order.index(band)
    return min(found, key=lambda b: (abs(order.index(b) - here), order.index(b)))


def metric_cases(cases, metric: str):
    """Cases with at least one metric of this kind, annotated with the largest one and its unit."""
    largest = Metric.objects.filter(page=OuterRef("pk"), kind=metric).order_by("-value", "pk")
    return (
        cases.annotate(
            metric_value=Subquery(largest.values("value")[:1]),
            metric_unit=Subquery(largest.values("unit")[:1]),
        )
        .filter(metric_value__isnull=False)
        .select_related("municipality__prefecture")
    )


def benchmark_view(request, index_page):
    base = cases_under(index_page)
    notices = []

    topics = list(Topic.objects.filter(case_studies__in=base).distinct().order_by("sort_order"))
    municipalities = list(
        Municipality.objects.filter(case_studies__in=base)
        .distinct()
        .select_related("prefecture")
        .order_by("code")
    )

    topic_slug = request.GET.get("topic", "").strip()
    topic = next((t for t in topics if t.slug == topic_slug), None)
    if topic_slug and topic is None:
        topic = (
            Topic.objects.filter(slug=topic_slug[:60]).first()
            if re.fullmatch(r"[-\w]+", topic_slug[:60])
            else None
        )
        if topic is None:
            notices.append(_("There is no such topic; all topics are shown."))

    metric = request.GET.get("metric", "").strip()
    if metric not in Metric.Kind.values:
        if metric:
            notices.append(_("There is no such kind of figure; hours saved per year are shown."))
        metric = DEFAULT_METRIC

    published_only = request.GET.get("status") == FigureStatus.PUBLISHED

    typed_code = request.GET.get("code", "").strip()[:20]
    raw_code = typed_code or request.GET.get("municipality", "").strip()[:20]
    municipality = find_municipality(raw_code) if raw_code else None
    if raw_code and municipality is None:
        notices.append(_("No municipality has the code or number “%(code)s”.") % {"code": raw_code})

    band = request.GET.get("band", "").strip()
    band_from = "chosen"
    if band and band not in PopulationBand.values:
        notices.append(_("There is no such population band; it was ignored."))
        band = ""
    has_cases = False
    if municipality and not band:
        own_bands = list(
            base.filter(municipality=municipality)
            .order_by(F("started").desc(nulls_last=True), F("first_published_at").desc())
            .values_list("population_band", flat=True)
        )
        has_cases = bool(own_bands)
        band = next((b for b in own_bands if b), "")
        band_from = "cases" if band else ""

    context = {
        "index_page": index_page,
        "notices": notices,
        "topics": topics,
        "municipalities": municipalities,
        "metric_kinds": Metric.Kind.choices,
        "bands": PopulationBand.choices,
        "topic": topic,
        "metric": metric,
        "metric_label": Metric.Kind(metric).label,
        "municipality": municipality,
        "code": typed_code,
        "band": band,
        "band_label": PopulationBand(band).label if band else "",
        "band_from": band_from,
        "published_only": published_only,
        "per_10k_applies": per_10k_applies(metric),
        "has_cases": has_cases,
        "ready": False,
    }
    if municipality and band:
        context.update(_benchmark(base, municipality, band, topic, metric, published_only))
        context["band_label"] = PopulationBand(context["band"]).label
        context["ready"] = True
    return TemplateResponse(request, "casestudies/benchmark.html", context)


def _benchmark(base, municipality, band, topic, metric, published_only) -> dict:
    cases = base.filter(topic_q([topic.slug])) if topic else base
    if published_only:
        cases = cases.filter(figure_status=FigureStatus.PUBLISHED)
    with_metric = metric_cases(cases, metric)
    own_case = (
        with_metric.filter(municipality=municipality)
        .order_by("-metric_value", F("first_published_at").desc(nulls_last=True))
        .first()
    )
    same_kind = with_metric.filter(municipality__kind=municipality.kind)
    asked_band, band = band, nearest_band_with_cases(same_kind, band)
    group = same_kind.filter(population_band=band).order_by("-metric_value", "title")
    per_10k = per_10k_applies(metric)
    peers = [
        Peer(
            case=case,
            value=case.metric_value,
            unit=case.metric_unit,
            per_10k=case.per_10k(case.metric_value) if per_10k else None,
            is_own=own_case is not None and case.pk == own_case.pk,
        )
        for case in group
    ]
    values = [p.value for p in peers]
    values_10k = [p.per_10k for p in peers if p.per_10k is not None]
    own_value = own_case.metric_value if own_case else None
    own_10k = own_case.per_10k(own_value) if own_case and per_10k else None
    own_in_group = any(p.is_own for p in peers)
    dist = distribution(values)
    dist_10k = distribution(values_10k)
    units = Counter(p.unit for p in peers)
    unit = units.most_common(1)[0][0] if units else ""
    rows = []
    for (label, value), (_label, value_10k) in zip(dist.rows(), dist_10k.rows(), strict=True):
        rows.append(
            {
                "label": label,
                "value": display_number(value) if value is not None else None,
                "per_10k": display_number(value_10k) if value_10k is not None else None,
            }
        )
    points = [
        (float(p.value), p.case.figure_status, p.is_own, f"{p.case.title}（{p.case.municipality}）")
        for p in peers
    ]
    points_10k = [
        (
            float(p.per_10k),
            p.case.figure_status,
            p.is_own,
            f"{p.case.title}（{p.case.municipality}）",
        )
        for p in peers
        if p.per_10k is not None
    ]
    if not peers:
        situation = "empty"
    elif own_in_group:
        situation = "ranked"
    elif own_case is not None:
        situation = "placed"
    else:
        situation = "group_only"
    return {
        "situation": situation,
        "band": band,
        "asked_band": asked_band,
        "asked_band_label": PopulationBand(asked_band).label if asked_band != band else "",
        "peers": peers,
        "distribution": dist,
        "distribution_10k": dist_10k,
        "stats_rows": rows,
        "unit": unit,
        "mixed_units": len(units) > 1,
        "units": sorted(units),
        "own_case": own_case,
        "own_in_group": own_in_group,
        "own_standing": standing(values if own_in_group else [*values, own_value], own_value),
        "own_standing_10k": standing(
            values_10k if own_in_group else [*values_10k, own_10k], own_10k
        )
        if own_10k is not None
        else None,
        "own_value_10k": own_10k,
        "own_value_display": display_number(own_value),
        "own_value_10k_display": display_number(own_10k),
        "chart": strip_chart(points, dist, own_value),
        "chart_10k": strip_chart(points_10k, dist_10k, own_10k) if per_10k else None,
        "kind_label": municipality.get_kind_display(),
    }
