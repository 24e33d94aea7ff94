"""The career path: for the role a learner is working towards, the level each competency area
needs, the level the learner's credentials prove, and an ordered plan to close each gap —
courses (prerequisites first), case studies to read and peers to ask — with its hours.

Everything is computed in a fixed number of grouped queries, however many competencies,
courses, awards or peers there are: rows are fetched once and joined in memory.

Hours: a course not started counts its full ``estimated_hours``; a course in progress counts the
share of its required lessons not yet done (``progress_by_course``, two queries for all of them);
a completed course counts nothing. The plan's total counts each course once, even when it closes
several gaps.

Reading: case studies arrive with a later app. It registers a source with
``register_reading_source``; the page shows the reading part only when a source is registered.
"""

from __future__ import annotations

import heapq
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Max, Q
from django.utils import timezone
from wagtail.models import Locale, PageViewRestriction

from curriculum import progress as learning
from curriculum.credentials.models import Award, CredentialCompetency
from curriculum.models import CourseCompetency, CoursePage, Enrolment, Role, RoleRequirement
from curriculum.models.competencies import Competency, Level
from people.models import Profile

log = logging.getLogger(__name__)

PEERS_PER_GAP = 3
READINGS_PER_GAP = 3
HOURS_STEP = Decimal("0.1")


def gap_between(required: int, proven: int) -> int:
    """How many levels are missing: never negative (proving more than needed closes the gap)."""
    return max(0, (required or 0) - (proven or 0))


def level_label(level: int | None) -> str:
    return Level(level).label if level in Level.values else ""


# Reading sources ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    """Something to read for a competency: a case study, typically."""

    title: str
    url: str
    summary: str = ""


# A source receives every competency with a gap at once (so it can answer in a fixed number of
# queries) and returns, by competency id, what to read, best first.
ReadingSource = Callable[[Sequence[Competency]], Mapping[int, Iterable[Reading]]]

_reading_sources: list[ReadingSource] = []


def register_reading_source(source: ReadingSource) -> ReadingSource:
    """Adds a source of reading (e.g. the case-study app's). Usable as a decorator."""
    if source not in _reading_sources:
        _reading_sources.append(source)
    return source


def unregister_reading_source(source: ReadingSource) -> None:
    if source in _reading_sources:
        _reading_sources.remove(source)


def reading_sources() -> list[ReadingSource]:
    return list(_reading_sources)


def _readings(competencies: Sequence[Competency]) -> dict[int, list[Reading]]:
    found: dict[int, list[Reading]] = {c.pk: [] for c in competencies}
    if not competencies:
        return found
    for source in _reading_sources:
        try:
            answer = source(competencies)
        except Exception:
            # A broken plug-in loses its section, not the learner's page.
            log.exception("reading source %r failed", source)
            continue
        for competency_id, items in (answer or {}).items():
            if competency_id in found:
                found[competency_id].extend(items)
    return {pk: items[:READINGS_PER_GAP] for pk, items in found.items()}


# The plan ---------------------------------------------------------------------------------------


class Status:
    COMPLETED = "completed"
    IN_PROGRESS = "in_progress"
    NOT_STARTED = "not_started"


@dataclass(eq=False)
class PlanCourse:
    """A course in the plan, shared by every gap it helps close."""

    page: CoursePage  # the default-language page, where learning is recorded
    local: CoursePage  # the page in the reader's language
    enrolment: Enrolment | None = None
    progress: learning.Progress | None = None
    prerequisites: list[PlanCourse] = field(default_factory=list)

    @property
    def pk(self) -> int:
        return self.page.pk

    @property
    def hours(self) -> Decimal:
        return Decimal(self.page.estimated_hours)

    @property
    def status(self) -> str:
        if self.enrolment is None:
            return Status.NOT_STARTED
        if self.enrolment.completed_at is not None:
            return Status.COMPLETED
        return Status.IN_PROGRESS

    @property
    def is_completed(self) -> bool:
        return self.status == Status.COMPLETED

    @property
    def is_in_progress(self) -> bool:
        return self.status == Status.IN_PROGRESS

    @property
    def remaining_hours(self) -> Decimal:
        """Full hours if not started, none once completed; in progress, the hours times the share
        of required lessons still to do."""
        if self.status == Status.COMPLETED:
            return Decimal(0)
        if self.status == Status.IN_PROGRESS and self.progress and self.progress.total:
            left = max(0, self.progress.total - self.progress.done)
            return (self.hours * left / self.progress.total).quantize(HOURS_STEP, ROUND_HALF_UP)
        return self.hours


