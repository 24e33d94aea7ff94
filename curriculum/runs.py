"""Course runs (開講): who may join a run, how staff enrol a municipality or invite people by
address, deadlines and overdue work, who may see a run's learners, and the learner list itself.

- **Area.** A run belongs to its organiser's area: a prefecture's run (its owner is the
  prefectural government, kind 都道府県) to every municipality of the prefecture, a municipality's
  run to the municipality and its wards, an academy's run (no owner) to the whole country.
  Members join a run of their area themselves within its enrolment window, up to its capacity;
  staff enrol a municipality or a prefecture of the area, or invite anyone by address.
- **One run per course.** An enrolment is unique per learner and course, so a learner is in at
  most one run of a course; a self-paced enrolment joins the run with its progress.
- **Dates** are calendar days in Japan (`today()`); a run's deadline is its last day, and an
  unfinished enrolment is overdue from the day after.
- **Who sees the learners** (`access`): staff with `curriculum.view_enrolment` (they already see
  every learning record), staff whose organisation scope (`careers.organisation.scope_for`, the
  organisation reports') covers the run's organiser, and the run's facilitators see them all;
  in a run of a wider area (their prefecture's, an academy's) staff see their own organisation's
  learners (a prefectural government's staff: their prefecture's). Staff who see them all and
  may add enrolments also enrol.
- **Who opens and edits runs** (`organisers_for`, `CourseRunPermissionPolicy`): staff with the
  course run permissions, for the organisers of their organisation scope; staff who see every
  learning record or every organisation, for any organiser and for academies.
- **The learner list** costs the same number of queries whatever the number of learners.

This module reads the credentials (standing awards) and the careers app (organisation scope);
neither imports it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.log_actions import log
from wagtail.permission_policies import ModelPermissionPolicy

from core.dates import today
from curriculum.careers.organisation import scope_for
from curriculum.credentials.models import Award, CredentialRule
from people.models import Municipality, Prefecture

from . import bulk
from .models import (
    Attendance,
    CourseRun,
    Enrolment,
    LessonCompletion,
    LessonPage,
    LiveSession,
    QuizAttempt,
)
from .progress import CourseLocked, Progress, missing_prerequisites

VIEW_ALL_RUNS = "curriculum.view_enrolment"
ENROL = "curriculum.add_enrolment"


# Exceptions: the views turn them into messages ------------------------------------------------


class RunError(Exception):
    """Something the rules of a run do not allow."""


class EnrolmentClosed(RunError):
    """Outside the enrolment window (`opens_on` in the future, or `closed_on` past), or the run
    takes no self-enrolment (both None)."""

    def __init__(self, run: CourseRun, on: date):
        super().__init__(str(run))
        self.opens_on = (
            run.enrolment_opens if run.self_enrolment and on < run.enrolment_opens else None
        )
        self.closed_on = (
            run.enrolment_closes if run.self_enrolment and on > run.enrolment_closes else None
        )


class RunFull(RunError):
    def __init__(self, capacity: int, taken: int, wanted: int = 1):
        super().__init__(f"{taken} of {capacity} places taken; {wanted} more wanted")
        self.capacity, self.taken, self.wanted = capacity, taken, wanted

    @property
    def left(self) -> int:
        return max(self.capacity - self.taken, 0)


class NotInScope(RunError):
    """The learner or the municipality is outside the run's area (or the staff member's)."""


class InAnotherRun(RunError):
    """The learner's enrolment in the course already belongs to another run."""

    def __init__(self, run: CourseRun):
        super().__init__(str(run))
        self.run = run


class NotAllowed(RunError):
    """The staff member may not enrol learners in this run."""


# Dates ----------------------------------------------------------------------------------------


def deadline_for(enrolment: Enrolment) -> date | None:
    """The run's deadline; a self-paced enrolment has none."""
    return enrolment.run.deadline if enrolment.run_id else None


def is_overdue(enrolment: Enrolment, on: date | None = None) -> bool:
    deadline = deadline_for(enrolment)
    return deadline is not None and enrolment.completed_at is None and deadline < (on or today())


