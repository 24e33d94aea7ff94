from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaseStudiesConfig(AppConfig):
    name = "casestudies"
    verbose_name = _("Case studies")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Loaded once the apps are ready: they import models and register receivers and searchables.
        from . import credentials, personal_data, receivers, searchables  # noqa: F401
