"""What learners do: enrol, mark lessons done, see their learning. Each view checks on the
server who may do it; the pages only show the buttons."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST
from wagtail.models import Locale

from people.mfa import acting_for_others, privileges_in_force

from . import progress as learning
from . import quizzes, xapi
from .models import CoursePage, Enrolment, LessonCompletion, LessonPage, QuizAttempt


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
    """My learning: every enrolled course with its progress and where to go next, recent
    completions, and courses for the role the learner is working towards."""
    enrolments = list(
        Enrolment.objects.filter(user=request.user)
        .select_related("course", "last_lesson")
        .order_by("completed_at", "-last_activity_at")
    )
    courses = [e.course for e in enrolments]
    progress = learning.progress_by_course(request.user, courses)
    following = learning.next_lessons(request.user, courses)
    recent = list(
        LessonCompletion.objects.filter(user=request.user)
        .select_related("lesson")
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
    for completion in recent:
        completion.local_lesson = local[completion.lesson_id]
    recommended = [local[course.pk] for course in recommended]
    return render(
        request,
        "curriculum/dashboard.html",
        {
            "enrolments": enrolments,
            "recent": recent,
            "recommended": recommended,
            "target_role": target_role,
        },
    )


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
