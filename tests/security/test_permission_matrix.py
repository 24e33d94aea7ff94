"""The permission matrix: every URL the project defines, requested by every role, with the status
the policy intends. POST rows also check that a refused role changed nothing in the database
(and that an allowed one did).

A URL pattern of the project (a view in core, people, search, curriculum, casestudies,
knowledge or config, an admin view added through a Wagtail hook, or an admin viewset of one of
the project's models) without a row here fails `test_every_project_url_has_a_row`. Third-party
URL sets (the Wagtail admin, allauth, the API, documents, i18n) have rows for a representative
set only.

Outcomes: OK (200); LOGIN (302 to the site's sign-in); ADMIN_LOGIN (302 to the admin's sign-in:
Wagtail's answer to anyone without admin access); DENIED (302 to the admin home with an error:
Wagtail's answer to an admin user without the permission); GONE (404: not found, or not theirs
to know about); FORBIDDEN (403); DONE (302 after a change); REFUSED (302 with an error message,
nothing changed); MOVED (302 without a change to check)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import translation
from wagtail.admin.viewsets import viewsets as admin_viewsets
from wagtail.models import WorkflowState

from casestudies.models import Replication
from curriculum.credentials.models import Award, IssuerSettings
from curriculum.models import Attendance, CalendarFeed, Enrolment, LessonCompletion, QuizAttempt
from knowledge.models import (
    Answer,
    Comment,
    Flag,
    Member,
    Notification,
    Question,
    Subscription,
)
from people.models import Profile

from .conftest import ROLES

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("world_search_index")]

PROJECT_PACKAGES = {
    "core",
    "people",
    "search",
    "curriculum",
    "casestudies",
    "knowledge",
    "talent",
    "config",
}
# The talent pool has roles of its own (candidates, recruiters of one organisation or another):
# its rows, and the check that each of its URLs has one, are in test_talent_matrix.py.
OWN_MATRIX_NAMESPACES = {"talent"}


@dataclass(frozen=True)
class Outcome:
    label: str  # ok, login, admin_login, denied, redirect, 400, 403, 404, 405
    changes: bool | None = None  # for POST rows: must the database change?

    def __str__(self):
        return self.label + {True: "+change", False: "", None: ""}[self.changes]


OK = Outcome("ok")
LOGIN = Outcome("login", changes=False)
ADMIN_LOGIN = Outcome("admin_login", changes=False)
DENIED = Outcome("denied", changes=False)
GONE = Outcome("404", changes=False)
FORBIDDEN = Outcome("403", changes=False)
NOT_ALLOWED = Outcome("405", changes=False)
BAD = Outcome("400", changes=False)
DONE = Outcome("redirect", changes=True)
REFUSED = Outcome("redirect", changes=False)
MOVED = Outcome("redirect")
OK_CHANGED = Outcome("ok", changes=True)
OK_UNCHANGED = Outcome("ok", changes=False)


def roles(default: Outcome, **overrides: Outcome) -> dict[str, Outcome]:
    unknown = set(overrides) - set(ROLES)
    assert not unknown, f"unknown roles {unknown}"
    return {role: overrides.get(role, default) for role in ROLES}


def everyone(outcome=OK, **overrides):
    return roles(outcome, **overrides)


def members(outcome=OK, **overrides):
    """Signed-in members only: the anonymous visitor is sent to sign in."""
    return roles(outcome, **{"anonymous": LOGIN, **overrides})


def admin(default=DENIED, **overrides):
    """A Wagtail admin view: members without admin access are sent to the admin's sign-in;
    admin users without the permission are sent back to the admin home."""
    return roles(
        default,
        **{"anonymous": ADMIN_LOGIN, "learner": ADMIN_LOGIN, "contributor": ADMIN_LOGIN},
        **overrides,
    )


@dataclass
class Row:
    name: str
    expect: dict[str, Outcome]
    args: Callable = lambda w: []
    method: str = "GET"
    data: Callable | None = None
    state: Callable | None = None  # a snapshot of what a POST may change
    query: str | Callable = ""
    languages: tuple[str, ...] = ("ja",)
    label: str = ""
    content_type: str | None = None
    tags: set = field(default_factory=set)

    @property
    def id(self):
        return f"{self.method} {self.name}{' ' + self.label if self.label else ''}"

    def url(self, w, language="ja"):
        with translation.override(language):
            query = self.query(w) if callable(self.query) else self.query
            return reverse(self.name, args=self.args(w)) + query


def _pk(attr):
    return lambda w: [getattr(w, attr).pk]


def _state_of(model, attr, *fields):
    return lambda w: tuple(
        model.objects.filter(pk=getattr(w, attr).pk).values_list(*fields).first() or ()
    )


# What each POST may change ---------------------------------------------------------------------


def _profile_state(w):
    return tuple(
        Profile.objects.filter(user=w.users["learner"]).values_list("display_name", "job_title")[0]
    )


def _enrolments(w):
    return Enrolment.objects.count()


def _completions(w):
    return LessonCompletion.objects.count()


def _run_enrolments(w):
    return tuple(Enrolment.objects.filter(run=w.run).order_by("pk").values_list("pk", "user_id"))


def _calendar_keys(w):
    return tuple(CalendarFeed.objects.order_by("pk").values_list("user_id", "key"))


def _attendance(w):
    return tuple(Attendance.objects.order_by("pk").values_list("user_id", "present"))


def _attempts(w):
    return tuple(QuizAttempt.objects.order_by("pk").values_list("pk", "submitted_at"))


def _award_sharing(w):
    return tuple(Award.objects.filter(pk=w.award.pk).values_list("is_public", "is_indexable")[0])


def _awards(w):
    return tuple(Award.objects.order_by("pk").values_list("pk", "revoked_at"))


def _case_revisions(w):
    return w.draft_case.revisions.count()


def _workflows(w):
    return WorkflowState.objects.count()


def _replications(w):
    return Replication.objects.count()


def _questions(w):
    return Question.objects.count()


def _answers(w):
    return Answer.objects.count()


def _comments(w):
    return Comment.objects.count()


def _unread(w):
    return Notification.objects.filter(recipient=w.users["learner"], read_at__isnull=True).count()


def _learner_email_setting(w):
    return Member.objects.get(user=w.users["learner"]).email


def _answer_state(w):
    return tuple(
        Answer.objects.filter(pk=w.answer.pk).values_list("body", "score", "visibility")[0]
    )


def _question_state(w):
    return tuple(
        Question.objects.filter(pk=w.question.pk).values_list(
            "accepted_answer", "closed_at", "duplicate_of", "is_locked", "visibility"
        )[0]
    )


def _closed_state(w):
    return Question.objects.filter(pk=w.closed_question.pk).values_list("closed_at")[0]


def _flags(w):
    return tuple(Flag.objects.order_by("pk").values_list("pk", "status"))


def _subscriptions(w):
    return Subscription.objects.count()


def _visibilities(w):
    return (
        tuple(Question.objects.order_by("pk").values_list("pk", "visibility")),
        tuple(Answer.objects.order_by("pk").values_list("pk", "visibility")),
    )


def _suspensions(w):
    return tuple(
        Member.objects.order_by("pk").values_list("user_id", "suspended_until", "suspension_reason")
    )


# The site ---------------------------------------------------------------------------------------

SITE_ROWS = [
    Row("healthz", everyone()),
    # people
    Row("people:directory", everyone(), languages=("ja", "en")),
    Row("people:me", members(MOVED)),
    Row("people:personal_data", members()),
    # One's own data only (no id in the address); a fresh sign-in is asked for first.
    Row("people:export_personal_data", members(MOVED)),
    Row(
        "people:delete_account",
        members(BAD, staff=FORBIDDEN, superuser=FORBIDDEN),
        method="POST",
        data=lambda w: {"password": "wrong", "confirmation": "someone@example.jp"},
        state=lambda w: type(w.users["learner"]).objects.count(),
        label="wrong password",
    ),
    Row(
        "people:profile",
        everyone(GONE, learner=OK, staff=OK, superuser=OK),
        args=lambda w: [w.users["learner"].profile.pk],
        label="private profile",
        languages=("ja", "en"),
    ),
    Row(
        "people:profile",
        everyone(),
        args=lambda w: [w.users["contributor"].profile.pk],
        label="public profile",
    ),
    Row(
        "people:profile_edit",
        members(FORBIDDEN, learner=OK),
        args=lambda w: [w.users["learner"].profile.pk],
    ),
    Row(
        "people:profile_edit",
        members(FORBIDDEN, learner=DONE),
        args=lambda w: [w.users["learner"].profile.pk],
        method="POST",
        data=lambda w: {"display_name": "書き換え", "job_title": "書き換え"},
        state=_profile_state,
    ),
    # search
    Row("search:search", everyone(), query="?q=RPA", languages=("ja", "en")),
    Row("search:search", everyone(), query="?q=RPA&format=json", label="json"),
    # learning
    Row("curriculum:dashboard", members(), languages=("ja", "en")),
    Row(
        "curriculum:enrol",
        members(DONE, learner=MOVED),
        args=_pk("course"),
        method="POST",
        state=_enrolments,
    ),
    Row("curriculum:enrol", members(NOT_ALLOWED), args=_pk("course"), label="GET"),
    Row(
        "curriculum:complete_lesson",
        members(REFUSED, learner=MOVED),
        args=_pk("lesson"),
        method="POST",
        state=_completions,
    ),
    Row(
        "curriculum:start_quiz",
        members(REFUSED, learner=MOVED),
        args=_pk("quiz_lesson"),
        method="POST",
        state=_attempts,
    ),
    Row(
        "curriculum:attempt",
        members(GONE, learner=OK),
        args=_pk("attempt_done"),
        label="review",
        languages=("ja", "en"),
    ),
    Row(
        "curriculum:attempt",
        members(GONE, learner=DONE),
        args=_pk("attempt_open"),
        method="POST",
        data=lambda w: w.quiz_answer,
        state=_attempts,
        label="submit",
    ),
    # course runs: the run is the other administrator's municipality's, so only its members
    # (the other administrator) may join; the learner is in it already.
    Row("curriculum:run", members(), args=_pk("run"), languages=("ja", "en")),
    Row(
        "curriculum:join_run",
        members(REFUSED, learner=MOVED, other_admin=DONE),
        args=_pk("run"),
        method="POST",
        state=_run_enrolments,
    ),
    Row("curriculum:calendar", members()),
    Row("curriculum:calendar", members(DONE), method="POST", state=_calendar_keys, label="renew"),
    # The secret address is the credential: anyone who has it, signed in or not.
    Row("curriculum:calendar_feed", everyone(), args=lambda w: [w.calendar_token]),
    Row(
        "curriculum:calendar_feed",
        everyone(GONE),
        args=lambda w: [w.calendar_token[:-2] + "xx"],
        label="forged",
    ),
    Row("curriculum:my_statements", members()),
    Row("curriculum:all_statements", members(FORBIDDEN, staff=OK, superuser=OK)),
    # credentials
    Row("credentials:wallet", members()),
    Row("credentials:verify", everyone()),
    Row(
        "credentials:verify",
        everyone(BAD),
        method="POST",
        data=lambda w: {"text": "{not json"},
        label="bad input",
    ),
    Row("credentials:framework", everyone(), languages=("ja", "en")),
    *[
        Row(
            f"credentials:{name}",
            everyone(GONE, learner=OK),
            args=lambda w: [w.award.uuid],
            label="private award",
        )
        for name in ("award", "download_json", "download_jwt", "certificate")
    ],
    Row(
        "credentials:sharing",
        members(GONE, learner=DONE),
        args=lambda w: [w.award.uuid],
        method="POST",
        data=lambda w: {"is_public": "on"},
        state=_award_sharing,
    ),
    Row("career:path", members()),
    Row("credential_verify_api", everyone(BAD), method="POST", content_type="application/json"),
    Row("credential_did", everyone()),
    Row("credential_jwks", everyone()),
    Row("credential_issuer", everyone()),
    Row("credential_status_list", everyone(), args=lambda w: [1]),
    Row("credential_achievement", everyone(), args=lambda w: [w.definition.slug]),
    # The drawn badge is an image of a public achievement: anyone, any credential that exists.
    Row("credential_badge", everyone(), args=_pk("definition")),
    Row("credential_badge", everyone(GONE), args=lambda w: [2**31 - 1], label="unknown"),
    # case studies
    Row("casestudies:mine", members()),
    Row("casestudies:new", members()),
    Row(
        "casestudies:edit",
        members(GONE, contributor=OK),
        args=lambda w: [w.draft_case.pk, "basics"],
        label="draft",
    ),
    Row(
        "casestudies:edit",
        members(GONE, contributor=DONE),
        args=lambda w: [w.draft_case.pk, "story"],
        method="POST",
        data=lambda w: {
            "problem": "書き換えた課題",
            "approach": "書き換えた取組",
            "procurement_route": "",
            "action": "save",
        },
        state=_case_revisions,
        label="draft",
    ),
    Row(
        "casestudies:submit",
        members(GONE, contributor=DONE),
        args=_pk("draft_case"),
        method="POST",
        state=_workflows,
    ),
    Row(
        "casestudies:preview",
        everyone(GONE, contributor=OK, moderator=OK, superuser=OK),
        args=_pk("draft_case"),
        label="draft",
    ),
    Row(
        "casestudies:replicate",
        members(DONE),
        args=_pk("live_case"),
        method="POST",
        state=_replications,
    ),
    Row(
        "casestudies:replicate",
        members(GONE),
        args=_pk("draft_case"),
        method="POST",
        state=_replications,
        label="draft",
    ),
    Row(
        "casestudies:markdown_preview",
        members(OK),
        method="POST",
        data=lambda w: {"text": "**太字**"},
    ),
    # questions and answers
    Row("knowledge:list", everyone(), languages=("ja", "en")),
    Row("knowledge:feed", everyone()),
    Row("knowledge:topic_feed", everyone(), args=lambda w: [w.topic.slug]),
    Row("knowledge:ask", members()),
    Row(
        "knowledge:ask",
        members(DONE),
        method="POST",
        data=lambda w: {
            "title": "新しい質問の題名です",
            "body": "本文です。人口3万人の町で、RPAの対象業務を選んでいます。",
            "topics": [w.topic.pk],
        },
        state=_questions,
    ),
    Row("knowledge:similar", everyone(), query="?q=RPA"),
    Row("knowledge:inbox", members()),
    Row(
        "knowledge:inbox",
        members(REFUSED, learner=DONE),
        method="POST",
        state=_unread,
        label="mark all read",
    ),
    Row(
        "knowledge:open_notification",
        members(GONE, learner=DONE),
        args=_pk("notification"),
        state=_unread,
    ),
    Row("knowledge:settings", members()),
    Row(
        "knowledge:settings",
        members(REFUSED, learner=DONE),
        method="POST",
        data=lambda w: {"email": Member.Email.NEVER},
        state=_learner_email_setting,
    ),
    Row("knowledge:question", everyone(), args=_pk("question"), languages=("ja", "en")),
    Row(
        "knowledge:question",
        everyone(GONE, moderator=OK, superuser=OK),
        args=_pk("pending_question"),
        label="pending",
    ),
    Row(
        "knowledge:answer",
        members(DONE),
        args=_pk("question"),
        method="POST",
        data=lambda w: {"body": "新しい回答です。申告期の入力作業から始めるとよいでしょう。"},
        state=_answers,
    ),
    Row(
        "knowledge:answer",
        # Moderators see a question awaiting review but nobody answers it before it is public.
        members(GONE, moderator=OK_UNCHANGED, superuser=OK_UNCHANGED),
        args=_pk("pending_question"),
        method="POST",
        data=lambda w: {"body": "審査待ちへの回答です。まず業務量を測ってください。"},
        state=_answers,
        label="pending",
    ),
    Row(
        "knowledge:close",
        members(FORBIDDEN, learner=OK, moderator=OK, superuser=OK),
        args=_pk("question"),
    ),
    Row(
        "knowledge:close",
        members(FORBIDDEN, learner=DONE, moderator=DONE, superuser=DONE),
        args=_pk("question"),
        method="POST",
        data=lambda w: {"original": str(w.contributor_question.pk)},
        state=_question_state,
    ),
    Row(
        "knowledge:reopen",
        members(REFUSED, moderator=DONE, superuser=DONE),
        args=_pk("closed_question"),
        method="POST",
        state=_closed_state,
    ),
    Row(
        "knowledge:accept",
        members(REFUSED, learner=DONE, moderator=DONE, superuser=DONE),
        args=_pk("answer"),
        method="POST",
        state=_question_state,
    ),
    Row(
        "knowledge:vote",
        members(DONE, contributor=REFUSED),
        args=lambda w: ["answer", w.answer.pk],
        method="POST",
        data=lambda w: {"value": "up"},
        state=_answer_state,
    ),
    Row(
        "knowledge:vote",
        members(GONE, moderator=REFUSED, superuser=REFUSED),
        args=lambda w: ["answer", w.hidden_answer.pk],
        method="POST",
        data=lambda w: {"value": "up"},
        state=lambda w: Answer.objects.get(pk=w.hidden_answer.pk).score,
        label="hidden",
    ),
    Row(
        "knowledge:comment",
        members(DONE),
        args=lambda w: ["answer", w.answer.pk],
        method="POST",
        data=lambda w: {"body": "コメントです。"},
        state=_comments,
    ),
    Row(
        "knowledge:edit",
        members(FORBIDDEN, contributor=OK, moderator=OK, superuser=OK),
        args=lambda w: ["answer", w.answer.pk],
    ),
    Row(
        "knowledge:edit",
        members(FORBIDDEN, contributor=DONE, moderator=DONE, superuser=DONE),
        args=lambda w: ["answer", w.answer.pk],
        method="POST",
        data=lambda w: {
            "body": "書き換えた回答です。定型で大量の入力業務が向いています。",
            "summary": "修正",
        },
        state=_answer_state,
    ),
    # Permanent addresses: to the page of the thread that holds the post. A hidden answer's leads
    # to its question, but for those who may see it; a hidden answer's comments are no one's.
    Row("knowledge:answer_link", everyone(MOVED), args=_pk("answer")),
    Row("knowledge:answer_link", everyone(MOVED), args=_pk("hidden_answer"), label="hidden"),
    Row("knowledge:comment_link", everyone(MOVED), args=_pk("comment")),
    Row("knowledge:comments", everyone(), args=lambda w: ["answer", w.answer.pk]),
    Row(
        "knowledge:comments",
        everyone(GONE, moderator=OK, superuser=OK),
        args=lambda w: ["answer", w.hidden_answer.pk],
        label="hidden",
    ),
    Row("knowledge:revisions", everyone(), args=lambda w: ["question", w.question.pk]),
    Row(
        "knowledge:revisions",
        everyone(GONE, moderator=OK, superuser=OK),
        args=lambda w: ["answer", w.hidden_answer.pk],
        label="hidden",
    ),
    Row("knowledge:flag", members(), args=lambda w: ["answer", w.answer.pk]),
    Row(
        "knowledge:flag",
        members(DONE),
        args=lambda w: ["question", w.question.pk],
        method="POST",
        data=lambda w: {"reason": "spam", "note": ""},
        state=_flags,
    ),
    Row(
        "knowledge:subscribe",
        members(DONE),
        args=lambda w: ["topic", w.topic.slug],
        method="POST",
        state=_subscriptions,
    ),
    Row(
        "knowledge:subscribe",
        members(DONE, contributor=REFUSED),
        args=lambda w: ["person", w.users["contributor"].pk],
        method="POST",
        state=_subscriptions,
        label="person",
    ),
    Row(
        "knowledge:subscribe",
        members(GONE),
        args=lambda w: ["person", w.users["learner"].pk],
        method="POST",
        state=_subscriptions,
        label="private person",
    ),
]

# The project's admin views (added through Wagtail hooks) ------------------------------------------

REPORT_VIEWERS = {"staff": OK, "superuser": OK}
MODERATORS = {"moderator": OK, "superuser": OK}
MODERATORS_ACT = {"moderator": DONE, "superuser": DONE}
RUN_FOLLOWERS = {**REPORT_VIEWERS, "other_admin": OK, "moderator": OK}

ADMIN_ROWS = [
    Row("learning_reports", admin(**REPORT_VIEWERS)),
    Row("learning_reports", admin(**REPORT_VIEWERS), query="?format=csv", label="csv"),
    Row("learning_report", admin(**REPORT_VIEWERS), args=_pk("course")),
    Row(
        "learning_report",
        admin(**REPORT_VIEWERS),
        args=_pk("course"),
        query="?format=csv&table=municipalities",
        label="csv",
    ),
    Row("bulk_enrol", admin(**REPORT_VIEWERS)),
    Row(
        "bulk_enrol",
        admin(staff=OK_CHANGED, superuser=OK_CHANGED),
        method="POST",
        data=lambda w: {"course": w.course.pk, "municipality": w.other_municipality.pk},
        state=_enrolments,
    ),
    Row("credential_awards", admin(**REPORT_VIEWERS)),
    Row("credential_award_create", admin(**REPORT_VIEWERS)),
    Row(
        "credential_award_create",
        admin(staff=DONE, superuser=DONE),
        method="POST",
        data=lambda w: {
            "definition": w.definition.pk,
            "email": w.users["contributor"].email,
            "reason": "講師として",
        },
        state=_awards,
    ),
    Row("credential_revoke", admin(**REPORT_VIEWERS), args=_pk("award")),
    Row(
        "credential_revoke",
        admin(staff=DONE, superuser=DONE),
        args=_pk("award"),
        method="POST",
        data=lambda w: {"reason": "誤って発行"},
        state=_awards,
    ),
    Row("organisation_report", admin(superuser=OK, other_admin=MOVED)),
    Row(
        "organisation_report",
        admin(superuser=OK),
        query="?prefecture=13",
        label="prefecture",
    ),
    Row(
        "organisation_report_detail",
        admin(superuser=OK),
        args=_pk("municipality"),
        label="learner's municipality",
    ),
    Row(
        "organisation_report_detail",
        admin(superuser=OK),
        args=_pk("municipality"),
        query="?format=csv",
        label="learner's municipality csv",
    ),
    Row(
        "organisation_report_detail",
        admin(superuser=OK, other_admin=OK),
        args=_pk("other_municipality"),
        label="own municipality",
    ),
    # Course runs: staff with the enrolment permissions see every run; the other administrator
    # sees their own organisation's run and nothing of another prefecture's; the moderator is
    # the run's facilitator (learners and attendance, not enrolment).
    Row("course_runs", admin(**RUN_FOLLOWERS)),
    *[
        Row("course_run_learners", admin(**RUN_FOLLOWERS), args=_pk("run"), query=q, label=q)
        for q in ("", "?status=in_progress", "?format=csv", "?format=xlsx")
    ],
    Row(
        "course_run_learners",
        admin(**REPORT_VIEWERS, other_admin=GONE, moderator=GONE),
        args=_pk("foreign_run"),
        label="another prefecture's",
    ),
    Row("course_run_completions", admin(**RUN_FOLLOWERS), args=_pk("run")),
    Row(
        "course_run_completions",
        admin(**REPORT_VIEWERS, other_admin=GONE, moderator=GONE),
        args=_pk("foreign_run"),
        label="another prefecture's",
    ),
    Row("course_run_enrol", admin(**REPORT_VIEWERS), args=_pk("run")),
    Row(
        "course_run_enrol",
        admin(staff=OK_CHANGED, superuser=OK_CHANGED),
        args=_pk("run"),
        method="POST",
        data=lambda w: {"typed": w.twins["learner"].email},
        state=_run_enrolments,
    ),
    Row(
        "course_run_attendance",
        admin(**REPORT_VIEWERS, moderator=OK),
        args=lambda w: [w.run.pk, w.session.pk],
    ),
    Row(
        "course_run_attendance",
        admin(staff=DONE, superuser=DONE, moderator=DONE),
        args=lambda w: [w.run.pk, w.session.pk],
        method="POST",
        data=lambda w: {"present": [w.users["learner"].pk]},
        state=_attendance,
    ),
    Row(
        "course_run_attendance",
        admin(GONE),
        args=lambda w: [w.foreign_run.pk, w.session.pk],
        label="session of another run",
    ),
    Row("knowledge_moderation", admin(**MODERATORS)),
    Row(
        "knowledge_moderation_approve",
        admin(**MODERATORS_ACT),
        args=lambda w: ["question", w.pending_question.pk],
        method="POST",
        state=_visibilities,
    ),
    Row(
        "knowledge_moderation_hide",
        admin(**MODERATORS_ACT),
        args=lambda w: ["answer", w.answer.pk],
        method="POST",
        data=lambda w: {"reason": "確認"},
        state=_visibilities,
    ),
    Row(
        "knowledge_moderation_restore",
        admin(**MODERATORS_ACT),
        args=lambda w: ["answer", w.hidden_answer.pk],
        method="POST",
        state=_visibilities,
    ),
    Row(
        "knowledge_moderation_dismiss_flags",
        admin(**MODERATORS_ACT),
        args=lambda w: ["answer", w.answer.pk],
        method="POST",
        state=_flags,
    ),
    Row(
        "knowledge_moderation_dismiss_flag",
        admin(**MODERATORS_ACT),
        args=_pk("open_flag"),
        method="POST",
        state=_flags,
    ),
    Row(
        "knowledge_moderation_lock",
        admin(**MODERATORS_ACT),
        args=_pk("question"),
        method="POST",
        data=lambda w: {"locked": "1"},
        state=_question_state,
    ),
    Row("knowledge_moderation_suspensions", admin(**MODERATORS)),
    Row(
        "knowledge_moderation_suspend",
        admin(**MODERATORS),
        args=lambda w: [w.twins["learner"].pk],
    ),
    Row(
        "knowledge_moderation_suspend",
        admin(**MODERATORS_ACT),
        args=lambda w: [w.twins["learner"].pk],
        method="POST",
        data=lambda w: {"days": "7", "reason": "連投"},
        state=_suspensions,
    ),
    Row(
        "knowledge_moderation_lift",
        admin(**MODERATORS_ACT),
        args=lambda w: [w.newcomer.pk],
        method="POST",
        state=_suspensions,
    ),
]

# Third-party URL sets: a representative set -------------------------------------------------------

EDITORS = {"moderator": OK, "staff": OK, "superuser": OK}

THIRD_PARTY_ROWS = [
    Row("wagtailadmin_home", admin(OK)),
    Row("wagtailadmin_explore_root", admin(**EDITORS)),
    Row("wagtailadmin_explore", admin(**EDITORS), args=_pk("home")),
    Row("wagtailadmin_pages:edit", admin(**EDITORS), args=_pk("course"), label="course"),
    Row(
        "wagtailadmin_pages:view_draft",
        admin(**EDITORS),
        args=_pk("draft_case"),
        label="draft case",
    ),
    Row("wagtailimages:index", admin(**EDITORS)),
    Row("wagtaildocs:index", admin(**EDITORS)),
    Row("wagtailusers_users:index", admin(superuser=OK)),
    # Every admin user opens the site history; Wagtail lists only the entries of what they may
    # change.
    Row("wagtailadmin_reports:site_history", admin(OK)),
    Row(
        "wagtailsettings:edit",
        admin(superuser=OK),
        args=lambda w: ["credentials", "issuersettings", IssuerSettings.load().pk],
        label="issuer",
    ),
    Row("wagtailsites:index", admin(superuser=OK)),
    Row(
        "wagtaildocs_serve",
        everyone(),
        args=lambda w: [w.public_document.pk, w.public_document.filename],
        label="public document",
    ),
    Row(
        "wagtaildocs_serve",
        # Its authors, and the staff who manage documents (they see it in the admin too).
        everyone(GONE, contributor=OK, moderator=OK, staff=OK, superuser=OK),
        args=lambda w: [w.draft_document.pk, w.draft_document.filename],
        label="draft attachment",
    ),
    Row("wagtail_serve", everyone(), args=lambda w: [""], label="home", languages=("ja", "en")),
    Row(
        "wagtail_serve",
        everyone(),
        args=lambda w: [w.course.url_path.split("/", 2)[2]],
        label="course",
    ),
    Row(
        "wagtail_serve",
        everyone(GONE),
        args=lambda w: [w.draft_case.url_path.split("/", 2)[2]],
        label="draft case",
    ),
    Row("account_login", everyone(MOVED, anonymous=OK)),
    Row("account_signup", everyone(MOVED, anonymous=OK)),
    Row("account_reset_password", everyone()),
    Row("account_email", members()),
    Row("account_change_password", members()),
    Row("mfa_index", members()),
    Row("set_language", everyone(MOVED), method="POST", data=lambda w: {"language": "en"}),
    Row("wagtailapi:pages:listing", everyone()),
    Row("wagtailapi:pages:detail", everyone(), args=_pk("course")),
    Row("wagtailapi:pages:detail", everyone(GONE), args=_pk("draft_case"), label="draft case"),
    Row("wagtailapi:images:listing", everyone()),
    Row("wagtailapi:images:detail", everyone(), args=_pk("image")),
    Row("wagtailapi:documents:listing", everyone()),
    Row("wagtailapi:documents:detail", everyone(), args=_pk("public_document")),
    Row(
        "wagtailapi:documents:detail",
        everyone(GONE),
        args=_pk("draft_document"),
        label="draft attachment",
    ),
    Row(
        "wagtailapi:documents:find",
        everyone(MOVED),
        query=lambda w: f"?id={w.public_document.pk}",
        label="public document",
    ),
    Row(
        "wagtailapi:documents:find",
        everyone(GONE),
        query=lambda w: f"?id={w.draft_document.pk}",
        label="draft attachment",
    ),
]

# The admin viewsets of the project's models ---------------------------------------------------
# Every one is the superuser's only (no group is given these model permissions); the choosers
# open to anyone with admin access, as Wagtail's choosers do (they are how editors pick a
# snippet in a page form).

SUPERUSER_ONLY = admin(superuser=OK)

VIEWSETS = {
    # url namespace: the object whose pk the views take
    "wagtailsnippets_core_topic": "topic",
    "wagtailsnippets_sitesearch_synonymgroup": "synonym_group",
    "wagtailsnippets_curriculum_competency": "competency",
    "wagtailsnippets_curriculum_role": "role",
    "wagtailsnippets_curriculum_quiz": "quiz",
    "wagtailsnippets_curriculum_quizitem": "quiz_question",
    "wagtailsnippets_credentials_credentialdefinition": "definition",
    "wagtailsnippets_credentials_organisationreporter": "reporter",
    "wagtailsnippets_curriculum_courserun": "run",
    "profile": "learner_profile",
    "municipality": "municipality",
}
CHOOSERS = {
    namespace.replace("wagtailsnippets_", "wagtailsnippetchoosers_"): attr
    for namespace, attr in VIEWSETS.items()
    if namespace.startswith("wagtailsnippets_")
}
VIEWSET_EXPECT = {
    # An awarded credential cannot be deleted (a hook sends the superuser back to the list).
    "wagtailsnippets_credentials_credentialdefinition:delete": admin(superuser=MOVED),
    # Choosers answer any admin user: listing choices is not restricted by Wagtail.
    "choose": admin(**EDITORS, other_admin=OK),
    "choose_results": admin(**EDITORS, other_admin=OK),
    "chosen": admin(**EDITORS, other_admin=OK),
    "chosen_multiple": admin(**EDITORS, other_admin=OK),
}


def _walk(patterns, prefix="", namespace=None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            name = pattern.name and (f"{namespace}:{pattern.name}" if namespace else pattern.name)
            yield prefix + str(pattern.pattern), name, pattern


def url_patterns(patterns=None):
    """(route, name, pattern) for every URL the project serves."""
    return list(_walk(get_resolver().url_patterns if patterns is None else patterns))


def _view_module(pattern) -> str:
    view = pattern.callback
    view = getattr(view, "view_class", None) or getattr(view, "cls", None) or view
    while hasattr(view, "__wrapped__"):
        view = view.__wrapped__
    return getattr(view, "__module__", "") or ""


def project_viewset_namespaces() -> set[str]:
    admin_viewsets.populate()
    found = set()
    for viewset in admin_viewsets.viewsets:
        if type(viewset).__module__.split(".")[0] in PROJECT_PACKAGES:
            found.add(viewset.url_namespace)
            chooser = getattr(viewset, "chooser_viewset", None)
            if chooser is not None:
                found.add(chooser.url_namespace)
    return found


def project_url_names(patterns=None) -> dict[str, str]:
    """name → route of every pattern that belongs to the project."""
    viewsets = project_viewset_namespaces()
    names = {}
    for route, name, pattern in url_patterns(patterns):
        namespace = name.rsplit(":", 1)[0] if name and ":" in name else None
        if _view_module(pattern).split(".")[0] in PROJECT_PACKAGES or namespace in viewsets:
            names[name or route] = route
    return names


def _viewset_rows():
    """One row per viewset; its test requests every URL of the viewset's namespace."""
    rows = []
    for namespace, attr in {**VIEWSETS, **CHOOSERS}.items():
        rows.append(Row(namespace + ":*", SUPERUSER_ONLY, label="", tags={"viewset", attr}))
    return rows


