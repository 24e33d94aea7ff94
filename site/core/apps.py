from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Site")

    def ready(self):
        from django.db.models.signals import pre_save

        from . import caching, counters, downloads, searchables, text  # noqa: F401

        counters.refuse_per_process_store_in_production()
        counters.route_allauth_counters()
        caching.connect_signals()
        downloads.protect_wagtail_exports()
        pre_save.connect(text.clean_stored_text, dispatch_uid="core.text.clean_stored_text")
        from wagtail.documents import get_document_model

        from . import media

        pre_save.connect(
            media.store_documents_under_random_names,
            sender=get_document_model(),
            dispatch_uid="core.media.store_documents_under_random_names",
        )