def days_left(enrolment: Enrolment, on: date | None = None) -> int | None:
    deadline = deadline_for(enrolment)
    return None if deadline is None else (deadline - (on or today())).days


def is_open(run: CourseRun, on: date | None = None) -> bool:
    """Members may join now: self-enrolment is on and today is within the window."""
    on = on or today()
    return run.self_enrolment and run.enrolment_opens <= on <= run.enrolment_closes


def upcoming_deadlines(user, on: date | None = None) -> list[Enrolment]:
    """The learner's unfinished run enrolments, the nearest deadline first (overdue ones first of
    all), in one query."""
    return list(
        Enrolment.objects.filter(user=user, run__isnull=False, completed_at__isnull=True)
        .select_related("run", "course")
        .order_by("run__deadline", "run__title", "pk")
    )


def upcoming_sessions(user, now: datetime | None = None, limit: int | None = None):
    """Live sessions of the learner's runs that have not ended, soonest first."""
    sessions = (
        LiveSession.objects.filter(run__enrolments__user=user, ends_at__gte=now or timezone.now())
        .select_related("run")
        .order_by("starts_at", "pk")
    )
    return list(sessions[:limit] if limit else sessions)


def by_deadline(enrolments):
    """Work ordered by deadline: unfinished runs' enrolments by their deadline, then unfinished
    self-paced ones, then finished ones (each group keeping the order it came in)."""

    def key(enrolment):
        if enrolment.completed_at is not None:
            return (2, date.max)
        deadline = deadline_for(enrolment)
        return (0, deadline) if deadline else (1, date.max)

    return sorted(enrolments, key=key)


# Areas ----------------------------------------------------------------------------------------


def in_area(run: CourseRun, municipality: Municipality | None) -> bool:
    """Whether a member of this municipality belongs to the run's area."""
    owner = run.owner
    if owner is None:
        return True
    if municipality is None:
        return False
    if owner.kind == Municipality.Kind.PREFECTURE:
        return municipality.prefecture_id == owner.prefecture_id
    return municipality.pk == owner.pk or municipality.parent_id == owner.pk


def area_label(run: CourseRun) -> str:
    """Whose staff the run is for, as a reader would say it."""
    owner = run.owner
    if owner is None:
        return str(_("every local government"))
    if owner.kind == Municipality.Kind.PREFECTURE:
        return str(_("%(prefecture)s and its municipalities") % {"prefecture": owner.name})
    return str(owner)


def _members_of(area: Municipality | Prefecture):
    """Active accounts whose profile places them in the area: a prefecture's every
    municipality; a municipality (a prefectural government too) and its wards."""
    active = get_user_model().objects.filter(is_active=True)
    if isinstance(area, Prefecture):
        return active.filter(profile__municipality__prefecture=area)
    return active.filter(Q(profile__municipality=area) | Q(profile__municipality__parent=area))


def _area_allowed(run: CourseRun, area: Municipality | Prefecture) -> bool:
    owner = run.owner
    if owner is None:
        return True
    if isinstance(area, Prefecture):
        return owner.kind == Municipality.Kind.PREFECTURE and owner.prefecture_id == area.pk
    return in_area(run, area)


# Who sees a run's learners --------------------------------------------------------------------


@dataclass(frozen=True)
class RunAccess:
    """What one member of staff may do with one run. `within` limits the learners they see to
    those of their own organisation (a municipality, or a prefecture for its government's
    staff); `enrol` lets them enrol and invite; `attendance` lets them take attendance."""

    within: Municipality | Prefecture | None = None
    enrol: bool = False
    attendance: bool = False

    @property
    def sees_everyone(self) -> bool:
        return self.within is None


def _facilitates(user, run) -> bool:
    return run.facilitators.filter(pk=user.pk).exists()


