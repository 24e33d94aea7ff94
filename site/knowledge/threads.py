"""Threads that stay small: a question's answers come in pages, and each post's comments are
folded beyond the first few, so a question with a thousand answers is still a page of about the
size of one with twenty.

**Answers** are ordered with the accepted answer first, always, then by the reader's choice of
sort: score (the default; ties by age, oldest first), oldest or newest. A page holds
`KNOWLEDGE_ANSWERS_PER_PAGE` of them (20). Because the order depends on the reader (moderators
see hidden answers, members their own awaiting review) and on the votes, which keep changing,
a link to an answer is worked out when it is followed: `answer_url` counts the answers the reader
sees before it under the same order (one COUNT over the thread's index, the thread is never
loaded) and gives `/questions/<id>/?page=N#answer-<pk>`; the redirects after answering, voting,
accepting, editing, commenting and reporting, and opening a notification, go there directly.
Stored and listed links (e-mails, credentials' evidence, profiles, the admin) use the answer's
permanent address `/questions/answers/<pk>/` (`Answer.get_absolute_url`), which costs no query to
write and redirects to the right page when followed, however the thread has moved since.

**Comments**, as on Stack Overflow, show the first `COMMENTS_SHOWN` (3) of each post by date;
"Show N more comments" (a `<details>`, no script needed) holds the next ones up to
`COMMENTS_RENDERED` (10) in all; a post with more than that links from there to its own page of
comments (`/questions/<kind>/<id>/comments/`, in pages of `COMMENTS_PER_PAGE`). Only those ten
are ever fetched per post (one windowed query for the whole page), so a page holds at most ten
comments for the question and for each of its answers, however long a discussion grows. A link
to a comment (`comment_url`) leads to the thread when the comment is among the first three,
shown at once, and otherwise to its post's comments page, where every comment is in view (a
fragment inside a closed `<details>` does not open it in every browser)."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Case, IntegerField, Q, Value, When
from django.urls import reverse

from .models import Answer, Comment, Question

DEFAULT_ANSWERS_PER_PAGE = 20
SORTS = {
    "votes": ("-score", "created_at", "pk"),
    "oldest": ("created_at", "pk"),
    "newest": ("-created_at", "-pk"),
}
DEFAULT_SORT = "votes"
COMMENTS_SHOWN = 3
COMMENTS_RENDERED = 10
COMMENTS_PER_PAGE = 100


def answers_per_page() -> int:
    return max(1, int(getattr(settings, "KNOWLEDGE_ANSWERS_PER_PAGE", DEFAULT_ANSWERS_PER_PAGE)))


def sort_of(value) -> str:
    return value if value in SORTS else DEFAULT_SORT


def ordered_answers(question: Question, viewer, sort: str = DEFAULT_SORT):
    """The answers `viewer` may see, in the thread's order: the accepted one first."""
    answers = Answer.objects.visible_to(viewer).filter(question=question)
    order = SORTS[sort_of(sort)]
    if question.accepted_answer_id:
        answers = answers.alias(
            pinned=Case(
                When(pk=question.accepted_answer_id, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        order = ("pinned", *order)
    return answers.order_by(*order)


def _before(answer: Answer, sort: str) -> Q:
    """The answers that come before `answer` under `sort` (ties broken as `SORTS` does)."""
    created, pk = answer.created_at, answer.pk
    if sort == "oldest":
        return Q(created_at__lt=created) | Q(created_at=created, pk__lt=pk)
    if sort == "newest":
        return Q(created_at__gt=created) | Q(created_at=created, pk__gt=pk)
    score = answer.score
    return (
        Q(score__gt=score)
        | Q(score=score, created_at__lt=created)
        | Q(score=score, created_at=created, pk__lt=pk)
    )


def position(answer: Answer, viewer, sort: str = DEFAULT_SORT) -> int:
    """How many answers `viewer` sees before `answer` in its thread: one COUNT query."""
    question = answer.question
    accepted = question.accepted_answer_id
    if answer.pk == accepted:
        return 0
    before = _before(answer, sort_of(sort))
    if accepted:
        before |= Q(pk=accepted)
    return Answer.objects.visible_to(viewer).filter(question_id=question.pk).filter(before).count()


def page_of(answer: Answer, viewer, sort: str = DEFAULT_SORT) -> int:
    return position(answer, viewer, sort) // answers_per_page() + 1


def page_url(question_url: str, page: int, sort: str = DEFAULT_SORT, fragment: str = "") -> str:
    params = {}
    if sort != DEFAULT_SORT:
        params["sort"] = sort
    if page > 1:
        params["page"] = page
    query = f"?{urlencode(params)}" if params else ""
    return f"{question_url}{query}{f'#{fragment}' if fragment else ''}"


def answer_url(answer: Answer, viewer, sort: str = DEFAULT_SORT) -> str:
    """The page of the thread that holds `answer`, as `viewer` sees the thread."""
    sort = sort_of(sort)
    return page_url(
        reverse("knowledge:question", args=[answer.question_id]),
        page_of(answer, viewer, sort),
        sort,
        f"answer-{answer.pk}",
    )


def comments_url(kind: str, post_pk: int, page: int = 1, fragment: str = "") -> str:
    url = reverse("knowledge:comments", args=[kind, post_pk])
    if page > 1:
        url += f"?page={page}"
    return f"{url}#{fragment}" if fragment else url


def comment_url(comment: Comment, viewer) -> str:
    """Where `comment` is in view: in the thread when it is among its post's first comments,
    shown at once, otherwise on its post's page of comments."""
    kind, post = ("answer", comment.answer) if comment.answer_id else ("question", comment.question)
    created = comment.created_at
    index = (
        Comment.objects.visible_to(viewer)
        .filter(**{kind: post})
        .filter(Q(created_at__lt=created) | Q(created_at=created, pk__lt=comment.pk))
        .count()
    )
    fragment = f"comment-{comment.pk}"
    if index < COMMENTS_SHOWN:
        if kind == "question":
            return f"{post.get_absolute_url()}#{fragment}"
        question_url = reverse("knowledge:question", args=[post.question_id])
        return page_url(question_url, page_of(post, viewer), DEFAULT_SORT, fragment)
    return comments_url(kind, post.pk, index // COMMENTS_PER_PAGE + 1, fragment)


def thread_url(post, viewer) -> str:
    """The page in its thread where a question, answer or comment is, for `viewer`."""
    if isinstance(post, Answer):
        return answer_url(post, viewer)
    if isinstance(post, Comment):
        return comment_url(post, viewer)
    return post.get_absolute_url()


@dataclass
class CommentBlock:
    """A post's comments as the thread shows them: `shown` at once, `folded` behind "Show N more
    comments", and `all_url` to the post's comments page when even those are not all of them."""

    shown: list = field(default_factory=list)
    folded: list = field(default_factory=list)
    total: int = 0
    all_url: str = ""

    @property
    def more(self) -> int:
        return self.total - len(self.shown)


def comment_block(rows: list, total: int, kind: str, post_pk: int) -> CommentBlock:
    """`rows` are the first `COMMENTS_RENDERED` comments of the post (with their bylines);
    `total` is how many the reader may see in all."""
    rows = rows[:COMMENTS_RENDERED]
    return CommentBlock(
        shown=rows[:COMMENTS_SHOWN],
        folded=rows[COMMENTS_SHOWN:],
        total=max(total, len(rows)),
        all_url=comments_url(kind, post_pk) if total > len(rows) else "",
    )