@dataclass(eq=False)
class GapStep:
    """One course in one gap's plan: the level it builds in that area, or, when it builds none
    above the learner's level, the courses of the plan that need it first."""

    course: PlanCourse
    level: int | None
    needed_for: list[PlanCourse] = field(default_factory=list)

    @property
    def level_label(self) -> str:
        return level_label(self.level)

    @property
    def is_prerequisite_only(self) -> bool:
        return bool(self.needed_for)


@dataclass(frozen=True)
class Peer:
    profile: object  # people.models.Profile
    level: int  # the highest level their standing credentials prove in the area
    same_prefecture: bool

    @property
    def level_label(self) -> str:
        return level_label(self.level)


@dataclass(eq=False)
class CompetencyGap:
    competency: Competency
    required: int  # what the target role needs
    proven: int  # what the learner's standing credentials prove
    current_required: int | None = None  # what the current role needs, for the ladder
    proven_by: list = field(default_factory=list)  # CredentialDefinitions proving `proven`
    steps: list[GapStep] = field(default_factory=list)
    readings: list[Reading] = field(default_factory=list)
    peers: list[Peer] = field(default_factory=list)
    # Whether an active credential proves the required level: levels here are what credentials
    # prove, so without one, completing the courses leaves the gap open (the page says why).
    provable: bool = True

    @property
    def gap(self) -> int:
        return gap_between(self.required, self.proven)

    @property
    def is_met(self) -> bool:
        return self.gap == 0

    @property
    def hours(self) -> Decimal:
        return sum((step.course.remaining_hours for step in self.steps), Decimal(0))

    @property
    def required_label(self) -> str:
        return level_label(self.required)

    @property
    def proven_label(self) -> str:
        return level_label(self.proven)

    @property
    def current_required_label(self) -> str:
        return level_label(self.current_required)

    @property
    def has_courses_left(self) -> bool:
        return any(not step.course.is_completed for step in self.steps)


@dataclass(eq=False)
class CareerPlan:
    target_role: Role
    current_role: Role | None = None
    ladder: list[Role] = field(default_factory=list)  # current → target, by rank
    rows: list[CompetencyGap] = field(default_factory=list)
    route: list[PlanCourse] = field(default_factory=list)  # every course once, in study order
    reading_enabled: bool = False

    @property
    def gaps(self) -> list[CompetencyGap]:
        return [row for row in self.rows if not row.is_met]

    @property
    def total_hours(self) -> Decimal:
        """Each course once, even when it helps close several gaps."""
        return sum((course.remaining_hours for course in self.route), Decimal(0))

    @property
    def is_ready(self) -> bool:
        return bool(self.rows) and not self.gaps

    @property
    def met_count(self) -> int:
        return len(self.rows) - len(self.gaps)


def study_order(
    nodes: Iterable[int], key: Mapping[int, tuple], prerequisites: Mapping[int, Iterable[int]]
) -> list[int]:
    """Nodes sorted by ``key`` except that a node's prerequisites (those among the nodes) come
    before it. A cycle of prerequisites, which an editor could create, does not loop: what is
    left of it follows in key order."""
    nodes = list(dict.fromkeys(nodes))
    members = set(nodes)
    waiting = {n: {p for p in prerequisites.get(n, ()) if p in members and p != n} for n in nodes}
    unlocks: dict[int, list[int]] = {n: [] for n in nodes}
    for node, needs in waiting.items():
        for needed in needs:
            unlocks[needed].append(node)
    ready = [(key[n], n) for n in nodes if not waiting[n]]
    heapq.heapify(ready)
    ordered: list[int] = []
    placed: set[int] = set()
    while ready:
        _key, node = heapq.heappop(ready)
        ordered.append(node)
        placed.add(node)
        for follower in unlocks[node]:
            waiting[follower].discard(node)
            if not waiting[follower]:
                heapq.heappush(ready, (key[follower], follower))
    ordered.extend(sorted((n for n in nodes if n not in placed), key=lambda n: (key[n], n)))
    return ordered