def _viewset_urls(row):
    """(name, args builder, query) for every URL in the viewset's namespace."""
    namespace = row.name[: -len(":*")]
    attr = next(tag for tag in row.tags if tag != "viewset")
    found = []
    for route, name, _pattern in url_patterns():
        if not name or name.rsplit(":", 1)[0] != namespace:
            continue
        view = name.rsplit(":", 1)[1]
        takes_pk = "<int:pk>" in route or "<str:pk>" in route
        pk = lambda w, a=attr: [getattr(w, a).pk]  # noqa: E731
        query = (lambda w, a=attr: f"?id={getattr(w, a).pk}") if view == "chosen_multiple" else ""
        found.append(
            Row(
                name,
                VIEWSET_EXPECT.get(name, VIEWSET_EXPECT.get(view, row.expect)),
                args=pk if takes_pk else (lambda w: []),
                query=query,
            )
        )
    assert found, f"no URL in the namespace {namespace}"
    return found, attr


ROWS = SITE_ROWS + ADMIN_ROWS + THIRD_PARTY_ROWS + _viewset_rows()


# Requests ---------------------------------------------------------------------------------------


def observe(response) -> str:
    if response.status_code in (301, 302):
        path = urlsplit(response["Location"]).path
        if path.endswith("/accounts/login/"):
            return "login"
        if path == _admin_login_path():
            return "admin_login"
        if path == reverse("wagtailadmin_home"):
            return "denied"
        return "redirect"
    if response.status_code == 200:
        return "ok"
    return str(response.status_code)


