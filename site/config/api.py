"""Wagtail API v2: read-only pages, images and documents."""

from wagtail.api.v2.router import WagtailAPIRouter
from wagtail.api.v2.views import PagesAPIViewSet
from wagtail.documents.api.v2.views import DocumentsAPIViewSet
from wagtail.images.api.v2.views import ImagesAPIViewSet

from casestudies.submission import unpublished_attachment_collections


class DocumentsOfPublishedContentAPIViewSet(DocumentsAPIViewSet):
    """Documents, except the files of case studies not yet published (served only to their
    authors and document staff)."""

    def get_queryset(self):
        return super().get_queryset().exclude(collection__in=unpublished_attachment_collections())


api_router = WagtailAPIRouter("wagtailapi")
api_router.register_endpoint("pages", PagesAPIViewSet)
api_router.register_endpoint("images", ImagesAPIViewSet)
api_router.register_endpoint("documents", DocumentsOfPublishedContentAPIViewSet)