def access(user, run: CourseRun) -> RunAccess | None:
    """None when the user may not see the run's learners at all."""
    if not user.is_authenticated or not user.is_active:
        return None
    may_enrol = user.has_perm(ENROL)
    if user.has_perm(VIEW_ALL_RUNS):
        return RunAccess(enrol=may_enrol, attendance=may_enrol or _facilitates(user, run))
    scope = scope_for(user)
    covers = scope is not None and (
        scope.everything or (run.owner is not None and scope.allows_municipality(run.owner))
    )
    if covers:
        return RunAccess(enrol=may_enrol, attendance=may_enrol or _facilitates(user, run))
    if _facilitates(user, run):
        return RunAccess(attendance=True)
    own = scope.municipality if scope is not None else None
    if own is not None and in_area(run, own):
        # A run of a wider area than theirs (an academy's, their prefecture's): their own
        # learners, as the organisation reports show them their own members.
        if scope.prefecture_id is not None:
            return RunAccess(within=own.prefecture)
        return RunAccess(within=own)
    return None


def visible_runs(user):
    """The runs whose learners (all or some) the user may see: the same rule as `access`."""
    runs = CourseRun.objects.all()
    if not user.is_authenticated or not user.is_active:
        return runs.none()
    if user.has_perm(VIEW_ALL_RUNS):
        return runs
    scope = scope_for(user)
    if scope is not None and scope.everything:
        return runs
    condition = Q(facilitators=user)
    own = scope.municipality if scope is not None else None
    if own is not None:
        condition |= Q(owner=own)  # their own organisation's runs
        if scope.prefecture_id is not None:
            condition |= Q(owner__prefecture_id=scope.prefecture_id)
        # Runs of a wider area: an academy's, their prefecture's, their designated city's.
        condition |= Q(owner__isnull=True) | Q(
            owner__kind=Municipality.Kind.PREFECTURE, owner__prefecture_id=own.prefecture_id
        )
        if own.parent_id:
            condition |= Q(owner_id=own.parent_id)
    return runs.filter(pk__in=CourseRun.objects.filter(condition).values("pk"))


def has_any_access(user) -> bool:
    """Whether the admin should offer the runs' learner lists to the user at all."""
    if not user.is_authenticated or not user.is_active:
        return False
    return (
        user.has_perm(VIEW_ALL_RUNS)
        or scope_for(user) is not None
        or CourseRun.objects.filter(facilitators=user).exists()
    )


def organisers_for(user):
    """The organisers whose runs the user may open, edit and close (with the course run
    permissions): None for every run, academies' included, to staff who see every learning
    record or every organisation; otherwise the municipalities of their organisation scope — a
    prefectural government's staff: the prefecture and all its municipalities — and none
    without a scope."""
    if user.has_perm(VIEW_ALL_RUNS):
        return None
    scope = scope_for(user)
    if scope is not None and scope.everything:
        return None
    if scope is None or scope.municipality is None:
        return Municipality.objects.none()
    if scope.prefecture_id is not None:
        return Municipality.objects.filter(prefecture_id=scope.prefecture_id)
    return Municipality.objects.filter(pk=scope.municipality.pk)


class CourseRunPermissionPolicy(ModelPermissionPolicy):
    """The model's add/change/delete permissions, and for a given run also the organiser: a
    prefecture's staff manage their prefecture's runs, not another prefecture's."""

    def user_has_permission_for_instance(self, user, action, instance):
        return self.user_has_any_permission_for_instance(user, [action], instance)

    def user_has_any_permission_for_instance(self, user, actions, instance):
        if not self.user_has_any_permission(user, actions):
            return False
        organisers = organisers_for(user)
        if organisers is None:
            return True
        return instance.owner_id is not None and organisers.filter(pk=instance.owner_id).exists()

    def instances_user_has_any_permission_for(self, user, actions):
        if not self.user_has_any_permission(user, actions):
            return CourseRun.objects.none()
        organisers = organisers_for(user)
        if organisers is None:
            return CourseRun.objects.all()
        return CourseRun.objects.filter(owner__in=organisers)


# Joining and enrolling ------------------------------------------------------------------------


def taken(run: CourseRun) -> int:
    return Enrolment.objects.filter(run=run).count()


def places_left(run: CourseRun) -> int | None:
    """None: no limit."""
    if run.capacity is None:
        return None
    return max(run.capacity - taken(run), 0)


