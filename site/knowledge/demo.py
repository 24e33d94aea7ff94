"""Demo Q&A: the twenty practitioner questions of the field guide, answered from its facts by
several demo members, with votes, accepted answers, comments and a few notifications; and, when
the shared data is present, the government's IT glossary imported as a source. Idempotent."""

from __future__ import annotations

import json
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Sum
from django.utils import timezone

from core.models import Topic
from people.models import Municipality

from .models import (
    Answer,
    Comment,
    Member,
    Notification,
    Question,
    Revision,
    Subscription,
    Visibility,
    Vote,
)

FIXTURE = settings.BASE_DIR / "fixtures" / "knowledge" / "demo_questions.json"
PERSONA_EMAILS = {
    "learner": "learner@example.jp",
    "contributor": "contributor@example.jp",
    "moderator": "moderator@example.jp",
    "admin": "admin@example.jp",
}


def load_peers(people, password) -> dict[str, object]:
    """The demo's extra members (peers at other municipalities); returns key -> user."""
    User = get_user_model()
    topics = Topic.objects.in_bulk(field_name="slug")
    municipalities = Municipality.objects.in_bulk(
        [p["municipality"] for p in people], field_name="code"
    )
    users = {}
    for person in people:
        user = User.objects.filter(email=person["email"]).first()
        if user is None:
            user = User(username=person["key"], email=person["email"])
            user.set_password(password)
            user.save()
            EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
            profile = user.profile
            for field in ("display_name", "department", "job_title", "is_public"):
                setattr(profile, field, person[field])
            profile.open_to_questions = person["open_to_questions"]
            profile.municipality = municipalities.get(person["municipality"])
            profile.save()
            profile.expertise.set([topics[s] for s in person["expertise"] if s in topics])
        users[person["key"]] = user
    return users


def load_questions(password: str) -> list:
    """The demo questions and answers, and their peers; returns the members who took part."""
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    users = load_peers(data["people"], password)
    User = get_user_model()
    for key, email in PERSONA_EMAILS.items():
        user = User.objects.filter(email=email).first()
        if user is not None:
            users[key] = user
    # Demo members are past the review of first posts.
    for user in users.values():
        Member.objects.update_or_create(user=user, defaults={"approved_posts": 10})
    topics = Topic.objects.in_bulk(field_name="slug")
    now = timezone.now().replace(microsecond=0)
    for item in data["questions"]:
        asker = users[item["asker"]]
        if Question.objects.filter(title=item["title"], author=asker).exists():
            continue
        _load_question(item, asker, users, topics, now)
    return list(users.values())


def _load_question(item, asker, users, topics, now):
    asked = now - timedelta(days=item["days_ago"], hours=len(item["title"]) % 9)
    question = Question.objects.create(
        title=item["title"],
        body=item["body"],
        author=asker,
        is_anonymous=item.get("anonymous", False),
        visibility=Visibility.PUBLISHED,
        created_at=asked,
        last_activity_at=asked,
    )
    question.topics.set([topics[s] for s in item["topics"] if s in topics])
    Revision.objects.create(
        question=question, number=1, title=question.title, body=question.body,
        author=asker, created_at=asked,
    )  # fmt: skip
    _votes(question, item.get("upvotes", []), [], users)
    Subscription.objects.get_or_create(user=asker, question=question)
    answers = []
    for offset, entry in enumerate(item.get("answers", [])):
        author = users[entry["author"]]
        written = asked + timedelta(days=entry.get("days_after", 1), hours=offset)
        reply = Answer.objects.create(
            question=question,
            body=entry["body"],
            author=author,
            visibility=Visibility.PUBLISHED,
            created_at=min(written, now),
        )
        Revision.objects.create(
            answer=reply, number=1, body=reply.body, author=author, created_at=reply.created_at
        )
        _votes(reply, entry.get("upvotes", []), entry.get("downvotes", []), users)
        Subscription.objects.get_or_create(user=author, question=question)
        answers.append(reply)
        if entry.get("accepted"):
            question.accepted_answer = reply
        recent = (now - reply.created_at).days < 30
        Notification.objects.create(
            recipient=asker,
            kind=Notification.Kind.ANSWER,
            question=question,
            answer=reply,
            actor=author,
            emailed_at=now,
            read_at=None if recent else now,
        )
    for entry in item.get("comments", []):
        on = entry["on"]
        target = {"question": question} if on == "question" else {"answer": answers[int(on)]}
        Comment.objects.create(
            body=entry["body"],
            author=users[entry["author"]],
            created_at=asked + timedelta(days=2),
            **target,
        )
    question.answer_count = len(answers)
    question.last_activity_at = max([asked, *(a.created_at for a in answers)])
    question.refresh_status()
    # Not a plain save(): the score was summed from the votes in the database.
    question.save(update_fields=["answer_count", "last_activity_at", "status", "accepted_answer"])
    if question.accepted_answer_id:
        Notification.objects.create(
            recipient=question.accepted_answer.author,
            kind=Notification.Kind.ACCEPTED,
            question=question,
            answer=question.accepted_answer,
            actor=None if question.is_anonymous else asker,
            emailed_at=now,
            read_at=now,
        )


def _votes(post, up, down, users):
    target = {"question": post} if isinstance(post, Question) else {"answer": post}
    Vote.objects.bulk_create(
        [Vote(user=users[k], value=Vote.UP, **target) for k in up if users[k] != post.author]
        + [Vote(user=users[k], value=Vote.DOWN, **target) for k in down if users[k] != post.author]
    )
    score = Vote.objects.filter(**target).aggregate(total=Sum("value"))["total"] or 0
    type(post).objects.filter(pk=post.pk).update(score=score)
