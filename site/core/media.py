"""Uploaded files that are not for everyone.

Documents (case attachments, files in the admin) may be private: a draft case's files are for
its authors and moderators only, and Wagtail's serve view (`/documents/<id>/<name>`) checks that
(casestudies.wagtail_hooks). Nothing else may hand them out:

- In development `make run` serves media itself: only images (`images/`, `original_images/`),
  never `documents/`, which answers 404 there as it must behind a web server in production.
- Every document is stored under a random folder (`documents/<32 hex digits>/<its name>`), so
  an address cannot be guessed from a file's name even where storage is reachable directly (a
  bucket or a misconfigured web server). The download keeps its original name.
- `manage.py protect_documents` moves documents stored before this under such names.

Production: the web server must serve only the image folders under MEDIA_URL (README,
Security); an S3 bucket must not be public for `documents/`.
"""

from __future__ import annotations

import posixpath
import re
import secrets

from django.conf import settings
from django.http import Http404
from django.urls import re_path
from django.views.static import serve

PUBLIC_MEDIA_FOLDERS = ("images/", "original_images/")
PROTECTED_NAME = re.compile(r"^documents/[0-9a-f]{32}/[^/]+$")


def serve_public_media(request, path):
    """Development only: media files that are public by nature (images), nothing else."""
    path = posixpath.normpath(path).lstrip("/")
    if not path.startswith(PUBLIC_MEDIA_FOLDERS) or ".." in path.split("/"):
        raise Http404
    return serve(request, path, document_root=settings.MEDIA_ROOT)


def dev_media_urlpatterns():
    prefix = settings.MEDIA_URL.lstrip("/")
    if not prefix or "://" in settings.MEDIA_URL:
        return []
    return [re_path(rf"^{re.escape(prefix)}(?P<path>.*)$", serve_public_media)]


def protected_name(name: str) -> str:
    """Where a document of this name is stored: a random folder, its own name kept."""
    return f"{secrets.token_hex(16)}/{posixpath.basename(name)}"


def store_documents_under_random_names(sender, instance, raw=False, **kwargs) -> None:
    """pre_save of the document model: a new file goes into a folder nobody can guess."""
    file = instance.file
    if raw or not file or getattr(file, "_committed", True):
        return
    file.name = protected_name(file.name)