def check_join(user, run: CourseRun, on: date | None = None) -> Enrolment | None:
    """Raises what `join` would refuse with (the places as they are now), in the order a member
    reads it: their enrolment in another run, the window, the area, the places, the
    prerequisites. Returns their enrolment in the course, if any, without changing anything."""
    on = on or today()
    existing = (
        Enrolment.objects.filter(user=user, course_id=run.course_id).select_related("run").first()
    )
    if existing is not None and existing.run_id == run.pk:
        return existing
    if existing is not None and existing.run_id is not None:
        raise InAnotherRun(existing.run)
    if not is_open(run, on):
        raise EnrolmentClosed(run, on)
    profile = getattr(user, "profile", None)
    if not in_area(run, getattr(profile, "municipality", None)):
        raise NotInScope(run)
    if run.capacity is not None:
        current = taken(run)
        if current >= run.capacity:
            raise RunFull(run.capacity, current)
    if existing is None:
        missing = missing_prerequisites(user, run.course)
        if missing:
            raise CourseLocked(missing)
    return existing


def join(user, run: CourseRun, on: date | None = None) -> Enrolment:
    """A member joins a run themselves: within the window, in the run's area, while places are
    left, with the course's prerequisites met. A self-paced enrolment in the course joins the
    run with its progress; joining twice changes nothing."""
    with transaction.atomic():
        # One joiner at a time per run, so two cannot take the last place.
        CourseRun.objects.select_for_update().filter(pk=run.pk).first()
        existing = check_join(user, run, on)
        if existing is not None and existing.run_id == run.pk:
            return existing
        if existing is not None:
            existing.run = run
            existing.save(update_fields=["run"])
            return existing
        return Enrolment.objects.create(
            user=user, course_id=run.course_id, run=run, source=Enrolment.Source.SELF
        )


@dataclass
class RunOutcome(bulk.Outcome):
    """Staff enrolment: `enrolled` counts the learners now in the run, of whom `joined` had a
    self-paced enrolment; `in_other_run` were left in another run of the course."""

    joined: int = 0
    in_other_run: int = 0
    user_ids: list[int] = field(default_factory=list)


def enrol_users(run: CourseRun, users, *, by=None, unknown=(), how: str = "") -> RunOutcome:
    """Puts these accounts in the run (prerequisites are not checked: staff decide), all or none
    when the places left are fewer than the newcomers."""
    course_id = run.course_id
    with transaction.atomic():
        CourseRun.objects.select_for_update().filter(pk=run.pk).first()
        wanted = set(users.values_list("pk", flat=True))
        existing = dict(
            Enrolment.objects.filter(course_id=course_id, user__in=users).values_list(
                "user_id", "run_id"
            )
        )
        already = {pk for pk, run_id in existing.items() if run_id == run.pk}
        elsewhere = {pk for pk, run_id in existing.items() if run_id not in (None, run.pk)}
        joining = {pk for pk, run_id in existing.items() if run_id is None}
        new = wanted - set(existing)
        if run.capacity is not None:
            current = taken(run)
            if current + len(joining) + len(new) > run.capacity:
                raise RunFull(run.capacity, current, len(joining) + len(new))
        Enrolment.objects.filter(course_id=course_id, user_id__in=joining, run__isnull=True).update(
            run=run
        )
        Enrolment.objects.bulk_create(
            [
                Enrolment(user_id=pk, course_id=course_id, run=run, source=Enrolment.Source.ADMIN)
                for pk in sorted(new)
            ],
            ignore_conflicts=True,
        )
        outcome = RunOutcome(
            enrolled=len(new) + len(joining),
            already=len(already),
            unknown=list(unknown),
            joined=len(joining),
            in_other_run=len(elsewhere),
            user_ids=sorted(new | joining),
        )
        log(
            instance=run,
            action="curriculum.run_enrol",
            user=by,
            data={
                "how": how,
                "enrolled": outcome.enrolled,
                "joined": outcome.joined,
                "already": outcome.already,
                "in_other_run": outcome.in_other_run,
                "unknown": len(outcome.unknown),
            },
        )
    return outcome


def _check_staff(run, by):
    if by is not None:
        granted = access(by, run)
        if granted is None or not granted.enrol:
            raise NotAllowed(run)


