from django.http import Http404
from wagtail import hooks

from . import submission


@hooks.register("before_serve_document", order=-10)
def keep_unpublished_attachments_private(document, request):
    """Files of a case not yet published: 404 to everyone but its authors and document staff,
    as the draft itself is."""
    unpublished = submission.unpublished_attachment_collections()
    if unpublished.filter(pk=document.collection_id).exists() and not (
        submission.may_download_unpublished(request.user, document)
    ):
        raise Http404
    return None
