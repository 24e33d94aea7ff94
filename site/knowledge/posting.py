"""Everything that writes to the knowledge base goes through here, so the rules live in one place:
who may post, edit, vote, accept and close; rate limits; the review of a new member's first posts;
revisions; and the score and status kept in step with the votes and answers."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.log_actions import log

from core.counters import security_cache
from people.mfa import privileges_in_force

from . import notifications
from .models import (
    Answer,
    Comment,
    Flag,
    Member,
    Question,
    QuestionStatus,
    Revision,
    Visibility,
    Vote,
)

# How many posts of each kind a member may write per hour (moderators are not limited).
DEFAULT_RATE_LIMITS = {"question": 5, "answer": 20, "comment": 30, "vote": 120, "flag": 20}
# A new member's first posts wait for a moderator before they are public.
DEFAULT_REVIEWED_POSTS = 2


class RateLimited(Exception):
    message = gettext_lazy("You have posted a lot in the last hour. Please try again later.")


class Suspended(PermissionDenied):
    pass


def is_moderator(user) -> bool:
    """A moderator whose powers are in force: with MFA_REQUIRED_FOR_STAFF, only after they set
    up an authenticator app (people.mfa.privileges_in_force)."""
    return bool(
        user.is_authenticated
        and user.has_perm("knowledge.moderate_posts")
        and privileges_in_force(user)
    )


def member(user) -> Member:
    return Member.objects.get_or_create(user=user)[0]


def suspension(user) -> Member | None:
    """The member's standing if they are suspended now, otherwise None."""
    standing = Member.objects.filter(user=user, suspended_until__gt=timezone.now()).first()
    return standing


def check_can_post(user, kind: str) -> None:
    if not user.is_authenticated or not user.is_active:
        raise PermissionDenied(_("Please sign in."))
    standing = suspension(user)
    if standing is not None:
        raise Suspended(
            _("Your account is suspended from posting until %(date)s.")
            % {"date": timezone.localtime(standing.suspended_until).strftime("%Y-%m-%d %H:%M")}
        )
    if is_moderator(user):
        return
    limits = getattr(settings, "KNOWLEDGE_RATE_LIMITS", DEFAULT_RATE_LIMITS)
    limit = limits.get(kind)
    if limit is None:
        return
    # In the security counters' store (core.counters): shared by every process, never evicted.
    key = f"qa-rate:{kind}:{user.pk}"
    security_cache.add(key, 0, timeout=3600)
    try:
        used = security_cache.incr(key)
    except ValueError:  # expired between add and incr
        security_cache.set(key, 1, timeout=3600)
        used = 1
    if used > limit:
        raise RateLimited


def needs_review(user) -> bool:
    if is_moderator(user) or user.is_staff:
        return False
    reviewed = getattr(settings, "KNOWLEDGE_REVIEWED_POSTS", DEFAULT_REVIEWED_POSTS)
    return member(user).approved_posts < reviewed


def _initial_visibility(user) -> str:
    return Visibility.PENDING if needs_review(user) else Visibility.PUBLISHED


def _count_approved(user) -> None:
    Member.objects.filter(user=user).update(approved_posts=F("approved_posts") + 1)


# --- asking, answering, commenting -----------------------------------------------------------


@transaction.atomic
def ask(user, *, title, body, topics=(), anonymous=False, case_study=None) -> Question:
    check_can_post(user, "question")
    now = timezone.now()
    question = Question.objects.create(
        title=title.strip(),
        body=body,
        author=user,
        is_anonymous=anonymous,
        case_study=case_study,
        visibility=_initial_visibility(user),
        created_at=now,
        last_activity_at=now,
    )
    question.topics.set(topics)
    # The topics are stored after the save that indexed the question: index it again with them.
    notifications.reindex(question)
    _record_revision(question, user, summary="")
    notifications.subscribe(user, question=question)
    if question.is_published:
        _count_approved(user)
        transaction.on_commit(lambda: notifications.question_published(question))
    return question


@transaction.atomic
def answer(user, question: Question, *, body) -> Answer:
    check_can_post(user, "answer")
    _check_open(question)
    now = timezone.now()
    reply = Answer.objects.create(
        question=question,
        body=body,
        author=user,
        visibility=_initial_visibility(user),
        created_at=now,
    )
    _record_revision(reply, user, summary="")
    notifications.subscribe(user, question=question)
    if reply.is_published:
        _count_approved(user)
        _answer_published(reply)
    return reply


def _answer_published(reply: Answer) -> None:
    question = reply.question
    Question.objects.filter(pk=question.pk).update(
        answer_count=F("answer_count") + 1, last_activity_at=timezone.now()
    )
    question.refresh_from_db(fields=["answer_count", "last_activity_at", "status"])
    _save_status(question)
    transaction.on_commit(lambda: notifications.answer_published(reply))


