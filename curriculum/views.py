"""What learners do: enrol, mark lessons done, see their learning. Each view checks on the
server who may do it; the pages only show the buttons."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from django.views.decorators.http import require_POST
from wagtail.models import Locale

from people.mfa import acting_for_others, privileges_in_force

from . import ics, quizzes, runs, xapi
from . import progress as learning
from .models import (
    CourseCatalogPage,
    CoursePage,
    CourseRun,
    Enrolment,
    LessonCompletion,
    LessonPage,
    QuizAttempt,
)


def _readable(queryset, request, page_id):
    """A live page the user may read: Wagtail's view restrictions (groups, password) on the page
    or above it apply to enrolling and recording as they do to reading."""
    page = get_object_or_404(queryset.live(), pk=page_id)
    for restriction in page.get_view_restrictions():
        if not restriction.accept_request(request):
            raise Http404
    return page


def _localized_url(page, request):
    """The page in the language being read (the learner may be on /en/)."""
    localized = page.get_translation_or_none(Locale.get_active()) or page
    return localized.get_url(request)


@login_required
@require_POST
def enrol(request, page_id):
    course = _readable(CoursePage.objects, request, page_id)
    try:
        learning.enrol(request.user, course)
    except learning.CourseLocked as locked:
        titles = pgettext("list separator", ", ").join(c.title for c in locked.missing)
        messages.error(
            request, _("Complete these courses first: %(courses)s") % {"courses": titles}
        )
    else:
        messages.success(request, _("You are enrolled. Start with the first lesson."))
    return redirect(course.get_url(request))


@login_required
@require_POST
def complete_lesson(request, page_id):
    lesson = _readable(LessonPage.objects, request, page_id)
    try:
        enrolment, completed_now = learning.complete_lesson(request.user, lesson)
    except learning.NotEnrolled:
        messages.error(request, _("Enrol in the course to record your progress."))
        return redirect(lesson.get_url(request))
    except learning.QuizRequired:
        messages.error(request, _("Pass the lesson's quiz to complete it."))
        return redirect(lesson.get_url(request))
    if completed_now:
        messages.success(request, _("Course completed. Well done!"))
        return redirect(_localized_url(enrolment.course, request))
    following = learning.next_lesson(request.user, enrolment.course)
    if following is not None:
        return redirect(_localized_url(following, request))
    return redirect(_localized_url(enrolment.course, request))


@login_required
def dashboard(request):
    """My learning, the learner's home: where to pick up, what is due and when, every enrolled
    course with its progress, live sessions, recent completions and courses for the role the
    learner is working towards. The credentials nearly earned and the answers to the learner's
    questions come from template tags of their apps (this app does not import them). The number
    of queries does not grow with the number of enrolments."""
    enrolments = list(
        Enrolment.objects.filter(user=request.user)
        .select_related("course", "last_lesson", "run")
        .defer("last_lesson__body")  # linked to, never shown here
        .order_by("completed_at", "-last_activity_at")
    )
    # Work with a deadline first, the nearest (or overdue) first.
    enrolments = runs.by_deadline(enrolments)
    today = runs.today()
    courses = [e.course for e in enrolments]
    progress, following = learning.progress_and_next_lessons(request.user, courses)
    recent = list(
        LessonCompletion.objects.filter(user=request.user)
        .select_related("lesson")
        .defer("lesson__body")
        .order_by("-completed_at")[:5]
    )
    profile = getattr(request.user, "profile", None)
    target_role = getattr(profile, "target_role", None)
    recommended = []
    if target_role is not None:
        recommended = list(
            CoursePage.objects.live()
            .filter(target_roles=target_role, locale=Locale.get_default())
            .exclude(enrolments__user=request.user)
            .order_by("path")[:6]
        )
    local = learning.localized(
        [
            *courses,
            *(e.last_lesson for e in enrolments),
            *following.values(),
            *(c.lesson for c in recent),
            *recommended,
        ]
    )
    for enrolment in enrolments:
        enrolment.progress = progress[enrolment.course_id]
        enrolment.local_course = local[enrolment.course_id]
        resume = enrolment.last_lesson if not enrolment.is_completed else None
        enrolment.resume = local[resume.pk] if resume else None
        upcoming = following.get(enrolment.course_id)
        enrolment.next_lesson = local[upcoming.pk] if upcoming else None
        enrolment.deadline = runs.deadline_for(enrolment)
        enrolment.overdue = runs.is_overdue(enrolment, today)
        enrolment.days_left = runs.days_left(enrolment, today)
    for completion in recent:
        completion.local_lesson = local[completion.lesson_id]
    recommended = [local[course.pk] for course in recommended]
    in_progress = [e for e in enrolments if not e.is_completed]
    return render(
        request,
        "curriculum/dashboard.html",
        {
            "enrolments": enrolments,
            "carry_on": _carry_on(request.user, in_progress),
            "due": [e for e in in_progress if e.deadline is not None],
            "counts": {
                "in_progress": len(in_progress),
                "completed": len(enrolments) - len(in_progress),
                "overdue": sum(1 for e in in_progress if e.overdue),
            },
            "catalogue": CourseCatalogPage.objects.live()
            .filter(locale=Locale.get_active())
            .first(),
            "recent": recent,
            "recommended": recommended,
            "target_role": target_role,
            "sessions": runs.upcoming_sessions(request.user, limit=5),
        },
    )


def _carry_on(user, in_progress):
    """The unfinished course the learner worked on last (one they have started, if any) and the
    lesson to open: the one they last opened, unless they finished it, then the first one not
    done. None when nothing is left to do."""
    if not in_progress:
        return None
    # A course the learner has opened a lesson of comes before one only enrolled in.
    enrolment = max(
        in_progress, key=lambda e: (e.last_lesson_id is not None, e.last_activity_at, e.pk)
    )
    resume, following = enrolment.resume, enrolment.next_lesson
    lesson = following
    if resume is not None:
        # Completions are recorded against the default-language lesson (last_lesson). Asked
        # whenever there is one, so that the page's queries do not depend on the answer.
        finished = LessonCompletion.objects.filter(
            user=user, lesson_id=enrolment.last_lesson_id
        ).exists()
        if not finished:
            lesson = resume
    return {"enrolment": enrolment, "lesson": lesson, "started": resume is not None}


# Course runs ---------------------------------------------------------------------------------


def _run_for(request, run_id) -> CourseRun:
    """A run of a course the member may read (404 otherwise)."""
    run = get_object_or_404(CourseRun.objects.select_related("owner"), pk=run_id)
    run.course = _readable(CoursePage.objects, request, run.course_id)
    return run


def _refusal(refused: Exception, run: CourseRun) -> str:
    """Why the member cannot join the run, in words."""
    if isinstance(refused, runs.InAnotherRun):
        return _("You are in another run of this course: %(run)s.") % {"run": refused.run.title}
    if isinstance(refused, runs.EnrolmentClosed):
        if refused.opens_on:
            return _("Enrolment opens on %(date)s.") % {"date": f"{refused.opens_on:%Y-%m-%d}"}
        if refused.closed_on:
            return _("Enrolment closed on %(date)s.") % {"date": f"{refused.closed_on:%Y-%m-%d}"}
        return _("Staff enrol or invite the learners of this run.")
    if isinstance(refused, runs.NotInScope):
        return _(
            "This run is for the staff of %(area)s. Check the municipality in your profile."
        ) % {"area": runs.area_label(run)}
    if isinstance(refused, runs.RunFull):
        return _("This run is full.")
    titles = pgettext("list separator", ", ").join(c.title for c in refused.missing)
    return _("Complete these courses first: %(courses)s") % {"courses": titles}


JOIN_REFUSALS = (runs.RunError, learning.CourseLocked)


@login_required
def run(request, run_id):
    """A run's page: its dates, organiser, places and live sessions, and joining it. Meeting
    links are shown to the run's learners and the staff who follow it."""
    run = _run_for(request, run_id)
    today = runs.today()
    reason = enrolment = None
    try:
        enrolment = runs.check_join(request.user, run, today)
    except JOIN_REFUSALS as refused:
        reason = _refusal(refused, run)
    in_run = enrolment is not None and enrolment.run_id == run.pk
    return render(
        request,
        "curriculum/run_page.html",
        {
            "run": run,
            "course": learning.localized([run.course])[run.course.pk],
            "enrolment": enrolment if in_run else None,
            "overdue": in_run and runs.is_overdue(enrolment, today),
            "days_left": runs.days_left(enrolment, today) if in_run else None,
            "places_left": runs.places_left(run),
            "can_join": not in_run and reason is None,
            "reason": reason,
            "sessions": list(run.sessions.all()),
            "shows_links": in_run or runs.access(request.user, run) is not None,
        },
    )