def _admin_login_path() -> str:
    """Where Wagtail sends those without admin access (the site's own sign-in when the admin
    signs in through allauth)."""
    with translation.override("ja"):
        return resolve_url(getattr(settings, "WAGTAILADMIN_LOGIN_URL", "wagtailadmin_login"))


def request_as(world, row, role, language="ja"):
    """One request by one role, in a savepoint rolled back afterwards: (label, changed)."""
    client = Client()
    user = world.users[role]
    if user is not None:
        client.force_login(user)
    url = row.url(world, language)
    cache.clear()
    with transaction.atomic():
        before = row.state(world) if row.state else None
        if row.method == "POST":
            data = row.data(world) if row.data else {}
            if row.content_type:
                response = client.post(url, data=b"{", content_type=row.content_type)
            else:
                response = client.post(url, data)
        else:
            response = client.get(url)
        after = row.state(world) if row.state else None
        transaction.set_rollback(True)
    translation.activate("ja")
    return observe(response), (before != after) if row.state else None, response


def _check(world, row, problems):
    for language in row.languages:
        for role in ROLES:
            expected = row.expect[role]
            label, changed, response = request_as(world, row, role, language)
            wanted = expected.label
            if wanted == "admin_login" and _admin_login_path().endswith("/accounts/login/"):
                wanted = "login"  # the admin signs in through the site's own sign-in
            where = f"{role:12} {language}"
            if label != wanted:
                detail = response.get("Location", "") if label == "redirect" else ""
                problems.append(f"{where}: expected {wanted}, got {label} {detail}")
            if None not in (expected.changes, changed) and changed != expected.changes:
                what = "did not change" if expected.changes else "changed"
                problems.append(f"{where}: the database {what} ({label})")


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.id)
def test_permission_matrix(world, row):
    problems = []
    if "viewset" in row.tags:
        urls, _object = _viewset_urls(row)
        for each in urls:
            found = []
            _check(world, each, found)
            problems += [f"{each.name}: {problem}" for problem in found]
    else:
        _check(world, row, problems)
    assert not problems, f"{row.id}:\n" + "\n".join(problems)


