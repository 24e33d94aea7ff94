"""Checking what people upload: by its size and by what its bytes are, never by its name or the
content type the browser claims.

- `check_upload` accepts a file only when its content is one of the allowed kinds *and* its name
  says the same kind (a PNG called report.pdf is refused, and so is HTML called photo.jpg).
- SVG, HTML and scripts are refused wherever they hide: they run in the browser that opens them.
- Raster images are re-encoded with Pillow: what is stored is pixels only, without the EXIF
  block (camera, time, GPS position), XMP or comments, and turned upright first. Images with
  more pixels than allowed (decompression bombs) are refused before they are decoded.
- `MetadataStrippedImageForm` does the same for images uploaded in the Wagtail admin
  (WAGTAILIMAGES_IMAGE_FORM_BASE): Wagtail keeps the original file and copies its EXIF into
  every rendition, so without this a photo's GPS position would be public.
- `RequestLimitsMiddleware` answers a request body that is too large with a clear 413 page
  (or JSON for the API), and an address with a NUL character with 400, before anything reads
  them.
"""

from __future__ import annotations

import io
import re
import warnings
import zipfile
from dataclasses import dataclass
from functools import cache, partial

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.http import JsonResponse
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

# What a name's extension promises, by the kind the content turns out to be.
EXTENSIONS_BY_KIND = {
    "pdf": {"pdf"},
    "jpeg": {"jpg", "jpeg"},
    "png": {"png"},
    "gif": {"gif"},
    "webp": {"webp"},
    "docx": {"docx"},
    "xlsx": {"xlsx"},
    "pptx": {"pptx"},
    "odt": {"odt"},
    "ods": {"ods"},
    "odp": {"odp"},
    "zip": {"zip"},
    "text": {"csv", "txt", "json", "jwt", "xml", "md"},
}
RASTER_KINDS = {"jpeg": "JPEG", "png": "PNG", "gif": "GIF", "webp": "WEBP"}
OOXML_FOLDERS = {"word/": "docx", "xl/": "xlsx", "ppt/": "pptx"}
ODF_TYPES = {
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "application/vnd.oasis.opendocument.presentation": "odp",
}
ZIP_KINDS = {"zip", "docx", "xlsx", "pptx", "odt", "ods", "odp", "epub"}
HEAD_BYTES = 8192
# Archives (ZIP, and the Office and OpenDocument files that are ZIPs) are judged from their
# directory and a few bytes of one member, never by expanding them: a ZIP of a few hundred bytes
# can expand to gigabytes. What the directory declares is refused beyond these limits.
MAX_ARCHIVE_MEMBERS = 5_000
MAX_ARCHIVE_EXPANDED = 512 * 1024 * 1024
# A member's declared size over its compressed size; ordinary documents stay far below (Office
# XML about 10:1, a spreadsheet of repeated rows under 100:1). Members under 1 MB are not judged.
MAX_COMPRESSION_RATIO = 200
RATIO_FLOOR_BYTES = 1024 * 1024
MEMBER_PREFIX_BYTES = 256
# Only these are read (the ones Office, OpenDocument and ordinary ZIP tools write): bzip2 and
# LZMA expand a whole stream in one step, however little of it is asked for.
READABLE_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED}
DEFAULT_MAX_PIXELS = 40_000_000

# Markup a browser would run or render: looked for at the start of anything that claims to be
# text, an image or a PDF. Case-insensitive, after any byte-order mark and white space.
ACTIVE_MARKUP = re.compile(
    rb"<\s*(svg|html|script|iframe|object|embed|body|head|meta|!doctype\s+html|"
    rb"[a-z0-9]+:svg)\b|xmlns\s*=\s*[\"']http://www\.w3\.org/(2000/svg|1999/xhtml)",
    re.IGNORECASE,
)
TEXT_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


@dataclass(frozen=True)
class CheckedUpload:
    """What passed the checks: the file to store (re-encoded for images) and its kind."""

    file: UploadedFile
    kind: str


