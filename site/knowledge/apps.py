from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KnowledgeConfig(AppConfig):
    name = "knowledge"
    verbose_name = _("Questions and answers")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Loaded once the apps are ready: they import models and register receivers and searchables.
        from . import identity, personal_data, receivers, searchables  # noqa: F401
