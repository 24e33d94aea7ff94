"""Reputation: what a member's answers and questions have earned from peers. Votes on an
anonymous question never count, so a score cannot point back to the asker."""

from __future__ import annotations

from django.db.models import Count, F, Q

from .models import Answer, Question, Visibility, Vote

ACCEPTED = 15
ANSWER_UPVOTE = 10
QUESTION_UPVOTE = 5
DOWNVOTE = -2


def public_answers(user):
    """The member's published answers others may attribute to them: not those they wrote in the
    thread of their own anonymous question."""
    return Answer.objects.filter(
        author=user,
        visibility=Visibility.PUBLISHED,
        question__visibility=Visibility.PUBLISHED,
    ).exclude(question__is_anonymous=True, question__author=F("author"))


def public_questions(user):
    return Question.objects.filter(author=user, visibility=Visibility.PUBLISHED, is_anonymous=False)


def reputation_of(user) -> dict:
    answer_votes = Vote.objects.filter(answer__in=public_answers(user)).aggregate(
        up=Count("pk", filter=Q(value=1)), down=Count("pk", filter=Q(value=-1))
    )
    question_votes = Vote.objects.filter(question__in=public_questions(user)).aggregate(
        up=Count("pk", filter=Q(value=1)), down=Count("pk", filter=Q(value=-1))
    )
    counts = public_answers(user).aggregate(
        answers=Count("pk"), accepted=Count("pk", filter=Q(accepted_for__isnull=False))
    )
    accepted, answers = counts["accepted"], counts["answers"]
    questions = public_questions(user).count()
    points = (
        accepted * ACCEPTED
        + answer_votes["up"] * ANSWER_UPVOTE
        + question_votes["up"] * QUESTION_UPVOTE
        + (answer_votes["down"] + question_votes["down"]) * DOWNVOTE
    )
    return {
        "points": max(points, 0),
        "accepted": accepted,
        "answers": answers,
        "questions": questions,
        "upvotes": answer_votes["up"] + question_votes["up"],
    }


def activity(user, limit=5) -> dict:
    """What a profile page shows of the member's part in the knowledge base."""
    return {
        "reputation": reputation_of(user),
        "recent_answers": list(
            public_answers(user).select_related("question").order_by("-created_at")[:limit]
        ),
        "recent_questions": list(public_questions(user).order_by("-created_at")[:limit]),
    }