def extension_of(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in (name or "") else ""


def _read_all(upload) -> bytes:
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    return data


def _looks_active(data: bytes, *, whole: bool = False) -> bool:
    """SVG, HTML or script markup, also in UTF-16 (where every other byte is zero). Binary files
    are looked at where browsers sniff (the start); text `whole`, since markup after a page of
    padding is still markup to whoever opens the file."""
    head = data if whole else data[:HEAD_BYTES]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = head.replace(b"\x00", b"")
    return bool(ACTIVE_MARKUP.search(head))


def _is_text(data: bytes) -> bool:
    head = data[:HEAD_BYTES]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True  # UTF-16 with its byte-order mark: zero bytes are expected
    return b"\x00" not in head


def _refuse_archive(message, code: str):
    raise ValidationError(message, code=code)


def _check_archive(members: list[zipfile.ZipInfo]) -> None:
    """Refuses, from the archive's directory alone, one that would expand to too much."""
    if len(members) > MAX_ARCHIVE_MEMBERS:
        _refuse_archive(
            _("The archive holds too many files (more than %(count)s).")
            % {"count": f"{MAX_ARCHIVE_MEMBERS:,}"},
            "archive_members",
        )
    if sum(member.file_size for member in members) > MAX_ARCHIVE_EXPANDED:
        _refuse_archive(
            _("The archive would expand to more than %(limit)s.")
            % {"limit": filesizeformat(MAX_ARCHIVE_EXPANDED)},
            "archive_too_large",
        )
    for member in members:
        if member.file_size > RATIO_FLOOR_BYTES and (
            member.file_size > MAX_COMPRESSION_RATIO * max(member.compress_size, 1)
        ):
            _refuse_archive(
                _(
                    "The archive contains a file compressed far more than documents are "
                    "(more than %(ratio)s to 1); it is refused as a possible ZIP bomb."
                )
                % {"ratio": MAX_COMPRESSION_RATIO},
                "archive_ratio",
            )
        if member.compress_type not in READABLE_METHODS:
            _refuse_archive(
                _(
                    "The archive uses a compression method that is not accepted. Save it "
                    "again with ordinary ZIP compression."
                ),
                "archive_method",
            )


def _member_prefix(archive: zipfile.ZipFile, name: str) -> bytes:
    """The first bytes of one member, decompressing no more than that."""
    with archive.open(name) as member:
        return member.read(MEMBER_PREFIX_BYTES)


def _zip_kind(data: bytes) -> str | None:
    """What a ZIP archive really is: an Office or OpenDocument file, or a plain archive.
    Raises ValidationError for an archive that would expand to too much."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            _check_archive(members)
            names = {member.filename for member in members}
            if "mimetype" in names:
                mimetype = _member_prefix(archive, "mimetype")[:100]
                mimetype = mimetype.decode("ascii", "replace").strip()
                if mimetype in ODF_TYPES:
                    return ODF_TYPES[mimetype]
            if "[Content_Types].xml" in names:
                for folder, kind in OOXML_FOLDERS.items():
                    if any(name.startswith(folder) for name in names):
                        return kind
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        OSError,
        ValueError,
        EOFError,
        RuntimeError,  # an encrypted member
        NotImplementedError,  # a compression method zipfile does not know
    ):
        return None
    return "zip"


def detect_kind(data: bytes) -> str | None:
    """The kind of file the bytes are (a key of EXTENSIONS_BY_KIND), "active" for markup a
    browser would run, or None. An archive that would expand to too much raises ValidationError."""
    if _looks_active(data):
        return "active"
    guess = filetype.guess(data[:HEAD_BYTES])
    if guess is not None:
        kind = {"jpg": "jpeg"}.get(guess.extension, guess.extension)
        if kind in ZIP_KINDS:
            return _zip_kind(data)
        return kind if kind in EXTENSIONS_BY_KIND else None
    if data[:5] == b"%PDF-":
        return "pdf"
    if _is_text(data):
        return "active" if _looks_active(data, whole=True) else "text"
    return None


def check_upload(
    upload,
    *,
    allowed: set[str] | frozenset[str],
    max_bytes: int,
    match_name: bool = True,
    max_pixels: int | None = None,
) -> CheckedUpload:
    """The upload, checked; raises ValidationError with a message for the person uploading.

    `allowed` is the set of extensions accepted (without dots). With `match_name`, the name's
    extension must be allowed and agree with the content; without it (a credential pasted into
    a file of any name), only the content counts."""
    if upload.size is not None and upload.size > max_bytes:
        raise ValidationError(
            _("The file is larger than %(limit)s.") % {"limit": filesizeformat(max_bytes)},
            code="file_too_large",
        )
    data = _read_all(upload)
    if len(data) > max_bytes:
        raise ValidationError(
            _("The file is larger than %(limit)s.") % {"limit": filesizeformat(max_bytes)},
            code="file_too_large",
        )
    extension = extension_of(upload.name)
    if match_name and extension not in allowed:
        raise ValidationError(_("This type of file is not accepted."), code="file_type")
    if not data:
        raise ValidationError(_("The file is empty."), code="empty")
    kind = detect_kind(data)
    if kind == "active":
        raise ValidationError(
            _("SVG images, web pages and scripts cannot be uploaded."), code="active_content"
        )
    kinds_allowed = {k for k, extensions in EXTENSIONS_BY_KIND.items() if extensions & allowed}
    if kind is None or kind not in kinds_allowed:
        raise ValidationError(
            _("The content of this file is not a type that is accepted."), code="file_type"
        )
    if match_name and extension not in EXTENSIONS_BY_KIND[kind]:
        raise ValidationError(
            _("The content of the file does not match its name (.%(extension)s).")
            % {"extension": extension},
            code="file_type_mismatch",
        )
    if kind in RASTER_KINDS:
        return CheckedUpload(reencode_image(upload.name, data, max_pixels=max_pixels), kind)
    upload.seek(0)
    return CheckedUpload(upload, kind)


def _pixel_limit(max_pixels: int | None) -> int:
    configured = max_pixels or getattr(
        settings, "WAGTAILIMAGES_MAX_IMAGE_PIXELS", DEFAULT_MAX_PIXELS
    )
    return min(configured or DEFAULT_MAX_PIXELS, Image.MAX_IMAGE_PIXELS or configured)


def _image_errors(limit: int) -> tuple[ValidationError, ValidationError]:
    damaged = ValidationError(
        _("The image could not be read; it may be damaged."), code="invalid_image"
    )
    too_many = ValidationError(
        _("The image is too large: at most %(count)s million pixels.")
        % {"count": f"{limit / 1_000_000:g}"},
        code="too_many_pixels",
    )
    return damaged, too_many


def check_image_header(data: bytes, *, max_pixels: int | None = None) -> None:
    """Refuses, from the header alone, an image with more pixels than allowed (a decompression
    bomb) or one Pillow cannot identify. Nothing is decoded."""
    limit = _pixel_limit(max_pixels)
    damaged, too_many = _image_errors(limit)
    try:
        with warnings.catch_warnings():
            # Pillow only warns between MAX_IMAGE_PIXELS and twice that: treat it as refusal.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                frames = getattr(image, "n_frames", 1)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_many from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
        raise damaged from None
    if width * height * max(frames, 1) > limit:
        raise too_many


def reencode_image(name: str, data: bytes, *, max_pixels: int | None = None) -> UploadedFile:
    """The image's pixels in a new file of the same format, without its metadata (EXIF with any
    GPS position, XMP, comments), turned upright as its EXIF said. Too many pixels, or a file
    Pillow cannot read, raise ValidationError before any pixel is decoded."""
    check_image_header(data, max_pixels=max_pixels)
    damaged, too_many = _image_errors(_pixel_limit(max_pixels))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                image_format = image.format
                if image_format not in RASTER_KINDS.values():
                    raise damaged
                out = io.BytesIO()
                if getattr(image, "n_frames", 1) > 1:
                    _save_animation(image, out, image_format)
                else:
                    _save_still(image, out, image_format)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_many from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
        raise damaged from None
    content_type = f"image/{image_format.lower()}"
    return SimpleUploadedFile(name, out.getvalue(), content_type=content_type)


# Image info that describes how to draw the pixels; everything else (exif, xmp, comment,
# dpi-tagged text chunks…) is dropped.
KEPT_INFO = {"transparency", "duration", "loop", "background", "icc_profile"}


def _clean_info(image) -> dict:
    return {key: value for key, value in image.info.items() if key in KEPT_INFO}


def _save_still(image, out, image_format: str) -> None:
    upright = ImageOps.exif_transpose(image)
    upright.load()
    info = _clean_info(image)
    pixels = upright.copy()
    pixels.info = {}
    options = {"icc_profile": info["icc_profile"]} if "icc_profile" in info else {}
    if image_format == "JPEG":
        if pixels.mode not in ("RGB", "L", "CMYK"):
            pixels = pixels.convert("RGB")
        options.update(quality=90, optimize=True)
    elif image_format == "WEBP":
        options.update(quality=90)
    elif image_format in ("PNG", "GIF") and "transparency" in info:
        options["transparency"] = info["transparency"]
    pixels.save(out, format=image_format, **options)


def _save_animation(image, out, image_format: str) -> None:
    # Frames are written from the decoded image; only timing and looping are carried over.
    for key in list(image.info):
        if key not in KEPT_INFO:
            del image.info[key]
    options = {key: image.info[key] for key in ("duration", "loop") if key in image.info}
    image.save(out, format=image_format, save_all=True, **options)


# --- Wagtail images ---------------------------------------------------------------------------


@cache
def _wagtail_image_form_base():
    # Built on first use (see __getattr__): wagtail.images.forms imports the image model.
    from wagtail.images.forms import BaseImageForm

    class MetadataStrippedImageForm(BaseImageForm):
        """Wagtail's image form, storing the re-encoded image instead of the file as uploaded."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            field = self.fields.get("file")
            if field is not None:
                field.to_python = partial(_checked_image_to_python, field.to_python)

        def clean_file(self):
            upload = self.cleaned_data.get("file")
            if not isinstance(upload, UploadedFile):
                return upload  # unchanged on edit
            data = _read_all(upload)
            if _looks_active(data):
                raise ValidationError(
                    _("SVG images, web pages and scripts cannot be uploaded."),
                    code="active_content",
                )
            cleaned = reencode_image(upload.name, data)
            # WagtailImageField checked the original and left a Willow image on it; the
            # model reads it for the dimensions, so the new file gets one of its own.
            from willow.image import Image as WillowImage

            cleaned.image = WillowImage.open(cleaned)
            cleaned.seek(0)
            return cleaned

    return MetadataStrippedImageForm


