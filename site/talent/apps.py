from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TalentConfig(AppConfig):
    name = "talent"
    verbose_name = _("Talent pool")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Loaded once the apps are ready: personal_data registers what the pool keeps about
        # members with people.privacy.
        from . import personal_data  # noqa: F401
