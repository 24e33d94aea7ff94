"""What the knowledge base holds about a member (people.privacy): their settings, posts,
revisions, votes, flags, subscriptions and notifications, anonymous questions included (they are
the member's own data).

Closing the account keeps questions, answers, comments and their revisions where peers rely on
them, shown as written by a former member; votes still count but no longer say who cast them;
flags stay with the moderators, without their reporter (the models' foreign keys set null)."""

from people.privacy import PersonalData, register, rows

from .models import (
    Answer,
    Comment,
    Flag,
    Member,
    Notification,
    Question,
    Revision,
    Subscription,
    Vote,
)


def export(user) -> dict:
    member = Member.objects.filter(user=user).values(
        "email", "approved_posts", "suspended_until", "suspension_reason", "last_digest_at"
    )
    return {
        "knowledge_base": {
            "settings": next(iter(member), None),
            # Anonymous questions are the member's own data: they are included, marked as such.
            "questions": rows(
                Question.objects.filter(author=user).order_by("created_at"),
                "id",
                "title",
                "body",
                "is_anonymous",
                "visibility",
                "status",
                "score",
                "created_at",
                "edited_at",
            ),
            "answers": rows(
                Answer.objects.filter(author=user).order_by("created_at"),
                "id",
                "body",
                "visibility",
                "score",
                "created_at",
                "edited_at",
                question_id="question_id",
                question="question__title",
            ),
            "comments": rows(
                Comment.objects.filter(author=user).order_by("created_at"),
                "id",
                "body",
                "visibility",
                "created_at",
                question_id="question_id",
                answer_id="answer_id",
            ),
            "revisions": rows(
                Revision.objects.filter(author=user).order_by("created_at"),
                "number",
                "title",
                "body",
                "summary",
                "created_at",
                question_id="question_id",
                answer_id="answer_id",
            ),
            "votes": rows(
                Vote.objects.filter(user=user).order_by("created_at"),
                "value",
                "created_at",
                question_id="question_id",
                answer_id="answer_id",
            ),
            "flags_raised": rows(
                Flag.objects.filter(reporter=user).order_by("created_at"),
                "reason",
                "note",
                "status",
                "created_at",
                question_id="question_id",
                answer_id="answer_id",
                comment_id="comment_id",
            ),
            "subscriptions": rows(
                Subscription.objects.filter(user=user).order_by("created_at"),
                "created_at",
                question_id="question_id",
                question="question__title",
                topic="topic__slug",
                person="person__profile__display_name",
            ),
            # What happened and where; not who else did it (that is their data).
            "notifications": rows(
                Notification.objects.filter(recipient=user).order_by("created_at"),
                "kind",
                "created_at",
                "read_at",
                "emailed_at",
                question_id="question_id",
                question="question__title",
                answer_id="answer_id",
            ),
        }
    }


register(PersonalData(export=export, about_people=(Member,)))
