"""A page's many-to-many fields (topics, target roles…) are stored after the save that sends
``post_save``, so the index written then holds the old ones. Publishing ends after they are
stored: the page is indexed again at that point."""

from modelsearch.index import class_is_indexed
from modelsearch.tasks import insert_or_update_object_task
from wagtail.signals import page_published


def reindex_published_page(sender, instance, **kwargs):
    if class_is_indexed(type(instance)):
        insert_or_update_object_task.enqueue(
            instance._meta.app_label, instance._meta.model_name, str(instance.pk)
        )


def register_signal_handlers():
    page_published.connect(reindex_published_page, dispatch_uid="sitesearch-reindex-published")
