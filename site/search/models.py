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