def enrol_municipality(run: CourseRun, area: Municipality | Prefecture, by=None) -> RunOutcome:
    """Every active member of a municipality (with its wards) or of a whole prefecture, which
    must be in the run's area."""
    _check_staff(run, by)
    if not _area_allowed(run, area):
        raise NotInScope(area)
    return enrol_users(run, _members_of(area), by=by, how=str(area))


def invite(run: CourseRun, addresses: list[str], by=None) -> RunOutcome:
    """The accounts with these addresses, wherever they work (an invitation is a deliberate
    choice); the addresses without one are reported."""
    _check_staff(run, by)
    users, unknown = bulk.learners_by_address(addresses)
    return enrol_users(run, users, by=by, unknown=unknown, how=f"{len(addresses)} addresses")


# The learner list -----------------------------------------------------------------------------


class Status:
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    OVERDUE = "overdue"

    choices = [
        (NOT_STARTED, _("Not started")),
        (IN_PROGRESS, _("In progress")),
        (COMPLETED, _("Completed")),
        (OVERDUE, _("Overdue")),
    ]
    labels = dict(choices)


@dataclass
class QuizColumn:
    lesson_id: int
    title: str


@dataclass
class LearnerRow:
    enrolment: Enrolment
    progress: Progress
    status: str
    scores: list[int | None] = field(default_factory=list)
    award: Award | None = None
    attended: int = 0

    @property
    def user(self):
        return self.enrolment.user

    @property
    def profile(self):
        return getattr(self.enrolment.user, "profile", None)

    @property
    def name(self) -> str:
        profile = self.profile
        return (profile.display_name if profile else "") or self.user.email

    @property
    def municipality(self) -> Municipality | None:
        profile = self.profile
        return profile.municipality if profile else None

    @property
    def completed_at(self):
        return self.enrolment.completed_at

    @property
    def status_label(self) -> str:
        return Status.labels[self.status]


@dataclass
class LearnerList:
    run: CourseRun
    rows: list[LearnerRow]
    quizzes: list[QuizColumn]
    sessions: int
    counts: Counter  # by status, before the status filter
    municipalities: list[Municipality]  # of the learners, for the filter

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _status(enrolment, progress: Progress, deadline: date, on: date) -> str:
    if enrolment.completed_at is not None:
        return Status.COMPLETED
    if deadline < on:
        return Status.OVERDUE
    if progress.done or enrolment.last_lesson_id:
        return Status.IN_PROGRESS
    return Status.NOT_STARTED


