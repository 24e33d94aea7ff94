from django.db import models
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _

from search.synonyms import clear_cache


class SynonymGroup(models.Model):
    """Words a search treats as one: an abbreviation and its expansion, a nickname and the
    official term, variant spellings. Applied when a query is read, so edits take effect at once
    without reindexing."""

    terms = models.TextField(
        _("terms"),
        help_text=_(
            "One term per line (or separated by commas), e.g. RFP and 提案依頼書. "
            "A search for any of them finds them all."
        ),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("synonym group")
        verbose_name_plural = _("synonym groups")

    def __str__(self):
        return " ⇔ ".join(self.term_list())

    def term_list(self) -> list[str]:
        lines = self.terms.replace(",", "\n").replace("、", "\n").splitlines()
        return [line.strip() for line in lines if line.strip()]


post_save.connect(clear_cache, sender=SynonymGroup)
post_delete.connect(clear_cache, sender=SynonymGroup)


class PendingIndexWrite(models.Model):
    """A change the search index has yet to take, written in the same transaction as the change
    itself: a write that is committed cannot be lost on the way to the index (a process killed
    between the commit and the index write, a worker down). Rows go once the index has them;
    one that fails stays, with its error, and is tried again (search/outbox.py)."""

    class Action(models.TextChoices):
        INDEX = "index", _("index")
        DELETE = "delete", _("delete")

    model = models.CharField(_("model"), max_length=100)  # app_label.ModelName
    object_pk = models.CharField(_("object"), max_length=64)
    action = models.CharField(_("action"), max_length=6, choices=Action.choices)
    queued_at = models.DateTimeField(_("queued at"), auto_now_add=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("pending index write")
        verbose_name_plural = _("pending index writes")

    def __str__(self):
        return f"{self.action} {self.model}:{self.object_pk}"
