from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    name = "search"
    label = "sitesearch"
    verbose_name = _("Search")

    def ready(self):
        # Loaded once the apps are ready: they import models, register searchables and receivers.
        from search import searchables, signal_handlers  # noqa: F401

        signal_handlers.register_signal_handlers()
