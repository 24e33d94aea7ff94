"""The knowledge base: questions officials ask, the answers peers give, and what grows around them
(comments, votes, revisions, flags, subscriptions and notifications). Plain models, not pages:
posts are written by members from the site, not authored in the CMS."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail.search import index

TITLE_MAX = 150
BODY_MAX = 20_000
COMMENT_MAX = 600


def one_of(fields: list[str], name: str) -> models.CheckConstraint:
    """Exactly one of the foreign keys `fields` is set (a comment is on a question or an answer)."""
    condition = None
    for chosen in fields:
        case = Q(**{f"{f}__isnull": f != chosen for f in fields})
        condition = case if condition is None else condition | case
    return models.CheckConstraint(condition=condition, name=name)


def unique_when_set(fields: list[str], when: str, name: str) -> models.UniqueConstraint:
    """`fields` are unique together among the rows where the foreign key `when` is set."""
    return models.UniqueConstraint(
        fields=fields, condition=Q(**{f"{when}__isnull": False}), name=name
    )


class Visibility(models.TextChoices):
    PENDING = "pending", _("Awaiting review")
    PUBLISHED = "published", _("Published")
    HIDDEN = "hidden", _("Hidden by a moderator")


class QuestionStatus(models.TextChoices):
    UNANSWERED = "unanswered", _("Unanswered")
    ANSWERED = "answered", _("Answered")
    ACCEPTED = "accepted", _("Answer accepted")
    CLOSED = "closed", _("Closed as a duplicate")


class ImportSource(models.Model):
    """Where imported questions and answers come from, with the attribution its licence asks for."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    licence = models.CharField(_("licence"), max_length=200, blank=True)
    url = models.URLField(_("address"), blank=True)
    attribution = models.CharField(_("attribution"), max_length=300, blank=True)
    # The file it was last imported from and how: importing the same file again, with or
    # without --source, updates these posts instead of adding them a second time.
    file_name = models.CharField(_("file name"), max_length=255, blank=True, db_index=True)
    columns = models.JSONField(_("columns"), default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("import source")
        verbose_name_plural = _("import sources")

    def __str__(self):
        return self.name


class PostQuerySet(models.QuerySet):
    def published(self):
        return self.filter(visibility=Visibility.PUBLISHED)

    def visible_to(self, user):
        """Published posts, and a member's own posts awaiting review; moderators see all."""
        # .posting imports this module's models: a top-level import would be circular.
        from .posting import is_moderator

        if is_moderator(user):
            return self
        if user.is_authenticated:
            return self.filter(
                Q(visibility=Visibility.PUBLISHED) | Q(visibility=Visibility.PENDING, author=user)
            )
        return self.published()


class Post(models.Model):
    """What questions and answers share (each declares its own `author`, for its related name)."""

    body = models.TextField(_("body"), max_length=BODY_MAX)
    visibility = models.CharField(
        _("visibility"), max_length=12, choices=Visibility.choices, default=Visibility.PUBLISHED
    )
    score = models.IntegerField(_("score"), default=0)
    created_at = models.DateTimeField(_("written"), db_index=True)
    edited_at = models.DateTimeField(_("edited"), null=True, blank=True)
    source = models.ForeignKey(
        ImportSource,
        verbose_name=_("imported from"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    source_row = models.PositiveIntegerField(_("row in the source"), null=True, blank=True)

    objects = PostQuerySet.as_manager()

    class Meta:
        abstract = True

    @property
    def is_published(self):
        return self.visibility == Visibility.PUBLISHED


class Question(index.Indexed, Post):
    title = models.CharField(_("title"), max_length=TITLE_MAX)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("asker"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="questions",
    )
    is_anonymous = models.BooleanField(
        _("ask anonymously"),
        default=False,
        help_text=_(
            "Other members see 'anonymous' instead of your name and municipality; "
            "moderators can still see who asked."
        ),
    )
    topics = models.ManyToManyField(
        "core.Topic", verbose_name=_("topics"), blank=True, related_name="questions"
    )
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=QuestionStatus.choices,
        default=QuestionStatus.UNANSWERED,
    )
    answer_count = models.PositiveIntegerField(_("answers"), default=0)
    accepted_answer = models.OneToOneField(
        "knowledge.Answer",
        verbose_name=_("accepted answer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="accepted_for",
    )
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("duplicate of"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="duplicates",
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_locked = models.BooleanField(
        _("locked"), default=False, help_text=_("No new answers, comments or votes.")
    )
    last_activity_at = models.DateTimeField(_("last activity"))
    case_study = models.ForeignKey(
        "casestudies.CaseStudyPage",
        verbose_name=_("about the case study"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="questions",
        help_text=_("A question to the authors of a case study."),
    )

    search_fields = [
        index.SearchField("title", boost=3),
        index.AutocompleteField("title"),
        index.SearchField("body"),
        index.SearchField("answers_text"),
        index.FilterField("visibility"),
        index.FilterField("status"),
        index.FilterField("topics"),
        index.RelatedFields("topics", [index.FilterField("slug")]),
        index.FilterField("created_at"),
        index.FilterField("score"),
    ]

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        permissions = [("moderate_posts", _("Can moderate questions, answers and comments"))]
        constraints = [
            unique_when_set(
                ["source", "source_row"], "source", "knowledge_question_one_per_source_row"
            )
        ]
        indexes = [
            models.Index(fields=["visibility", "-created_at"], name="question_newest"),
            models.Index(fields=["visibility", "-last_activity_at"], name="question_active"),
            models.Index(fields=["visibility", "status", "-created_at"], name="question_status"),
            models.Index(fields=["visibility", "-score", "-created_at"], name="question_top"),
            # Counting a topic's published questions (the list's pages) joins the topic links to
            # this index alone instead of reading the table: 26 ms, not 89, at 100,000 questions.
            models.Index(fields=["id", "visibility"], name="question_published_ids"),
            # The unanswered tab, and its count: 3 ms instead of 55 at 100,000 questions.
            models.Index(
                fields=["visibility", "-created_at"],
                condition=Q(answer_count=0, closed_at__isnull=True),
                name="question_unanswered",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("knowledge:question", args=[self.pk])

    @classmethod
    def get_indexed_objects(cls):
        # A rebuild indexes each question with its published answers: fetched a chunk at a
        # time with the questions, not one query per question.
        return (
            super()
            .get_indexed_objects()
            .prefetch_related(
                models.Prefetch(
                    "answers",
                    queryset=Answer.objects.filter(visibility=Visibility.PUBLISHED).only(
                        "question_id", "body"
                    ),
                    to_attr="published_answers",
                )
            )
        )

    def answers_text(self) -> str:
        # A rebuild prefetches the published answers (get_indexed_objects above).
        prefetched = getattr(self, "published_answers", None)
        if prefetched is not None:
            return "\n".join(answer.body for answer in prefetched)
        return "\n".join(
            self.answers.filter(visibility=Visibility.PUBLISHED).values_list("body", flat=True)
        )

    @property
    def thread(self) -> Question:
        return self

    @property
    def is_closed(self):
        return self.status == QuestionStatus.CLOSED

    def refresh_status(self):
        """The status follows from the answers; call after answers, acceptance or closing change."""
        if self.closed_at:
            self.status = QuestionStatus.CLOSED
        elif self.accepted_answer_id:
            self.status = QuestionStatus.ACCEPTED
        elif self.answer_count:
            self.status = QuestionStatus.ANSWERED
        else:
            self.status = QuestionStatus.UNANSWERED


class Answer(Post):
    question = models.ForeignKey(
        Question, verbose_name=_("question"), on_delete=models.CASCADE, related_name="answers"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="answers",
    )

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            unique_when_set(
                ["source", "source_row"], "source", "knowledge_answer_one_per_source_row"
            )
        ]
        indexes = [
            models.Index(fields=["question", "visibility", "created_at"]),
            # The moderation queue: answers awaiting review, and hidden ones, oldest first.
            models.Index(fields=["visibility", "created_at"], name="answer_by_visibility"),
        ]

    def __str__(self):
        return _("Answer to “%(title)s”") % {"title": self.question.title}

    def get_absolute_url(self):
        """The answer's permanent address: it redirects to the page of the thread that holds the
        answer when followed (knowledge/threads.py), so it costs no query here and stays right
        in e-mails, lists and credentials however the thread's order changes."""
        return reverse("knowledge:answer_link", args=[self.pk])

    @property
    def title(self):
        return self.question.title

    @property
    def thread(self) -> Question:
        return self.question


class Comment(models.Model):
    question = models.ForeignKey(
        Question, null=True, blank=True, on_delete=models.CASCADE, related_name="comments"
    )
    answer = models.ForeignKey(
        Answer, null=True, blank=True, on_delete=models.CASCADE, related_name="comments"
    )
    body = models.TextField(_("comment"), max_length=COMMENT_MAX)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    visibility = models.CharField(
        _("visibility"), max_length=12, choices=Visibility.choices, default=Visibility.PUBLISHED
    )
    created_at = models.DateTimeField(_("written"))

    objects = PostQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        constraints = [one_of(["question", "answer"], "knowledge_comment_on_one_post")]
        # The moderation queue: comments awaiting review, and hidden ones, oldest first.
        indexes = [models.Index(fields=["visibility", "created_at"], name="comment_by_visibility")]

    def __str__(self):
        return self.body[:60]

    def get_absolute_url(self):
        """Permanent, as an answer's: it redirects to where the comment is in view."""
        return reverse("knowledge:comment_link", args=[self.pk])

    @property
    def thread(self) -> Question:
        return self.question if self.question_id else self.answer.question


class Vote(models.Model):
    """One vote per member per post; the post's score is kept in step in the same transaction."""

    UP, DOWN = 1, -1

    # Empty once the voter has deleted their account: the vote still counts, but says no more who
    # cast it (people/privacy.py).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    question = models.ForeignKey(
        Question, null=True, blank=True, on_delete=models.CASCADE, related_name="votes"
    )
    answer = models.ForeignKey(
        Answer, null=True, blank=True, on_delete=models.CASCADE, related_name="votes"
    )
    value = models.SmallIntegerField(choices=[(UP, "+1"), (DOWN, "-1")])
    created_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            one_of(["question", "answer"], "knowledge_vote_on_one_post"),
            models.CheckConstraint(condition=Q(value__in=[1, -1]), name="knowledge_vote_value"),
            unique_when_set(["user", "question"], "question", "knowledge_one_vote_per_question"),
            unique_when_set(["user", "answer"], "answer", "knowledge_one_vote_per_answer"),
        ]

    def __str__(self):
        return f"{self.user_id}: {self.value:+d}"


class Revision(models.Model):
    """Every version of a question or answer, the first included: any two can be compared."""

    question = models.ForeignKey(
        Question, null=True, blank=True, on_delete=models.CASCADE, related_name="revisions"
    )
    answer = models.ForeignKey(
        Answer, null=True, blank=True, on_delete=models.CASCADE, related_name="revisions"
    )
    number = models.PositiveIntegerField(_("revision"))
    title = models.CharField(_("title"), max_length=TITLE_MAX, blank=True)
    body = models.TextField(_("body"))
    summary = models.CharField(_("edit summary"), max_length=200, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("saved"))

    class Meta:
        ordering = ["number"]
        constraints = [
            one_of(["question", "answer"], "knowledge_revision_of_one_post"),
            unique_when_set(
                ["question", "number"], "question", "knowledge_question_revision_number"
            ),
            unique_when_set(["answer", "number"], "answer", "knowledge_answer_revision_number"),
        ]

    def __str__(self):
        return f"#{self.number}"

    @property
    def post(self):
        return self.question if self.question_id else self.answer


class FlagReason(models.TextChoices):
    SPAM = "spam", _("Spam or advertising")
    OFF_TOPIC = "off_topic", _("Off-topic")
    ABUSIVE = "abusive", _("Abusive or harassing")
    OTHER = "other", _("Something else (please explain)")


class Flag(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        UPHELD = "upheld", _("Upheld: post hidden")
        DISMISSED = "dismissed", _("Dismissed")

    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    question = models.ForeignKey(
        Question, null=True, blank=True, on_delete=models.CASCADE, related_name="flags"
    )
    answer = models.ForeignKey(
        Answer, null=True, blank=True, on_delete=models.CASCADE, related_name="flags"
    )
    comment = models.ForeignKey(
        Comment, null=True, blank=True, on_delete=models.CASCADE, related_name="flags"
    )
    reason = models.CharField(_("reason"), max_length=12, choices=FlagReason.choices)
    note = models.CharField(_("details"), max_length=500, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("flag")
        verbose_name_plural = _("flags")
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [one_of(["question", "answer", "comment"], "knowledge_flag_on_one_post")]

    def __str__(self):
        return f"{self.get_reason_display()} ({self.get_status_display()})"

    @property
    def target(self):
        return self.question or self.answer or self.comment


class Subscription(models.Model):
    """Follow a question, a topic or a person: their new activity reaches the inbox (and email)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="qa_subscriptions"
    )
    question = models.ForeignKey(
        Question, null=True, blank=True, on_delete=models.CASCADE, related_name="subscriptions"
    )
    topic = models.ForeignKey(
        "core.Topic", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="followers",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            one_of(["question", "topic", "person"], "knowledge_subscription_to_one_thing"),
            unique_when_set(
                ["user", "question"], "question", "knowledge_one_subscription_per_question"
            ),
            unique_when_set(["user", "topic"], "topic", "knowledge_one_subscription_per_topic"),
            unique_when_set(["user", "person"], "person", "knowledge_one_subscription_per_person"),
        ]

    def __str__(self):
        return str(self.question or self.topic or self.person)


class Notification(models.Model):
    class Kind(models.TextChoices):
        ANSWER = "answer", _("New answer")
        COMMENT = "comment", _("New comment")
        ACCEPTED = "accepted", _("Answer accepted")
        TOPIC_QUESTION = "topic_question", _("New question on a topic you follow")
        PERSON_QUESTION = "person_question", _("New question from someone you follow")
        PERSON_ANSWER = "person_answer", _("New answer from someone you follow")
        ROUTED = "routed", _("A peer may need your experience")
        CASE_QUESTION = "case_question", _("A question about your case study")
        APPROVED = "approved", _("Your post was approved")
        HIDDEN = "hidden", _("Your post was hidden by a moderator")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="qa_notifications"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="+")
    answer = models.ForeignKey(
        Answer, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # Never set for what an anonymous asker did: the inbox has nothing to leak.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"]),
            models.Index(fields=["recipient", "read_at"]),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.question_id}"


class Member(models.Model):
    """A member's standing in the knowledge base and how they want to hear about it."""

    class Email(models.TextChoices):
        IMMEDIATE = "immediate", _("At once, one email per notification")
        DAILY = "daily", _("A daily digest")
        NEVER = "never", _("No email (the on-site inbox only)")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="qa_member"
    )
    email = models.CharField(
        _("email notifications"), max_length=10, choices=Email.choices, default=Email.IMMEDIATE
    )
    approved_posts = models.PositiveIntegerField(default=0)
    suspended_until = models.DateTimeField(_("suspended until"), null=True, blank=True)
    suspension_reason = models.CharField(_("reason"), max_length=300, blank=True)
    last_digest_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("Q&A member")
        verbose_name_plural = _("Q&A members")

    def __str__(self):
        profile = getattr(self.user, "profile", None)
        return (profile.display_name if profile else "") or self.user.email
