from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Site")

    def ready(self):
        from . import caching, downloads, searchables  # noqa: F401

        caching.connect_signals()
        downloads.protect_wagtail_exports()