@transaction.atomic
def comment(user, post: Question | Answer, *, body) -> Comment:
    check_can_post(user, "comment")
    question = post if isinstance(post, Question) else post.question
    _check_open(question, allow_closed=True)
    target = {"question": post} if isinstance(post, Question) else {"answer": post}
    note = Comment.objects.create(
        body=body.strip(),
        author=user,
        visibility=_initial_visibility(user),
        created_at=timezone.now(),
        **target,
    )
    if note.visibility == Visibility.PUBLISHED:
        _count_approved(user)
        Question.objects.filter(pk=question.pk).update(last_activity_at=note.created_at)
        transaction.on_commit(lambda: notifications.comment_published(note))
    return note


def _check_open(question: Question, allow_closed=False) -> None:
    if question.is_locked:
        raise PermissionDenied(_("This question is locked: it takes no new posts or votes."))
    if question.is_closed and not allow_closed:
        raise PermissionDenied(
            _("This question was closed as a duplicate: please answer the original.")
        )
    if not question.is_published:
        raise PermissionDenied(_("This question is not public yet."))


# --- editing and revisions ----------------------------------------------------------------------


def can_edit(user, post, *, question=None, suspended=None) -> bool:
    """`question` and `suspended` spare the queries when a page asks about many posts."""
    if not user.is_authenticated:
        return False
    if is_moderator(user):
        return True
    if post.author_id != user.pk:
        return False
    if suspended is None:
        suspended = suspension(user) is not None
    if suspended:
        return False
    question = question or (post if isinstance(post, Question) else post.question)
    return not question.is_locked


def _record_revision(post, user, summary) -> Revision:
    target = {"question": post} if isinstance(post, Question) else {"answer": post}
    last = Revision.objects.filter(**target).order_by("-number").first()
    return Revision.objects.create(
        number=(last.number + 1) if last else 1,
        title=getattr(post, "title", "") if isinstance(post, Question) else "",
        body=post.body,
        summary=summary,
        author=user,
        created_at=timezone.now(),
        **target,
    )


@transaction.atomic
def edit(user, post, *, body, title=None, topics=None, summary="") -> bool:
    """Saves a new revision when something changed; says whether it did."""
    if not can_edit(user, post):
        raise PermissionDenied(_("You can edit only your own posts."))
    changed = post.body != body
    if isinstance(post, Question):
        if title is not None and title.strip() != post.title:
            post.title = title.strip()
            changed = True
        if topics is not None and set(post.topics.all()) != set(topics):
            post.topics.set(topics)
            changed = True
    if not changed:
        return False
    post.body = body
    post.edited_at = timezone.now()
    post.save()
    _record_revision(post, user, summary=summary)
    question = post if isinstance(post, Question) else post.question
    Question.objects.filter(pk=question.pk).update(last_activity_at=post.edited_at)
    notifications.reindex(question)
    return True


# --- votes ------------------------------------------------------------------------------------


@dataclass
class VoteOutcome:
    score: int
    value: int  # the member's vote now: 1, -1 or 0 (none)


def vote(user, post, value: int) -> VoteOutcome:
    """Sets the member's vote on the post: up (1), down (-1) or none (0). It says what the vote
    is to be, not what to change, so the same request sent twice (a double click) ends as sent
    once. The score moves in the database (score = score + n), never by writing a number read
    earlier, so votes cast at the same moment all count."""
    if value not in (Vote.UP, Vote.DOWN, 0):
        raise ValidationError(_("A vote is up or down."))
    check_can_post(user, "vote")
    if post.author_id == user.pk:
        raise PermissionDenied(_("You cannot vote on your own post."))
    question = post if isinstance(post, Question) else post.question
    if question.is_locked:
        raise PermissionDenied(_("This question is locked: it takes no new posts or votes."))
    if not post.is_published:
        raise PermissionDenied(_("This post is not public."))
    target = {"question": post} if isinstance(post, Question) else {"answer": post}
    model = type(post)
    for attempt in range(3):
        try:
            with transaction.atomic():
                # Votes on one post take turns: the post's row is locked until the commit (its
                # score is updated below anyway), so one member's double click cannot insert twice.
                list(model.objects.select_for_update().filter(pk=post.pk).values_list("pk"))
                existing = Vote.objects.filter(user=user, **target).first()
                before = existing.value if existing else 0
                if before == value:
                    pass
                elif value == 0:
                    existing.delete()
                elif existing is None:
                    Vote.objects.create(user=user, value=value, **target)
                else:
                    existing.value = value
                    existing.save(update_fields=["value", "created_at"])
                if value != before:
                    model.objects.filter(pk=post.pk).update(score=F("score") + value - before)
            break
        except IntegrityError:
            # The same member's second click raced the first: read their vote again.
            if attempt == 2:
                raise
            continue
    score = model.objects.values_list("score", flat=True).get(pk=post.pk)
    return VoteOutcome(score=score, value=value)


