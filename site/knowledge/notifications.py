"""Who hears about what: subscriptions to questions, topics and people, the on-site inbox, email at
once or as a daily digest (through django-tasks), and routing a new question to the peers who have
done the same thing. An anonymous asker is never named: their notifications carry no actor."""

from __future__ import annotations

import logging
from collections import defaultdict

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from casestudies.models import CaseStudyPage
from search.outbox import queue_index

from . import identity
from .models import Answer, Comment, Member, Notification, Question, Subscription, Visibility

log = logging.getLogger(__name__)
Kind = Notification.Kind
MAX_ROUTED = 5


def subscribe(user, **target) -> Subscription:
    try:
        with transaction.atomic():
            return Subscription.objects.get_or_create(user=user, **target)[0]
    except IntegrityError:
        return Subscription.objects.get(user=user, **target)


def unsubscribe(user, **target) -> None:
    Subscription.objects.filter(user=user, **target).delete()


def reindex(question: Question) -> None:
    """The question's index entry holds its answers' text and its status: queued with the change
    that alters them, so a committed answer always reaches the index."""
    queue_index(question)


# --- routing to peers -----------------------------------------------------------------------


def peers_for(question: Question, limit=MAX_ROUTED):
    """Members who wrote published case studies on the question's topics or had answers accepted
    on them, most experienced first; never the asker."""
    topic_ids = list(question.topics.values_list("pk", flat=True))
    if not topic_ids:
        return []
    # Two grouped counts over the narrow tables, merged here. One aggregate over every member
    # joined to all their answers and case studies took over a second with 300,000 answers.
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    cases = CaseStudyPage.objects.live().filter(topics__in=topic_ids).values("pk")
    case_authors = (
        CaseStudyPage.authors.through.objects.filter(casestudypage_id__in=cases)
        .values_list("user_id")
        .annotate(n=Count("casestudypage_id", distinct=True))
        .order_by()
    )
    for user_id, n in case_authors:
        counts[user_id][0] = n
    accepted = (
        Question.objects.filter(
            topics__in=topic_ids,
            accepted_answer__visibility=Visibility.PUBLISHED,
            accepted_answer__author__isnull=False,
        )
        .values_list("accepted_answer__author_id")
        .annotate(n=Count("accepted_answer_id", distinct=True))
        .order_by()
    )
    for user_id, n in accepted:
        counts[user_id][1] = n
    # Each answerer once, not a row per answer: a thread may have a thousand.
    in_thread = set(question.answers.order_by().values_list("author_id", flat=True).distinct())
    ranked = sorted(
        (pk for pk in counts if pk != question.author_id and pk not in in_thread),
        key=lambda pk: (-counts[pk][0], -counts[pk][1], pk),
    )
    peers = []
    # Inactive members are skipped: read a few more than needed, and more only if they were.
    for start in range(0, len(ranked), limit * 2):
        chunk = ranked[start : start + limit * 2]
        users = (
            get_user_model()
            .objects.filter(pk__in=chunk, is_active=True)
            .select_related("profile")
            .in_bulk()
        )
        for pk in chunk:
            if pk in users:
                user = users[pk]
                user.case_count, user.accepted_count = counts[pk]
                peers.append(user)
                if len(peers) == limit:
                    return peers
    return peers


# --- what sets notifications off ------------------------------------------------------------


def _notify(recipients, kind, question, answer=None, actor=None) -> list[Notification]:
    actor_id = getattr(actor, "pk", None)
    ids = {r if isinstance(r, int) else r.pk for r in recipients} - {actor_id, None}
    if not ids:
        return []
    notes = Notification.objects.bulk_create(
        Notification(recipient_id=pk, kind=kind, question=question, answer=answer, actor=actor)
        for pk in sorted(ids)
    )
    send_immediate_emails.enqueue([n.pk for n in notes if n.pk] or _ids_of(notes, kind, question))
    return notes


def _ids_of(notes, kind, question):
    # Databases that do not return primary keys from bulk inserts (none we support, but cheap).
    return list(
        Notification.objects.filter(kind=kind, question=question)
        .order_by("-pk")
        .values_list("pk", flat=True)[: len(notes)]
    )


def _subscribers(**target):
    return set(Subscription.objects.filter(**target).values_list("user_id", flat=True))


def question_published(question: Question) -> None:
    actor = None if question.is_anonymous else question.author
    topic_ids = list(question.topics.values_list("pk", flat=True))
    told = set()
    if topic_ids:
        followers = _subscribers(topic__in=topic_ids) - {question.author_id}
        _notify(followers, Kind.TOPIC_QUESTION, question, actor=actor)
        told |= followers
    if actor is not None:
        fans = _subscribers(person=actor) - told - {question.author_id}
        _notify(fans, Kind.PERSON_QUESTION, question, actor=actor)
        told |= fans
    if question.case_study_id:
        # Asked of a case study's authors: they hear of it whatever they follow.
        case = question.case_study
        authors = set(case.authors.values_list("pk", flat=True)) | {case.owner_id}
        authors -= told | {question.author_id, None}
        _notify(authors, Kind.CASE_QUESTION, question, actor=actor)
        told |= authors
    routed = [
        peer.pk
        for peer in peers_for(question)
        if peer.pk not in told and getattr(peer, "profile", None) and peer.profile.open_to_questions
    ]
    _notify(routed, Kind.ROUTED, question, actor=actor)


def answer_published(reply: Answer) -> None:
    question = reply.question
    hidden = identity.is_anonymous_asker(question, reply.author_id)
    actor = None if hidden else reply.author
    watchers = _subscribers(question=question) - {reply.author_id}
    _notify(watchers, Kind.ANSWER, question, answer=reply, actor=actor)
    if reply.author_id and not hidden:
        fans = _subscribers(person_id=reply.author_id) - watchers - {reply.author_id}
        _notify(fans, Kind.PERSON_ANSWER, question, answer=reply, actor=reply.author)
    reindex(question)