def test_every_project_url_has_a_row():
    covered = {row.name for row in ROWS}
    covered |= {
        name
        for name in project_url_names()
        if ":" in name and name.rsplit(":", 1)[0] in {**VIEWSETS, **CHOOSERS}
    }
    covered |= {
        name for name in project_url_names() if name.split(":", 1)[0] in OWN_MATRIX_NAMESPACES
    }
    missing = {name: route for name, route in project_url_names().items() if name not in covered}
    assert not missing, (
        "URL patterns of the project without a row in the permission matrix; add one to "
        "SITE_ROWS or ADMIN_ROWS (or a namespace to VIEWSETS) in "
        "tests/security/test_permission_matrix.py:\n"
        + "\n".join(f"  {name}  ({route})" for name, route in sorted(missing.items()))
    )


def test_every_row_names_a_url_that_exists():
    known = {name for _route, name, _pattern in url_patterns() if name}
    assert not {row.name for row in ROWS if "viewset" not in row.tags} - known


def test_the_check_sees_a_new_url():
    """A pattern added to the project without a row is reported by its name."""
    from django.urls import include, path

    def new_view(request):  # never requested
        raise AssertionError

    new_view.__module__ = "knowledge.views"
    added = [path("questions/", include(([path("new/", new_view, name="new_thing")], "knowledge")))]
    names = project_url_names([*get_resolver().url_patterns, *added])
    assert names.get("knowledge:new_thing") == "questions/new/"
    assert "knowledge:new_thing" not in {row.name for row in ROWS}