def votes_of(user, questions=(), answers=()) -> dict[tuple[str, int], int]:
    """The member's own votes on the posts shown, in one query: {("answer", pk): 1, …}."""
    if not user.is_authenticated:
        return {}
    rows = Vote.objects.filter(
        Q(question__in=[q.pk for q in questions]) | Q(answer__in=[a.pk for a in answers]),
        user=user,
    ).values_list("question_id", "answer_id", "value")
    return {(("question", q) if q else ("answer", a)): value for q, a, value in rows}


# --- accepting ---------------------------------------------------------------------------------


def can_accept(user, question: Question) -> bool:
    return user.is_authenticated and (question.author_id == user.pk or is_moderator(user))


@transaction.atomic
def accept(user, reply: Answer, accepted: bool = True) -> bool:
    """The asker accepts an answer (replacing one accepted before) or, with accepted=False,
    withdraws it. It says what is to be, so a double click ends as one click would: accepted.
    Says whether the answer is accepted now."""
    question = Question.objects.select_for_update().get(pk=reply.question_id)
    if not can_accept(user, question):
        raise PermissionDenied(_("Only the person who asked can accept an answer."))
    if question.is_locked:
        raise PermissionDenied(_("This question is locked: it takes no new posts or votes."))
    if not reply.is_published:
        raise PermissionDenied(_("This post is not public."))
    previous = question.accepted_answer_id
    if accepted:
        question.accepted_answer = reply
    elif previous == reply.pk:
        question.accepted_answer = None
    if question.accepted_answer_id == previous:
        return previous == reply.pk  # nothing changes: no save, no notification
    question.last_activity_at = timezone.now()
    question.refresh_status()
    question.save(update_fields=["accepted_answer", "status", "last_activity_at"])
    accepted = question.accepted_answer_id == reply.pk
    previous_author = (
        Answer.objects.filter(pk=previous).values_list("author_id", flat=True).first()
        if previous
        else None
    )
    transaction.on_commit(
        lambda: notifications.acceptance_changed(question, reply, accepted, previous_author)
    )
    return accepted


# --- closing and moderation ---------------------------------------------------------------------


def can_close(user, question: Question) -> bool:
    return user.is_authenticated and (question.author_id == user.pk or is_moderator(user))


@transaction.atomic
def close_as_duplicate(user, question: Question, original: Question) -> None:
    if not can_close(user, question):
        raise PermissionDenied(_("Only the asker or a moderator can close a question."))
    if original.pk == question.pk or original.duplicate_of_id == question.pk:
        raise ValidationError(_("A question cannot be a duplicate of itself."))
    if not original.is_published:
        raise ValidationError(_("The original question must be public."))
    question.duplicate_of = original
    question.closed_at = timezone.now()
    question.closed_by = user
    question.refresh_status()
    question.save(update_fields=["duplicate_of", "closed_at", "closed_by", "status"])
    notifications.reindex(question)


@transaction.atomic
def reopen(user, question: Question) -> None:
    if not is_moderator(user):
        raise PermissionDenied(_("Only a moderator can reopen a question."))
    question.duplicate_of = None
    question.closed_at = None
    question.closed_by = None
    question.refresh_status()
    question.save(update_fields=["duplicate_of", "closed_at", "closed_by", "status"])
    notifications.reindex(question)


def flag(user, target, *, reason, note="") -> Flag:
    check_can_post(user, "flag")
    field = {Question: "question", Answer: "answer", Comment: "comment"}[type(target)]
    existing = Flag.objects.filter(
        reporter=user, status=Flag.Status.OPEN, **{field: target}
    ).first()
    if existing is not None:
        return existing
    return Flag.objects.create(reporter=user, reason=reason, note=note, **{field: target})


def _save_status(question: Question) -> None:
    question.refresh_status()
    Question.objects.filter(pk=question.pk).update(status=question.status)
    notifications.reindex(question)


def _require_moderator(user):
    if not is_moderator(user):
        raise PermissionDenied(_("Only moderators can do this."))


def _log(target, action, user, data=None):
    log(instance=target, action=action, user=user, data=data or {})


