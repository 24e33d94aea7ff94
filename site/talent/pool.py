"""A prefecture's pool in figures (人材プールの状況): candidates by role and competency, open and
unfilled needs by municipality, and per competency how many candidates could answer the open
needs. Aggregates only, never a name. Eight queries whatever the size of the pool.

A competency level counts as verified when a standing credential the candidate chose to show
proves it (as in talent.matching); "declared only" counts candidates whose own statement reaches
the level while no shown credential does. The gap compares, per competency, the open needs that
ask for it with the candidates who reach the highest level any of them asks (verified or
declared): an approximation, since needs asking less are counted against the same bar."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, Max, Q, Sum
from django.utils import timezone

from curriculum.models.competencies import Competency
from people.models import Prefecture

from .models import (
    CompetencyClaim,
    NeedRequirement,
    TalentNeed,
    TalentProfile,
    TalentRole,
    TalentRoleClaim,
)
from .showcase import shown_standing_awards


@dataclass
class RoleRow:
    role: str
    label: str
    candidates: int


@dataclass
class CompetencyRow:
    competency: Competency
    verified_2: int = 0
    verified_3: int = 0
    declared_2: int = 0  # reach level 2 only by their own statement
    declared_3: int = 0
    needs: int = 0  # open needs asking for the competency
    asked: int = 0  # the highest level they ask
    able: int = 0  # candidates at that level or above, verified or declared

    @property
    def gap(self) -> int:
        """Open needs beyond the candidates able to answer them (0 when there are enough)."""
        return max(self.needs - self.able, 0)

    @property
    def label(self) -> str:
        return str(self.competency)


@dataclass
class MunicipalityRow:
    municipality_id: int
    code: str
    name: str
    open_needs: int = 0
    days: int = 0  # days a month the open needs ask, added up
    unfilled: int = 0


@dataclass
class PoolReport:
    prefecture: Prefecture
    candidates: int
    roles: list[RoleRow]
    competencies: list[CompetencyRow]
    municipalities: list[MunicipalityRow]
    open_needs: int = 0
    unfilled_needs: int = 0
    chart: dict = field(default_factory=dict)


def _pool(prefecture_id):
    return TalentProfile.objects.in_pool(prefecture_id)


def roles_in_pool(prefecture_id) -> list[RoleRow]:
    counts = dict(
        TalentRoleClaim.objects.filter(profile__in=_pool(prefecture_id).values("pk"))
        .values_list("role")
        .annotate(n=Count("profile_id", distinct=True))
        .order_by()
    )
    return [RoleRow(value, label, counts.get(value, 0)) for value, label in TalentRole.choices]


def verified_levels(prefecture_id, now=None) -> dict[tuple[int, int], int]:
    """(profile id, competency id) -> the highest level a shown standing credential proves."""
    rows = (
        shown_standing_awards(_pool(prefecture_id).values("pk"), now)
        .values_list("talentprofile_id", "award__definition__competencies__competency_id")
        .annotate(level=Max("award__definition__competencies__level"))
        .order_by()
    )
    return {(p, c): level for p, c, level in rows if c is not None and level}


def declared_levels(prefecture_id) -> dict[tuple[int, int], int]:
    rows = CompetencyClaim.objects.filter(
        profile__in=_pool(prefecture_id).values("pk")
    ).values_list("profile_id", "competency_id", "level")
    return {(p, c): level for p, c, level in rows}


def demand(prefecture_id) -> dict[int, tuple[int, int]]:
    """competency id -> (open needs asking for it, the highest level they ask)."""
    rows = (
        NeedRequirement.objects.filter(
            need__status=TalentNeed.Status.OPEN, need__organisation__prefecture_id=prefecture_id
        )
        .values_list("competency_id")
        .annotate(needs=Count("need_id", distinct=True), top=Max("level"))
        .order_by()
    )
    return {c: (n, top) for c, n, top in rows}


def competency_rows(competencies, verified, declared, asked) -> list[CompetencyRow]:
    """Pure: the per-competency figures from the levels read above."""
    # competency id -> profile id -> [verified level, declared level]
    by_competency: dict = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for (profile_id, competency_id), level in verified.items():
        by_competency[competency_id][profile_id][0] = level
    for (profile_id, competency_id), level in declared.items():
        by_competency[competency_id][profile_id][1] = level
    rows = []
    for competency in competencies:
        row = CompetencyRow(competency=competency)
        row.needs, row.asked = asked.get(competency.pk, (0, 0))
        for proven, said in by_competency.get(competency.pk, {}).values():
            row.verified_2 += proven >= 2
            row.verified_3 += proven >= 3
            row.declared_2 += proven < 2 <= said
            row.declared_3 += proven < 3 <= said
            if row.asked and max(proven, said) >= row.asked:
                row.able += 1
        rows.append(row)
    return rows


def municipality_rows(prefecture_id, today: date | None = None) -> list[MunicipalityRow]:
    """Open needs (count, days a month) and unfilled needs (closed without anyone, or still open
    past their start date) per organisation of the prefecture that has any. Two queries."""
    today = today or timezone.localdate()
    needs = TalentNeed.objects.filter(organisation__prefecture_id=prefecture_id)
    found: dict[int, MunicipalityRow] = {}

    def row(pk, code, name):
        if pk not in found:
            found[pk] = MunicipalityRow(municipality_id=pk, code=code, name=name)
        return found[pk]

    open_rows = (
        needs.filter(status=TalentNeed.Status.OPEN)
        .values_list("organisation_id", "organisation__code", "organisation__name")
        .annotate(n=Count("pk"), days=Sum("days_per_month"))
        .order_by()
    )
    for pk, code, name, n, days in open_rows:
        entry = row(pk, code, name)
        entry.open_needs, entry.days = n, days or 0
    unfilled = (
        needs.filter(
            Q(status=TalentNeed.Status.UNFILLED)
            | Q(status=TalentNeed.Status.OPEN, starts_on__lt=today)
        )
        .values_list("organisation_id", "organisation__code", "organisation__name")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for pk, code, name, n in unfilled:
        row(pk, code, name).unfilled = n
    return sorted(found.values(), key=lambda r: r.code)


# The chart: demand (open needs) beside supply (candidates able), one pair of bars per competency.
CHART_WIDTH = 640
LABEL_WIDTH = 200
BAR_HEIGHT = 14
ROW_GAP = 14
TOP = 36
AXIS_ROOM = 34


def chart(rows: list[CompetencyRow]) -> dict:
    """Pure: the geometry of the bar chart, server-rendered as SVG."""
    plot_width = CHART_WIDTH - LABEL_WIDTH - 24
    biggest = max([1, *(r.needs for r in rows), *(r.able for r in rows)])
    step = _tick_step(biggest)
    top_value = -(-biggest // step) * step
    scale = plot_width / top_value
    bars = []
    y = TOP
    for r in rows:
        bars.append(
            {
                "label": r.label,
                "code": r.competency.code,
                "needs": r.needs,
                "able": r.able,
                "y": y,
                "label_y": y + BAR_HEIGHT + 4,
                "needs_y": y,
                "able_y": y + BAR_HEIGHT,
                "needs_width": round(r.needs * scale, 1),
                "able_width": round(r.able * scale, 1),
                "needs_text_x": round(LABEL_WIDTH + r.needs * scale + 4, 1),
                "able_text_x": round(LABEL_WIDTH + r.able * scale + 4, 1),
                "needs_text_y": y + BAR_HEIGHT - 3,
                "able_text_y": y + 2 * BAR_HEIGHT - 3,
            }
        )
        y += 2 * BAR_HEIGHT + ROW_GAP
    axis_y = y
    ticks = [
        {"x": round(LABEL_WIDTH + value * scale, 1), "label": value}
        for value in range(0, top_value + 1, step)
    ]
    return {
        "width": CHART_WIDTH,
        "height": axis_y + AXIS_ROOM,
        "x0": LABEL_WIDTH,
        "x1": LABEL_WIDTH + plot_width,
        "bar_height": BAR_HEIGHT,
        "label_x": LABEL_WIDTH - 8,
        "bars": bars,
        "axis": {"y": axis_y, "tick_bottom": axis_y + 5, "label_y": axis_y + 20, "ticks": ticks},
        "legend_y": 14,
        "legend_text_y": 18,
    }


def _tick_step(biggest: int) -> int:
    for step in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000):
        if biggest / step <= 8:
            return step
    return -(-biggest // 8)


def report(prefecture: Prefecture, now=None) -> PoolReport:
    """Everything the pool page shows, in eight queries."""
    competencies = list(Competency.objects.all())
    pk = prefecture.pk
    candidates = _pool(pk).count()
    rows = competency_rows(competencies, verified_levels(pk, now), declared_levels(pk), demand(pk))
    today = timezone.localdate(now) if now else None
    municipalities = municipality_rows(pk, today)
    return PoolReport(
        prefecture=prefecture,
        candidates=candidates,
        roles=roles_in_pool(pk),
        competencies=rows,
        municipalities=municipalities,
        open_needs=sum(m.open_needs for m in municipalities),
        unfilled_needs=sum(m.unfilled for m in municipalities),
        chart=chart(rows),
    )


def csv_rows(rows: list[CompetencyRow]) -> list[list]:
    return [
        [
            r.competency.code,
            r.competency.name,
            r.verified_2,
            r.verified_3,
            r.declared_2,
            r.declared_3,
            r.needs,
            r.asked or "",
            r.able,
            r.gap,
        ]
        for r in rows
    ]