@login_required
@require_POST
def join_run(request, run_id):
    run = _run_for(request, run_id)
    try:
        runs.join(request.user, run)
    except JOIN_REFUSALS as refused:
        messages.error(request, _refusal(refused, run))
    else:
        messages.success(
            request,
            _("You joined %(run)s. Complete the course by %(date)s.")
            % {"run": run.title, "date": f"{run.deadline:%Y-%m-%d}"},
        )
    return redirect("curriculum:run", run_id=run.pk)


@login_required
def calendar(request):
    """The address of the learner's calendar feed, and a button that replaces it (the old
    address stops working)."""
    if request.method == "POST":
        ics.token_for(request.user, renew=True)
        messages.success(
            request, _("Your calendar has a new address. The previous one no longer works.")
        )
        return redirect("curriculum:calendar")
    token = ics.token_for(request.user)
    feed_url = request.build_absolute_uri(reverse("curriculum:calendar_feed", args=[token]))
    deadlines = runs.upcoming_deadlines(request.user)
    return render(
        request,
        "curriculum/calendar.html",
        {
            "feed_url": feed_url,
            "webcal_url": "webcal://" + feed_url.split("://", 1)[1],
            "deadlines": deadlines,
            "summary": ngettext(
                "%(count)s deadline is in your calendar now.",
                "%(count)s deadlines are in your calendar now.",
                len(deadlines),
            )
            % {"count": len(deadlines)},
        },
    )


