from django.apps import AppConfig
from django.db.models.signals import pre_save
from django.utils.translation import gettext_lazy as _
from wagtail.documents import get_document_model


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Site")

    def ready(self):
        # Loaded once the apps are ready: counters imports its model, downloads Wagtail's admin.
        from . import caching, counters, downloads, generations, media, text

        counters.refuse_per_process_store_in_production()
        counters.route_allauth_counters()
        caching.connect_signals()
        generations.connect_page_signals()
        downloads.protect_wagtail_exports()
        pre_save.connect(text.clean_stored_text, dispatch_uid="core.text.clean_stored_text")
        pre_save.connect(
            media.store_documents_under_random_names,
            sender=get_document_model(),
            dispatch_uid="core.media.store_documents_under_random_names",
        )
