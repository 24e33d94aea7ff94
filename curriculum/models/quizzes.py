"""Quizzes: a bank of questions (snippets) that quizzes draw from, and each learner's attempts.
Scoring happens on the server against what the attempt served (curriculum.quizzes)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, InlinePanel
from wagtail.models import Orderable

from core.dates import local_minute


class QuizItem(ClusterableModel):
    """One question of the bank (a 問題). Not called Question: that is the Q&A app's 質問
    (knowledge.models.Question), and one name should mean one thing."""

    class Kind(models.TextChoices):
        SINGLE = "single", _("Single choice")
        MULTIPLE = "multiple", _("Multiple choice")
        TRUE_FALSE = "true_false", _("True or false")
        SHORT = "short", _("Short exact answer")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.SINGLE)
    text = models.TextField(pgettext_lazy("quiz", "question"))
    true_false_answer = models.BooleanField(
        _("true or false: the right answer"), null=True, blank=True
    )
    accepted_answers = models.TextField(
        _("short answer: accepted answers"),
        blank=True,
        help_text=_(
            "One per line. Compared without regard to width or case (２９２ = 292, ＲＦＰ = rfp)."
        ),
    )
    feedback = models.TextField(
        _("feedback"), blank=True, help_text=_("Shown after the attempt: why the answer is right.")
    )

    panels = [
        FieldPanel("kind"),
        FieldPanel("text"),
        InlinePanel("choices", label=_("Choices (single and multiple choice)")),
        FieldPanel("true_false_answer"),
        FieldPanel("accepted_answers"),
        FieldPanel("feedback"),
    ]

    class Meta:
        # In context: a quiz's question is a 問題, the knowledge base's a 質問 (its own msgid).
        verbose_name = pgettext_lazy("quiz", "question")
        verbose_name_plural = _("question bank")

    def __str__(self):
        return self.text[:60]

    def accepted_answer_list(self) -> list[str]:
        return [line.strip() for line in self.accepted_answers.splitlines() if line.strip()]


class Choice(Orderable):
    question = ParentalKey(QuizItem, on_delete=models.CASCADE, related_name="choices")
    text = models.CharField(_("choice"), max_length=300)
    correct = models.BooleanField(_("correct"), default=False)

    panels = [FieldPanel("text"), FieldPanel("correct")]

    def __str__(self):
        return self.text


class Quiz(ClusterableModel):
    title = models.CharField(_("title"), max_length=200)
    pass_mark = models.PositiveSmallIntegerField(
        _("pass mark (%)"), default=70, help_text=_("The share of questions to get right.")
    )
    attempt_limit = models.PositiveSmallIntegerField(
        _("attempts allowed"), default=3, help_text=_("0 for no limit.")
    )
    sample_size = models.PositiveSmallIntegerField(
        _("questions per attempt"),
        default=0,
        help_text=_("Drawn at random from the questions below; 0 for all of them."),
    )
    shuffle = models.BooleanField(_("random order"), default=True)

    panels = [
        FieldPanel("title"),
        FieldPanel("pass_mark"),
        FieldPanel("attempt_limit"),
        FieldPanel("sample_size"),
        FieldPanel("shuffle"),
        InlinePanel("quiz_questions", label=pgettext_lazy("quiz", "Questions")),
    ]

    class Meta:
        verbose_name = _("quiz")
        verbose_name_plural = _("quizzes")

    def __str__(self):
        return self.title


class QuizQuestion(Orderable):
    quiz = ParentalKey(Quiz, on_delete=models.CASCADE, related_name="quiz_questions")
    question = models.ForeignKey(QuizItem, on_delete=models.CASCADE, related_name="+")

    panels = [FieldPanel("question")]


class QuizAttempt(models.Model):
    """One sitting of a quiz. ``served`` is what the learner was shown: question ids in order,
    with the choice ids of each in order. Only those may be answered, once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quiz_attempts"
    )
    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="attempts")
    lesson = models.ForeignKey(
        "curriculum.LessonPage", on_delete=models.CASCADE, related_name="quiz_attempts"
    )
    served = models.JSONField(default=list)
    answers = models.JSONField(default=dict, blank=True)
    results = models.JSONField(default=dict, blank=True)
    score = models.PositiveSmallIntegerField(_("score (%)"), null=True, blank=True)
    passed = models.BooleanField(_("passed"), default=False)
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "lesson", "-started_at"])]
        constraints = [
            # One open attempt per learner and lesson: starts sent at once cannot each open one
            # and so outrun the attempt limit (curriculum.quizzes.start_attempt).
            models.UniqueConstraint(
                fields=["user", "lesson"],
                condition=models.Q(submitted_at__isnull=True),
                name="one_open_quiz_attempt",
            )
        ]
        verbose_name = _("quiz attempt")
        verbose_name_plural = _("quiz attempts")

    def __str__(self):
        return f"{self.user} · {self.quiz} · {local_minute(self.started_at)}"

    @property
    def is_submitted(self) -> bool:
        return self.submitted_at is not None
