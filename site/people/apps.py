from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "people"
    verbose_name = _("People and municipalities")

    def ready(self):
        # Loaded once the apps are ready: it registers signal receivers and imports models.
        from . import signals  # noqa: F401