def _checked_image_to_python(to_python, data):
    """Wagtail's image field, with the header checked first: Willow decodes the whole image to
    learn its size (a decompression bomb is decoded before it is refused), and a truncated
    image makes it raise OSError, a server error."""
    if data is not None and hasattr(data, "read"):
        content = _read_all(data)
        if _looks_active(content):
            raise ValidationError(
                _("SVG images, web pages and scripts cannot be uploaded."), code="active_content"
            )
        check_image_header(content)
    try:
        return to_python(data)
    except (OSError, SyntaxError, EOFError):
        raise _image_errors(_pixel_limit(None))[0] from None


def __getattr__(name):
    # Imported lazily: Wagtail's forms import the image model, which needs the app registry.
    if name == "MetadataStrippedImageForm":
        return _wagtail_image_form_base()
    raise AttributeError(name)


# --- Requests refused before any view reads them ---------------------------------------------


def request_body_limit(request) -> int:
    """Uploads may be as large as the largest upload allowed plus the form around it; any
    other body as large as DATA_UPLOAD_MAX_MEMORY_SIZE."""
    if request.content_type == "multipart/form-data":
        return settings.MAX_UPLOAD_REQUEST_SIZE
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE or settings.MAX_UPLOAD_REQUEST_SIZE


def _has_nul(request) -> bool:
    """A NUL in the path, or in the API's parameters (which Wagtail passes on to the database
    as they are). The site's own pages read their parameters forgivingly and ignore it."""
    if "\x00" in request.path:
        return True
    query = request.META.get("QUERY_STRING", "")
    return request.path.startswith("/api/") and ("%00" in query or "\x00" in query)


class RequestLimitsMiddleware:
    """Two kinds of request are answered before the CSRF check or a view reads them:

    - a body larger than allowed: 413, where Django would raise RequestDataTooBig deep inside
      (a bare 400 page);
    - a NUL character in the path or the API's parameters: 400. Nothing legitimate sends one,
      and PostgreSQL cannot compare text with it: a filter on it would be a server error.
    Pages in the reader's language; JSON for the API."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = request_body_limit(request)
        if length > limit:
            message = _(
                "What you sent is too large (more than %(limit)s). Make the file or text "
                "smaller and try again."
            ) % {"limit": filesizeformat(limit)}
            return refused(request, _("Too large"), message, 413)
        if _has_nul(request):
            message = _("The address contains a character that is not allowed (NUL).")
            return refused(request, _("Bad request"), message, 400)
        return self.get_response(request)


def refused(request, title: str, message: str, status: int):
    if request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", ""):
        body = {"errors": [message]}
        if request.path.startswith("/api/credentials/"):
            body = {"verified": False, "checks": [], "errors": [message]}
        return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    return render(
        request, "core/request_refused.html", {"title": title, "message": message}, status=status
    )