def learner_list(
    run: CourseRun,
    *,
    within: Municipality | Prefecture | None = None,
    municipality: Municipality | None = None,
    status: str | None = None,
    on: date | None = None,
) -> LearnerList:
    """Each learner of the run with their progress, best score per quiz of the course, the date
    they completed, the standing credential that the course earns (if any) and the live sessions
    they attended; filtered by municipality and status. `within` is what the viewer may see of
    the run (`RunAccess.within`): the list, its counts and its municipalities stay inside it.
    Eight queries, whatever the number of learners (with the run's course loaded)."""
    on = on or today()
    enrolments = Enrolment.objects.filter(run=run)
    if isinstance(within, Prefecture):
        enrolments = enrolments.filter(user__profile__municipality__prefecture=within)
    elif within is not None:
        enrolments = enrolments.filter(user__profile__municipality=within)
    everyone = enrolments
    if municipality is not None:
        enrolments = enrolments.filter(user__profile__municipality=municipality)
    found = list(
        enrolments.select_related("user__profile__municipality__prefecture").order_by(
            "user__profile__municipality__code", "user__profile__display_name", "pk"
        )
    )
    learners = enrolments.values("user_id")
    course = run.course
    lessons = list(
        LessonPage.objects.live()
        .filter(path__startswith=course.path)
        .order_by("path")
        .values_list("pk", "title", "required", "quiz_id", "quiz__title")
    )
    required = [pk for pk, _title, needed, _quiz, _quiz_title in lessons if needed]
    quizzes = [
        QuizColumn(pk, quiz_title or title)
        for pk, title, _needed, quiz_id, quiz_title in lessons
        if quiz_id
    ]
    done = dict(
        LessonCompletion.objects.filter(user_id__in=learners, lesson_id__in=required)
        .values("user_id")
        .annotate(n=Count("pk"))
        .values_list("user_id", "n")
    )
    best = {
        (user_id, lesson_id): score
        for user_id, lesson_id, score in QuizAttempt.objects.filter(
            user_id__in=learners,
            lesson_id__in=[quiz.lesson_id for quiz in quizzes],
            submitted_at__isnull=False,
        )
        .values("user_id", "lesson_id")
        .annotate(best=Max("score"))
        .values_list("user_id", "lesson_id", "best")
    }
    awards: dict[int, Award] = {}
    for award in (
        Award.objects.standing()
        .filter(
            user_id__in=learners,
            definition__rules__kind=CredentialRule.Kind.COURSE,
            definition__rules__course_id=run.course_id,
        )
        .select_related("definition")
        .order_by("issued_at")
    ):
        awards.setdefault(award.user_id, award)
    attended = dict(
        Attendance.objects.filter(session__run=run, present=True, user_id__in=learners)
        .values("user_id")
        .annotate(n=Count("pk"))
        .values_list("user_id", "n")
    )
    rows = []
    for enrolment in found:
        progress = Progress(done.get(enrolment.user_id, 0), len(required))
        rows.append(
            LearnerRow(
                enrolment=enrolment,
                progress=progress,
                status=_status(enrolment, progress, run.deadline, on),
                scores=[best.get((enrolment.user_id, quiz.lesson_id)) for quiz in quizzes],
                award=awards.get(enrolment.user_id),
                attended=attended.get(enrolment.user_id, 0),
            )
        )
    counts = Counter(row.status for row in rows)
    if status:
        rows = [row for row in rows if row.status == status]
    municipalities = list(
        Municipality.objects.filter(
            pk__in=everyone.values("user__profile__municipality")
        ).select_related("prefecture")
    )
    sessions = LiveSession.objects.filter(run=run).count()
    return LearnerList(run, rows, quizzes, sessions, counts, municipalities)


def completions(run: CourseRun, *, within=None, municipality=None) -> LearnerList:
    """The learners who completed the course, for the completion list (修了者一覧)."""
    return learner_list(run, within=within, municipality=municipality, status=Status.COMPLETED)


# Attendance -----------------------------------------------------------------------------------


def record_attendance(session: LiveSession, present_ids, by) -> int:
    """Marks each learner of the session's run present or absent; returns how many are
    present. Learners of other runs are ignored."""
    learners = set(
        Enrolment.objects.filter(run_id=session.run_id).values_list("user_id", flat=True)
    )
    present = {int(pk) for pk in present_ids if str(pk).isdigit()} & learners
    with transaction.atomic():
        existing = {
            record.user_id: record
            for record in Attendance.objects.select_for_update().filter(session=session)
        }
        now = timezone.now()
        changed, new = [], []
        for user_id in learners:
            is_present = user_id in present
            record = existing.get(user_id)
            if record is None:
                new.append(
                    Attendance(
                        session=session,
                        user_id=user_id,
                        present=is_present,
                        recorded_by=by,
                        recorded_at=now,
                    )
                )
            elif record.present != is_present:
                record.present, record.recorded_by, record.recorded_at = is_present, by, now
                changed.append(record)
        Attendance.objects.bulk_create(new, ignore_conflicts=True)
        Attendance.objects.bulk_update(changed, ["present", "recorded_by", "recorded_at"])
        log(
            instance=session.run,
            action="curriculum.attendance",
            user=by,
            data={"session": session.pk, "present": len(present), "learners": len(learners)},
        )
    return len(present)


def attendance_sheet(session: LiveSession):
    """The run's learners with whether each was marked present, in list order."""
    marks = dict(Attendance.objects.filter(session=session).values_list("user_id", "present"))
    enrolments = (
        Enrolment.objects.filter(run_id=session.run_id)
        .select_related("user__profile__municipality")
        .order_by("user__profile__municipality__code", "user__profile__display_name", "pk")
    )
    return [(enrolment, marks.get(enrolment.user_id)) for enrolment in enrolments]