def comment_published(note: Comment) -> None:
    question = note.thread
    post = note.question or note.answer
    actor = None if identity.is_anonymous_asker(question, note.author_id) else note.author
    recipients = {post.author_id} if post.author_id else set()
    _notify(recipients, Kind.COMMENT, question, answer=note.answer, actor=actor)


def acceptance_changed(question: Question, reply: Answer, accepted: bool, previous_author):
    if accepted and reply.author_id:
        actor = None if question.is_anonymous else question.author
        _notify([reply.author_id], Kind.ACCEPTED, question, answer=reply, actor=actor)
    # The accepted-answer count behind credentials moved for the new and the previous author.
    from curriculum.credentials.signals import contribution_recorded

    for author_id in {reply.author_id, previous_author} - {None}:
        user = get_user_model().objects.filter(pk=author_id).first()
        if user is not None:
            contribution_recorded.send(sender=Answer, user=user, kind="accepted_answers")


def tell_author(target, kind: str) -> None:
    question = target.thread
    answer = (
        target
        if isinstance(target, Answer)
        else target.answer
        if isinstance(target, Comment)
        else None
    )
    transaction.on_commit(lambda: _notify([target.author_id], Kind(kind), question, answer=answer))


# --- reading --------------------------------------------------------------------------------


def describe(note: Notification) -> str:
    who = identity.name_for_notification(note)
    title = note.question.title
    texts = {
        Kind.ANSWER: _("%(who)s answered “%(title)s”"),
        Kind.COMMENT: _("%(who)s commented on your post in “%(title)s”"),
        Kind.ACCEPTED: _("Your answer to “%(title)s” was accepted"),
        Kind.TOPIC_QUESTION: _("New question on a topic you follow: “%(title)s”"),
        Kind.PERSON_QUESTION: _("%(who)s asked “%(title)s”"),
        Kind.PERSON_ANSWER: _("%(who)s answered “%(title)s”"),
        Kind.ROUTED: _(
            "A peer asked “%(title)s”: your case studies or answers on this topic may help"
        ),
        Kind.CASE_QUESTION: _("A question about your case study: “%(title)s”"),
        Kind.APPROVED: _("Your post in “%(title)s” was approved and is public now"),
        Kind.HIDDEN: _("A moderator hid your post in “%(title)s”"),
    }
    return texts[Kind(note.kind)] % {"who": who, "title": title}


def target_url(note: Notification) -> str:
    """Where a notification leads: its answer's permanent address (which finds the answer's page
    in the thread when followed, however long after the e-mail) or its question."""
    if note.answer_id:
        return reverse("knowledge:answer_link", args=[note.answer_id])
    return reverse("knowledge:question", args=[note.question_id])


def unread_count(user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


# --- email ----------------------------------------------------------------------------------


def _base_url() -> str:
    return getattr(settings, "WAGTAILADMIN_BASE_URL", "").rstrip("/")


def _email_preference(user) -> str:
    standing = Member.objects.filter(user=user).values_list("email", flat=True).first()
    return standing or Member.Email.IMMEDIATE


@task()
def send_immediate_emails(notification_ids: list[int]) -> int:
    sent = 0
    notes = Notification.objects.filter(
        pk__in=notification_ids, emailed_at__isnull=True
    ).select_related("recipient", "question", "actor__profile")
    for note in notes:
        recipient = note.recipient
        if not recipient.email or not recipient.is_active:
            continue
        if _email_preference(recipient) != Member.Email.IMMEDIATE:
            continue
        with translation.override(settings.LANGUAGE_CODE):
            subject = describe(note)
            body = render_to_string(
                "knowledge/email/notification.txt",
                {
                    "text": subject,
                    "url": _base_url() + target_url(note),
                    "settings_url": _base_url() + reverse("knowledge:settings"),
                },
            )
        try:
            send_mail(subject, body, None, [recipient.email])
        except Exception:  # the inbox still has it; a mail server's failure changes nothing else
            log.exception("could not email notification %s", note.pk)
            continue
        Notification.objects.filter(pk=note.pk).update(emailed_at=timezone.now())
        sent += 1
    return sent


@task()
def send_daily_digests() -> int:
    """One email per member who chose the digest, with what arrived since the last one."""
    sent = 0
    for standing in Member.objects.filter(email=Member.Email.DAILY).select_related("user"):
        user = standing.user
        if not user.email or not user.is_active:
            continue
        notes = list(
            Notification.objects.filter(
                recipient=user, emailed_at__isnull=True, read_at__isnull=True
            ).select_related("question", "actor__profile")[:50]
        )
        if not notes:
            continue
        with translation.override(settings.LANGUAGE_CODE):
            subject = _("Your daily digest: %(count)s new notifications") % {"count": len(notes)}
            body = render_to_string(
                "knowledge/email/digest.txt",
                {
                    "items": [(describe(n), _base_url() + target_url(n)) for n in notes],
                    "inbox_url": _base_url() + reverse("knowledge:inbox"),
                    "settings_url": _base_url() + reverse("knowledge:settings"),
                },
            )
        try:
            send_mail(subject, body, None, [user.email])
        except Exception:
            log.exception("could not email the digest to user %s", user.pk)
            continue
        now = timezone.now()
        Notification.objects.filter(pk__in=[n.pk for n in notes]).update(emailed_at=now)
        Member.objects.filter(pk=standing.pk).update(last_digest_at=now)
        sent += 1
    return sent