def proven_levels(user, now=None) -> dict[int, tuple[int, list]]:
    """By competency id: the highest level the user's standing credentials prove, and those
    credentials. One query."""
    standing = Award.objects.standing(now).filter(user=user).values("definition_id")
    found: dict[int, tuple[int, list]] = {}
    for row in CredentialCompetency.objects.filter(definition__in=standing).select_related(
        "definition"
    ):
        level, proof = found.get(row.competency_id, (0, []))
        if row.level > level:
            found[row.competency_id] = (row.level, [row.definition])
        elif row.level == level:
            proof.append(row.definition)
    return found


def _readable_by(user) -> Callable[[CoursePage], bool]:
    """Wagtail's view restrictions, as ``_readable`` in the curriculum views applies them, for
    many pages at once. A password-protected course is left out: its password is not known."""
    restrictions = list(
        PageViewRestriction.objects.select_related("page").prefetch_related("groups")
    )
    if not restrictions:
        return lambda page: True
    user_groups = set(user.groups.values_list("pk", flat=True))

    def accepts(restriction) -> bool:
        if restriction.restriction_type == PageViewRestriction.PASSWORD:
            return False
        if restriction.restriction_type == PageViewRestriction.GROUPS:
            return user.is_superuser or any(g.pk in user_groups for g in restriction.groups.all())
        return user.is_authenticated

    def readable(page) -> bool:
        return all(accepts(r) for r in restrictions if page.path.startswith(r.page.path))

    return readable


def _courses_for(rows: list[CompetencyGap], user) -> list[PlanCourse]:
    """Fills each gap's steps; returns every course of the plan once, in study order."""
    gap_rows = [row for row in rows if not row.is_met]
    if not gap_rows:
        return []
    default = Locale.get_default()
    readable = _readable_by(user)
    builds = [
        b
        for b in CourseCompetency.objects.filter(
            competency__in=[row.competency for row in gap_rows],
            page__live=True,
            page__locale=default,
        ).select_related("page")
        if readable(b.page)
    ]
    edges: dict[int, set[int]] = {}
    for course_id, prerequisite_id in CoursePage.prerequisites.through.objects.values_list(
        "from_coursepage_id", "to_coursepage_id"
    ):
        edges.setdefault(course_id, set()).add(prerequisite_id)
    enrolments = {e.course_id: e for e in Enrolment.objects.filter(user=user)}

    def completed(course_id) -> bool:
        enrolment = enrolments.get(course_id)
        return enrolment is not None and enrolment.completed_at is not None

    # Which courses close which gap, by the level they build.
    chosen: dict[int, dict[int, int]] = {}  # competency id -> {course id: level}
    for row in gap_rows:
        levels = [b for b in builds if b.competency_id == row.competency.pk]
        closing = [b for b in levels if row.proven < b.level <= row.required]
        if not any(b.level == row.required for b in closing):
            # No course reaches the level within it: the first level above it does.
            above = sorted({b.level for b in levels if b.level > row.required})
            if above:
                closing += [b for b in levels if b.level == above[0]]
        chosen[row.competency.pk] = {b.page_id: b.level for b in closing}

    # Prerequisites not yet completed, however deep, join the plan: one query for their pages.
    pages = {b.page_id: b.page for b in builds}
    wanted = {pk for courses in chosen.values() for pk in courses}
    stack = list(wanted)
    while stack:
        for needed in edges.get(stack.pop(), ()):
            if needed not in wanted and not completed(needed):
                wanted.add(needed)
                stack.append(needed)
    missing = wanted - set(pages)
    if missing:
        pages.update(
            (page.pk, page)
            for page in CoursePage.objects.filter(pk__in=missing, live=True, locale=default)
        )
    available = {pk for pk in wanted if pk in pages and readable(pages[pk])}

    in_progress = [
        pages[pk] for pk in available if pk in enrolments and enrolments[pk].completed_at is None
    ]
    progress = learning.progress_by_course(user, in_progress)
    local = learning.localized([pages[pk] for pk in available])
    plan_courses = {
        pk: PlanCourse(
            page=pages[pk],
            local=local.get(pk, pages[pk]),
            enrolment=enrolments.get(pk),
            progress=progress.get(pk),
        )
        for pk in available
    }
    for pk, course in plan_courses.items():
        course.prerequisites = sorted(
            (plan_courses[p] for p in edges.get(pk, ()) if p in plan_courses),
            key=lambda c: c.page.path,
        )

    route_key: dict[int, tuple] = {}
    for row in gap_rows:
        closing = {pk: level for pk, level in chosen[row.competency.pk].items() if pk in available}
        key = {pk: (level, pages[pk].path) for pk, level in closing.items()}
        needed_for: dict[int, list[int]] = {}
        stack = [(pk, pk) for pk in closing]
        while stack:
            course_id, for_id = stack.pop()
            for needed in edges.get(course_id, ()):
                if needed in closing or needed not in available or completed(needed):
                    continue
                if for_id not in needed_for.setdefault(needed, []):
                    needed_for[needed].append(for_id)
                    stack.append((needed, for_id))
        for needed, dependants in needed_for.items():
            key[needed] = (min(closing[d] for d in dependants), pages[needed].path)
        for pk in study_order(key, key, edges):
            row.steps.append(
                GapStep(
                    course=plan_courses[pk],
                    level=closing.get(pk),
                    needed_for=[
                        plan_courses[d]
                        for d in sorted(needed_for.get(pk, ()), key=lambda d: key[d])
                    ],
                )
            )
            route_key[pk] = min(route_key.get(pk, key[pk]), key[pk])
    return [plan_courses[pk] for pk in study_order(route_key, route_key, edges)]