@transaction.atomic
def approve(moderator, target) -> None:
    """A held post becomes public, with everything publishing sets off."""
    _require_moderator(moderator)
    if target.visibility != Visibility.PENDING:
        return
    target.visibility = Visibility.PUBLISHED
    target.save(update_fields=["visibility"])
    if target.author_id:
        member(target.author)
        _count_approved(target.author)
    _log(target, "knowledge.approve", moderator)
    if isinstance(target, Question):
        transaction.on_commit(lambda: notifications.question_published(target))
        notifications.reindex(target)
    elif isinstance(target, Answer):
        _answer_published(target)
    else:
        Question.objects.filter(pk=target.thread.pk).update(last_activity_at=timezone.now())
        transaction.on_commit(lambda: notifications.comment_published(target))
    if target.author_id:
        notifications.tell_author(target, "approved")


@transaction.atomic
def hide(moderator, target, reason="") -> None:
    _require_moderator(moderator)
    upheld = Flag.objects.filter(status=Flag.Status.OPEN, **{_flag_field(target): target}).update(
        status=Flag.Status.UPHELD, handled_by=moderator, handled_at=timezone.now()
    )
    if target.visibility == Visibility.HIDDEN:
        # Already hidden: flags raised since are upheld; nothing else happens a second time.
        if upheld:
            _log(target, "knowledge.hide", moderator, {"reason": reason})
        return
    was_published = target.visibility == Visibility.PUBLISHED
    target.visibility = Visibility.HIDDEN
    target.save(update_fields=["visibility"])
    _log(target, "knowledge.hide", moderator, {"reason": reason})
    if isinstance(target, Answer) and was_published:
        _answer_withdrawn(target)
    if isinstance(target, Question):
        notifications.reindex(target)
    if target.author_id and was_published:
        notifications.tell_author(target, "hidden")


@transaction.atomic
def restore(moderator, target) -> None:
    _require_moderator(moderator)
    if target.visibility != Visibility.HIDDEN:
        return
    # Public again, whether it was public or awaiting review when it was hidden: the moderator has
    # looked at it either way. No notifications go out a second time.
    target.visibility = Visibility.PUBLISHED
    target.save(update_fields=["visibility"])
    _log(target, "knowledge.restore", moderator)
    if isinstance(target, Answer):
        question = Question.objects.select_for_update().get(pk=target.question_id)
        question.answer_count = question.answers.filter(visibility=Visibility.PUBLISHED).count()
        question.save(update_fields=["answer_count"])
        _save_status(question)
    elif isinstance(target, Question):
        notifications.reindex(target)


def _answer_withdrawn(reply: Answer) -> None:
    question = Question.objects.select_for_update().get(pk=reply.question_id)
    question.answer_count = max(0, question.answer_count - 1)
    if question.accepted_answer_id == reply.pk:
        question.accepted_answer = None
    question.refresh_status()
    question.save(update_fields=["answer_count", "accepted_answer", "status"])
    notifications.reindex(question)


@transaction.atomic
def dismiss_flag(moderator, flag_obj: Flag) -> None:
    _require_moderator(moderator)
    if flag_obj.status != Flag.Status.OPEN:
        return
    flag_obj.status = Flag.Status.DISMISSED
    flag_obj.handled_by = moderator
    flag_obj.handled_at = timezone.now()
    flag_obj.save(update_fields=["status", "handled_by", "handled_at"])
    _log(flag_obj.target, "knowledge.dismiss_flag", moderator, {"flag": flag_obj.pk})


@transaction.atomic
def set_locked(moderator, question: Question, locked: bool) -> None:
    _require_moderator(moderator)
    question.is_locked = locked
    question.save(update_fields=["is_locked"])
    _log(question, "knowledge.lock" if locked else "knowledge.unlock", moderator)


@transaction.atomic
def suspend(moderator, user, *, days: int, reason: str) -> Member:
    _require_moderator(moderator)
    if user.pk == moderator.pk or is_moderator(user):
        raise PermissionDenied(_("Moderators cannot be suspended here."))
    standing = member(user)
    standing.suspended_until = timezone.now() + timezone.timedelta(days=days)
    standing.suspension_reason = reason
    standing.save(update_fields=["suspended_until", "suspension_reason"])
    _log(standing, "knowledge.suspend", moderator, {"days": days, "reason": reason})
    return standing


@transaction.atomic
def lift_suspension(moderator, user) -> None:
    _require_moderator(moderator)
    standing = member(user)
    if standing.suspended_until is None:
        return
    standing.suspended_until = None
    standing.suspension_reason = ""
    standing.save(update_fields=["suspended_until", "suspension_reason"])
    _log(standing, "knowledge.unsuspend", moderator)


def _flag_field(target) -> str:
    return {Question: "question", Answer: "answer", Comment: "comment"}[type(target)]


def status_label(question: Question) -> str:
    return str(QuestionStatus(question.status).label)