def calendar_feed(request, token):
    """The learner's deadlines and live sessions as iCalendar; no sign-in (calendar applications
    cannot), the secret address is the credential."""
    user = ics.user_for(token)
    if user is None:
        raise Http404
    events = ics.events_for(user, request.build_absolute_uri)
    body = ics.calendar(_("My learning"), events)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="learning.ics"'
    response["X-Robots-Tag"] = "noindex, nofollow"
    patch_cache_control(response, private=True, max_age=0)
    return response


@login_required
@require_POST
def start_quiz(request, page_id):
    lesson = _readable(LessonPage.objects, request, page_id)
    try:
        attempt = quizzes.start_attempt(request.user, lesson)
    except learning.NotEnrolled:
        messages.error(request, _("Enrol in the course to record your progress."))
    except quizzes.AttemptLimitReached:
        messages.error(request, _("You have used every attempt this quiz allows."))
    except quizzes.QuizError:
        raise Http404 from None
    else:
        return redirect("curriculum:attempt", attempt_id=attempt.pk)
    return redirect(lesson.get_url(request))


@login_required
def attempt(request, attempt_id):
    """The quiz form while the attempt is open; its review once submitted. Only the learner
    who took it sees it."""
    attempt = get_object_or_404(
        QuizAttempt.objects.select_related("quiz", "lesson"), pk=attempt_id, user=request.user
    )
    lesson = attempt.lesson
    local_lesson = learning.localized([lesson])[lesson.pk]
    if request.method == "POST":
        try:
            attempt = quizzes.submit_attempt(attempt, request.POST)
        except quizzes.AlreadySubmitted:
            messages.error(request, _("This attempt was already submitted."))
        except quizzes.TamperedForm:
            messages.error(
                request,
                _("The answers did not match the questions you were given. Please try again."),
            )
            return redirect("curriculum:attempt", attempt_id=attempt.pk)
        return redirect("curriculum:attempt", attempt_id=attempt.pk)
    if attempt.is_submitted:
        return render(
            request,
            "curriculum/quiz_review.html",
            {
                "attempt": attempt,
                "lesson": local_lesson,
                "rows": quizzes.review(attempt),
                "attempts_left": quizzes.attempts_left(request.user, lesson),
            },
        )
    questions = quizzes.questions_for(attempt)
    return render(
        request,
        "curriculum/quiz_form.html",
        {"attempt": attempt, "lesson": local_lesson, "questions": questions},
    )


def _statement_result(statements) -> JsonResponse:
    response = JsonResponse(
        {"statements": list(statements), "more": ""}, json_dumps_params={"ensure_ascii": False}
    )
    response["X-Experience-API-Version"] = xapi.VERSION
    return response


@login_required
def my_statements(request):
    """The learner's own learning records as xAPI statements."""
    return _statement_result(xapi.statements(users=[request.user]))


@login_required
@acting_for_others()
def all_statements(request):
    """Everyone's learning records, for staff who may see enrolments (reports, an LRS)."""
    if not (
        request.user.has_perm("curriculum.view_enrolment") and privileges_in_force(request.user)
    ):
        raise PermissionDenied
    return _statement_result(xapi.statements())