def _provable(rows: list[CompetencyGap]) -> None:
    """Marks the gaps no active credential can close. One query."""
    gaps = [row for row in rows if not row.is_met]
    if not gaps:
        return
    highest = dict(
        CredentialCompetency.objects.filter(
            competency__in=[row.competency for row in gaps], definition__is_active=True
        )
        .values_list("competency_id")
        .annotate(level=Max("level"))
        .order_by()
    )
    for row in gaps:
        row.provable = highest.get(row.competency.pk, 0) >= row.required


def _peers(rows: list[CompetencyGap], user, profile, now=None) -> None:
    """Up to three peers per gap: public, active, open to questions, holding a standing
    credential that proves the level the target role needs; same prefecture first. Two
    queries for every gap together."""
    need = {row.competency.pk: row.required for row in rows if not row.is_met}
    if not need:
        return
    # Only awards their holders made public: a public profile is not consent to show the rest.
    enough = Q(pk__in=[])
    for competency_id, level in need.items():
        enough |= Q(
            definition__competencies__competency_id=competency_id,
            definition__competencies__level__gte=level,
        )
    held = (
        Award.objects.standing(now)
        .filter(
            enough,
            is_public=True,
            user__is_active=True,
            user__profile__is_public=True,
            user__profile__open_to_questions=True,
        )
        .exclude(user=user)
        .order_by()
        .values_list(
            "user_id", "definition__competencies__competency_id", "definition__competencies__level"
        )
    )
    best: dict[tuple[int, int], int] = {}
    for user_id, competency_id, level in held:
        if level >= need[competency_id] and level > best.get((user_id, competency_id), 0):
            best[(user_id, competency_id)] = level
    if not best:
        return
    profiles = {
        p.user_id: p
        for p in Profile.objects.filter(user_id__in={u for u, _c in best}).select_related(
            "municipality__prefecture"
        )
    }
    home = profile.municipality.prefecture_id if profile and profile.municipality_id else None
    for row in rows:
        if row.is_met:
            continue
        candidates = []
        for (user_id, competency_id), level in best.items():
            peer = profiles.get(user_id)
            if competency_id != row.competency.pk or peer is None:
                continue
            prefecture = peer.municipality.prefecture_id if peer.municipality_id else None
            candidates.append(
                Peer(
                    profile=peer,
                    level=level,
                    same_prefecture=home is not None and prefecture == home,
                )
            )
        candidates.sort(
            key=lambda p: (not p.same_prefecture, -p.level, p.profile.display_name, p.profile.pk)
        )
        row.peers = candidates[:PEERS_PER_GAP]


def role_ladder(roles: Sequence[Role], current: Role | None, target: Role) -> list[Role]:
    """The roles from the current one to the target, in rank order (both included). Without a
    current role, just the target; with a target below the current role, just the two."""
    if current is None:
        return [target]
    if current.pk == target.pk:
        return [target]
    low, high = sorted((current, target), key=lambda r: (r.rank, r.code))
    if current is not low:
        return [current, target]
    return [
        r
        for r in sorted(roles, key=lambda r: (r.rank, r.code))
        if (low.rank, low.code) <= (r.rank, r.code) <= (high.rank, high.code)
    ]


