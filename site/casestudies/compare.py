"""Up to three cases side by side, at ``<index url>compare/?ids=12,15,20`` (or ``?ids=12&ids=15``).

Each row is one field, aligned across the cases; outcomes are aligned by the kind of metric and
what was measured, with the figure per 10,000 residents where the population is known."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .listing import card_queryset, cases_under, display_number
from .models import Metric

MAX_CASES = 3
MAX_IDS_READ = 50


@dataclass
class Selection:
    ids: list[int] = field(default_factory=list)
    malformed: list[str] = field(default_factory=list)


def parse_ids(request) -> Selection:
    """The ids asked for, in order and without repeats; anything not a number is set aside."""
    selection = Selection()
    tokens = []
    for raw in request.GET.getlist("ids")[:MAX_IDS_READ]:
        tokens.extend(raw.replace("、", ",").split(","))
    for token in tokens[:MAX_IDS_READ]:
        token = token.strip()
        if not token:
            continue
        if token.isascii() and token.isdigit() and 0 < int(token) < 2**31:
            if int(token) not in selection.ids:
                selection.ids.append(int(token))
        elif token not in selection.malformed:
            selection.malformed.append(token[:20])
    return selection


@dataclass
class MetricCell:
    value: object
    unit: str
    per_10k: object
    baseline: str
    after: str
    period: str

    @property
    def change(self) -> str:
        """「424h44m → 88h18m」 when both are known, 「移行前: …」 or 「移行後: …」 when one is,
        nothing when neither: no question marks on the page."""
        if self.baseline and self.after:
            return f"{self.baseline} → {self.after}"
        if self.baseline:
            return _("before: %(value)s") % {"value": self.baseline}
        if self.after:
            return _("after: %(value)s") % {"value": self.after}
        return ""

    @property
    def value_display(self) -> str:
        return display_number(self.value)

    @property
    def per_10k_display(self) -> str:
        return display_number(self.per_10k)


@dataclass
class MetricRow:
    kind: str
    kind_label: str
    name: str
    cells: list[MetricCell | None]


def metric_rows(cases) -> list[MetricRow]:
    """One row per (kind, what was measured), in the order they first appear; where a case
    recorded the same measure twice, the first one recorded."""
    keys: list[tuple[str, str]] = []
    by_case: list[dict[tuple[str, str], Metric]] = []
    for case in cases:
        found: dict[tuple[str, str], Metric] = {}
        for metric in case.metric_list:
            key = (metric.kind, " ".join(metric.name.split()))
            found.setdefault(key, metric)
            if key not in keys:
                keys.append(key)
        by_case.append(found)
    order = {kind: n for n, kind in enumerate(Metric.Kind.values)}
    keys.sort(key=lambda k: order.get(k[0], len(order)))  # stable: first appearance within a kind
    rows = []
    for kind, name in keys:
        cells = []
        for case, found in zip(cases, by_case, strict=True):
            metric = found.get((kind, name))
            cells.append(
                MetricCell(
                    value=metric.value,
                    unit=metric.unit,
                    per_10k=case.per_10k(metric.value)
                    if per_10k_applies(kind, metric.unit)
                    else None,
                    baseline=metric.baseline,
                    after=metric.after,
                    period=metric.period,
                )
                if metric
                else None
            )
        label = Metric.Kind(kind).label if kind in Metric.Kind.values else kind
        rows.append(MetricRow(kind=kind, kind_label=str(label), name=name, cells=cells))
    return rows


# Units of counts and amounts, which grow with the population: only these are divided by it.
COUNT_UNITS = frozenset(
    {"件", "人", "名", "時間", "h", "円", "千円", "万円", "億円", "枚", "回", "通", "台"}
    | {"人日", "人時", "人月", "時間分", "ページ", "頁", "手続", "業務", "冊", "部"}
)
AMOUNT_KINDS = (Metric.Kind.HOURS_SAVED, Metric.Kind.COST_SAVED)


def per_10k_applies(kind: str, unit: str | None = None) -> bool:
    """Whether a figure means anything per 10,000 residents: hours and money saved, and other
    figures counted in a unit of things or money (件, 人, 時間, 円…), alone or per period
    (件/年). Never a share or a rate (%, 割, ポイント, 倍), a duration per case (分), or a kind of
    figure whose unit is not known."""
    if kind in AMOUNT_KINDS:
        return True
    if kind != Metric.Kind.OTHER or not unit:
        return False
    base = unicodedata.normalize("NFKC", unit).strip().split("/")[0].strip()
    return base in COUNT_UNITS


def compare_view(request, index_page):
    selection = parse_ids(request)
    notices = []
    if selection.malformed:
        notices.append(
            _("These are not case numbers and were ignored: %(ids)s")
            % {"ids": ", ".join(selection.malformed)}
        )
    found = {
        case.pk: case
        for case in card_queryset(
            cases_under(index_page, dedupe=False).filter(pk__in=selection.ids)
        )
    }
    unknown = [str(pk) for pk in selection.ids if pk not in found]
    if unknown:
        notices.append(
            ngettext(
                "No published case has the number %(ids)s; it was ignored.",
                "No published cases have the numbers %(ids)s; they were ignored.",
                len(unknown),
            )
            % {"ids": ", ".join(unknown)}
        )
    cases = [found[pk] for pk in selection.ids if pk in found]
    if len(cases) > MAX_CASES:
        notices.append(
            _("Up to %(max)s cases can be compared; these are the first %(max)s of the %(n)s.")
            % {"max": MAX_CASES, "n": len(cases)}
        )
        cases = cases[:MAX_CASES]

    columns = []
    for case in cases:
        others = [c.pk for c in cases if c.pk != case.pk]
        columns.append(
            {
                "case": case,
                "costs": [
                    {
                        "yen": display_number(cost, 0),
                        "per_10k": display_number(case.per_10k(cost), 0),
                    }
                    if cost is not None
                    else None
                    for cost in (case.cost_initial_yen, case.cost_annual_yen)
                ],
                "remove_query": urlencode({"ids": ",".join(map(str, others))}) if others else "",
            }
        )
    context = {
        "index_page": index_page,
        "cases": cases,
        "columns": columns,
        "metric_rows": metric_rows(cases),
        "notices": notices,
        "max_cases": MAX_CASES,
    }
    return TemplateResponse(request, "casestudies/compare.html", context)