def skill_gap(user, *, profile=None, roles: Sequence[Role] | None = None, now=None):
    """The learner's career plan towards the target role of their profile, or None when they have
    not chosen one. ``profile`` and ``roles`` may be passed when the caller has them already."""
    if profile is None:
        profile = (
            Profile.objects.select_related("current_role", "target_role", "municipality")
            .filter(user=user)
            .first()
        )
    target = getattr(profile, "target_role", None)
    if target is None:
        return None
    current = profile.current_role
    now = now or timezone.now()
    if roles is None:
        roles = list(Role.objects.all())
    role_ids = [target.pk] + ([current.pk] if current else [])
    requirements = list(
        RoleRequirement.objects.filter(role_id__in=role_ids)
        .select_related("competency")
        .order_by("competency__sort_order", "competency__code")
    )
    current_levels = {
        r.competency_id: r.level for r in requirements if current and r.role_id == current.pk
    }
    proven = proven_levels(user, now)
    rows = []
    for requirement in requirements:
        if requirement.role_id != target.pk:
            continue
        level, proof = proven.get(requirement.competency_id, (0, []))
        rows.append(
            CompetencyGap(
                competency=requirement.competency,
                required=requirement.level,
                proven=level,
                current_required=current_levels.get(requirement.competency_id) if current else None,
                proven_by=sorted(proof, key=lambda d: d.name),
            )
        )
    route = _courses_for(rows, user)
    _provable(rows)
    _peers(rows, user, profile, now)
    reading_enabled = bool(_reading_sources)
    if reading_enabled:
        readings = _readings([row.competency for row in rows if not row.is_met])
        for row in rows:
            row.readings = readings.get(row.competency.pk, [])
    return CareerPlan(
        target_role=target,
        current_role=current,
        ladder=role_ladder(roles, current, target),
        rows=rows,
        route=route,
        reading_enabled=reading_enabled,
    )


# The chart --------------------------------------------------------------------------------------

CHART_WIDTH = 640
CHART_LABEL = 150  # left margin for the series names
CHART_TOP = 36
CHART_ROW = 60
CHART_BAR = 16
MAX_LEVEL = max(Level.values)


@dataclass(frozen=True)
class ChartRow:
    row: CompetencyGap
    y: int  # top of the row: the area's name sits on it
    required_y: int
    proven_y: int
    required_width: float
    proven_width: float


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    plot_x: int
    plot_width: int
    ticks: list  # (level, x)
    rows: list[ChartRow]
    bar_height: int = CHART_BAR


def bar_chart(rows: Sequence[CompetencyGap]) -> Chart:
    """Geometry of the horizontal bar chart (required vs proven level per area), computed here
    because the template language does no arithmetic."""
    plot_width = CHART_WIDTH - CHART_LABEL - 40  # room for the value after the bar
    unit = plot_width / MAX_LEVEL
    chart_rows = []
    for index, row in enumerate(rows):
        y = CHART_TOP + index * CHART_ROW
        chart_rows.append(
            ChartRow(
                row=row,
                y=y,
                required_y=y + 10,
                proven_y=y + 10 + CHART_BAR + 6,
                required_width=round(row.required * unit, 1),
                proven_width=round(min(row.proven, MAX_LEVEL) * unit, 1),
            )
        )
    return Chart(
        width=CHART_WIDTH,
        height=CHART_TOP + len(rows) * CHART_ROW + 8,
        plot_x=CHART_LABEL,
        plot_width=plot_width,
        ticks=[(level, round(CHART_LABEL + level * unit, 1)) for level in range(MAX_LEVEL + 1)],
        rows=chart_rows,
    )


__all__ = [
    "CareerPlan",
    "Chart",
    "CompetencyGap",
    "GapStep",
    "Peer",
    "PlanCourse",
    "Reading",
    "Status",
    "bar_chart",
    "gap_between",
    "level_label",
    "proven_levels",
    "register_reading_source",
    "role_ladder",
    "skill_gap",
    "study_order",
    "unregister_reading_source",
]
