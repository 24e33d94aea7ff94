"""Uploads are judged by their bytes: size, real type, no SVG/HTML/script in disguise; raster
images are re-encoded without EXIF/GPS and refused when they would decode to too many pixels.
Applied to the case-study attachment, the credential verify upload and Wagtail's images;
Wagtail's documents are served as downloads with nosniff. Imports with wrong encodings and
broken rows stop with a clear message and leave nothing behind."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation
from PIL import Image
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.images.forms import get_image_form

from casestudies.models import CaseStudyIndexPage
from core import uploads
from knowledge.importing import ImportFailed, import_qa
from knowledge.models import Question
from people.models import Municipality
from tests.casestudies.conftest import CaseFactory
from tests.knowledge.conftest import make_member

pytestmark = pytest.mark.django_db

GPS_IFD = 0x8825


# --- Sample files -----------------------------------------------------------------------------


def photo(image_format="JPEG", *, size=(40, 30), orientation=None, gps=True, **extra) -> bytes:
    """A small picture whose EXIF says where it was taken (and how to turn it)."""
    image = Image.new("RGB", size, (200, 30, 30))
    image.putpixel((0, 0), (0, 0, 255))  # a marker for the top-left corner
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"  # Make
    exif[0x0131] = "PhotoApp 1.0"  # Software
    if orientation:
        exif[0x0112] = orientation
    if gps:
        exif[GPS_IFD] = {1: "N", 2: (35.0, 41.0, 22.0), 3: "E", 4: (139.0, 41.0, 30.0)}
    out = io.BytesIO()
    image.save(out, format=image_format, exif=exif.tobytes(), **extra)
    return out.getvalue()


def png_with_text() -> bytes:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Author", "山田 花子 (yamada@example.jp)")
    info.add_text("Location", "35.6895N 139.6917E")
    out = io.BytesIO()
    exif = Image.Exif()
    exif[GPS_IFD] = {1: "N", 2: (35.0, 41.0, 22.0)}
    Image.new("RGB", (20, 20), "white").save(out, format="PNG", pnginfo=info, exif=exif)
    return out.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims to be huge: its header says width × height, its data is a few bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def animated_gif() -> bytes:
    frames = [Image.new("RGB", (10, 10), colour) for colour in ("red", "green", "blue")]
    out = io.BytesIO()
    frames[0].save(
        out,
        format="GIF",
        save_all=True,
        append_images=frames[1:],
        duration=120,
        loop=0,
        comment=b"taken at home, 35.68N",
    )
    return out.getvalue()


PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n%%EOF\n"
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


def office(kind: str) -> bytes:
    folder = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml", "pptx": "ppt/p.xml"}[kind]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(folder, "<document/>")
    return out.getvalue()


def odf(mimetype: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", mimetype, compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", "<office:document-content/>")
    return out.getvalue()


def plain_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("scenario.txt", "RPAシナリオ")
    return out.getvalue()


def upload(name: str, data: bytes, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, data, content_type=content_type)


ATTACHMENTS = {"pdf", "docx", "xlsx", "pptx", "csv", "txt", "zip", "xml", "json", "odt", "ods"}
IMAGES = {"jpg", "jpeg", "png", "gif", "webp"}


def check(name, data, allowed=ATTACHMENTS, **options):
    return uploads.check_upload(upload(name, data), allowed=allowed, max_bytes=1_000_000, **options)


def refusal(name, data, allowed=ATTACHMENTS, **options) -> str:
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        check(name, data, allowed, **options)
    return refused.value.messages[0]


def exif_of(data: bytes):
    with Image.open(io.BytesIO(data)) as image:
        return dict(image.getexif()), dict(image.info)


# --- The checks -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "kind"),
    [
        ("仕様書.pdf", PDF, "pdf"),
        ("手順.docx", office("docx"), "docx"),
        ("集計.xlsx", office("xlsx"), "xlsx"),
        ("説明.pptx", office("pptx"), "pptx"),
        ("文書.odt", odf("application/vnd.oasis.opendocument.text"), "odt"),
        ("表.ods", odf("application/vnd.oasis.opendocument.spreadsheet"), "ods"),
        ("シナリオ.zip", plain_zip(), "zip"),
        ("帳票.csv", "番号,名前\n1,山田\n".encode("cp932"), "text"),  # Shift_JIS is fine here
        ("帳票.csv", "\ufeff番号,名前\n".encode("utf-16"), "text"),
        ("定義.xml", '<?xml version="1.0"?><form><field name="氏名"/></form>'.encode(), "text"),
        ("data.json", b'{"a": 1}', "text"),
        ("NAME.PDF", PDF, "pdf"),
    ],
)
def test_real_files_of_allowed_kinds_pass(name, data, kind):
    checked = check(name, data)
    assert checked.kind == kind
    checked.file.seek(0)
    assert checked.file.read() == data  # documents are stored as they are


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("logo.svg", SVG, "not accepted"),
        ("logo.txt", SVG, "SVG images, web pages and scripts"),
        ("report.pdf", HTML, "SVG images, web pages and scripts"),
        ("report.pdf", b"  \n<html><body>hi</body></html>", "SVG images, web pages and scripts"),
        ("notes.txt", "<html><script>x</script>".encode("utf-16"), "SVG images"),
        ("form.xml", b'<?xml version="1.0"?>\n<svg:svg xmlns:svg="x"/>', "SVG images"),
        ("page.xml", b'<root xmlns="http://www.w3.org/1999/xhtml"/>', "SVG images"),
        ("report.pdf", photo("PNG"), "not a type that is accepted"),
        ("手順.docx", PDF, "does not match its name (.docx)"),
        ("手順.docx", plain_zip(), "does not match its name (.docx)"),
        ("表.xlsx", office("docx"), "does not match its name (.xlsx)"),
        ("archive.zip", b"PK\x03\x04 but not really a zip", "not a type that is accepted"),
        ("data.csv", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00", "not a type that is accepted"),
        ("data.csv", PDF, "does not match its name (.csv)"),
        ("program.exe", b"MZ\x90\x00", "not accepted"),
        ("no-extension", PDF, "not accepted"),
        ("empty.pdf", b"", "empty"),
    ],
)
def test_files_are_judged_by_their_content_not_their_name(name, data, expected):
    assert expected in refusal(name, data)


def test_size_is_checked_before_the_content_is_read():
    big = upload("big.pdf", PDF + b"0" * 2000)
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        uploads.check_upload(big, allowed={"pdf"}, max_bytes=1000)
    assert refused.value.messages[0] == "The file is larger than 1000\xa0bytes."
    assert refused.value.code == "file_too_large"


def test_without_matching_the_name_only_the_content_counts():
    assert check("credential.dat", b'{"a": 1}', {"json", "jwt"}, match_name=False).kind == "text"
    assert "not a type" in refusal("credential.json", PDF, {"json", "jwt"}, match_name=False)


# --- Images -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("image_format", "name"), [("JPEG", "p.jpg"), ("WEBP", "p.webp")])
def test_images_are_re_encoded_without_exif_or_gps(image_format, name):
    original = photo(image_format)
    exif, _info = exif_of(original)
    assert GPS_IFD in exif and exif[0x010F] == "CameraMaker"  # the sample does carry them

    checked = check(name, original, IMAGES)
    stored = checked.file.read()
    exif, info = exif_of(stored)
    assert exif == {} and "exif" not in info
    assert b"CameraMaker" not in stored and b"PhotoApp" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == image_format and image.size == (40, 30)


def test_png_text_chunks_and_exif_are_dropped():
    checked = check("scan.png", png_with_text(), IMAGES)
    stored = checked.file.read()
    exif, info = exif_of(stored)
    assert exif == {}
    assert not {"Author", "Location", "exif"} & set(info)
    assert "山田".encode() not in stored and b"yamada@" not in stored


def test_a_sideways_photo_is_turned_upright_before_its_exif_goes():
    # Orientation 6: the camera was turned; viewers rotate the 40×30 pixels to stand 30×40.
    stored = check("p.jpg", photo("JPEG", orientation=6), IMAGES).file.read()
    with Image.open(io.BytesIO(stored)) as image:
        assert image.size == (30, 40)
        assert 0x0112 not in image.getexif()


def test_an_animated_gif_keeps_its_frames_but_not_its_comment():
    stored = check("anim.gif", animated_gif(), IMAGES).file.read()
    with Image.open(io.BytesIO(stored)) as image:
        assert image.n_frames == 3
        assert "comment" not in image.info
    assert b"35.68N" not in stored


@pytest.mark.parametrize(
    ("width", "height"),
    [(7000, 7000), (100_000, 100_000), (1, 2**31 - 1)],
)
def test_decompression_bombs_are_refused_before_decoding(settings, width, height):
    settings.WAGTAILIMAGES_MAX_IMAGE_PIXELS = 40_000_000
    message = refusal("bomb.png", png_header_only(width, height), IMAGES)
    assert "too large: at most 40 million pixels" in message


def test_a_damaged_image_is_refused_clearly():
    data = photo("JPEG")[:200]
    assert "could not be read" in refusal("broken.jpg", data, IMAGES)


# --- Where uploads come in --------------------------------------------------------------------


@pytest.fixture
def author(home_page):
    index = CaseStudyIndexPage(title="事例ライブラリ", slug="case-studies")
    home_page.add_child(instance=index)
    index.save_revision().publish()
    user = make_member("投稿 花子")
    case = CaseFactory(index)(title="RPAの事例", live=False)
    case.owner = user
    case.save()
    case.save_revision(user=user)
    return user, case


def post_attachment(client, case, name, data, content_type="application/pdf"):
    return client.post(
        f"/en/case-studies/{case.pk}/edit/lessons/",
        {
            "lessons": "教訓",
            "pitfalls": "注意点",
            "attachment": SimpleUploadedFile(name, data, content_type=content_type),
            "attachment_description": "仕様書",
            "sources-TOTAL_FORMS": "0",
            "sources-INITIAL_FORMS": "0",
            "action": "save",
        },
    )


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("仕様書.pdf", HTML, "SVG images, web pages and scripts cannot be uploaded."),
        ("仕様書.docx", PDF, "does not match its name (.docx)"),
        ("図.svg", SVG, "This type of file is not accepted."),
    ],
)
def test_the_case_study_attachment_refuses_disguised_files(client, author, name, data, message):
    user, case = author
    client.force_login(user)
    documents = get_document_model().objects.count()
    response = post_attachment(client, case, name, data)
    assert response.status_code == 400
    errors = response.context["form"].errors["attachment"]
    assert any(message in str(e) for e in errors), errors
    assert get_document_model().objects.count() == documents


def test_the_case_study_attachment_stores_a_real_pdf(client, author):
    user, case = author
    client.force_login(user)
    response = post_attachment(client, case, "仕様書.pdf", PDF, content_type="text/html")
    assert response.status_code == 302
    document = get_document_model().objects.get()
    assert document.file.read() == PDF


def test_the_credential_verify_upload_checks_the_content(client):
    response = client.post(
        "/en/credentials/verify/",
        {"file": SimpleUploadedFile("credential.json", photo("PNG"), "application/json")},
    )
    assert response.status_code == 400
    assert "not a type that is accepted" in str(response.context["form"].errors["file"])

    response = client.post(
        "/en/credentials/verify/",
        {"file": SimpleUploadedFile("credential.json", HTML, "application/json")},
    )
    assert response.status_code == 400
    assert "SVG images" in str(response.context["form"].errors["file"])

    shift_jis = '{"name": "修了証"}'.encode("cp932")
    response = client.post(
        "/en/credentials/verify/", {"file": SimpleUploadedFile("c.json", shift_jis)}
    )
    assert response.status_code == 400
    assert "UTF-8" in str(response.context["form"].errors["file"])

    response = client.post(
        "/en/credentials/verify/", {"file": SimpleUploadedFile("c.json", b'{"type": []}')}
    )
    assert response.status_code == 200  # read and checked: not a valid credential
    assert not response.context["report"].verified


def test_wagtail_image_uploads_lose_their_exif_and_gps(settings):
    ImageModel = get_image_model()
    form_class = get_image_form(ImageModel)
    assert issubclass(form_class, uploads.MetadataStrippedImageForm)
    form = form_class(
        {"title": "現地写真", "collection": "1", "tags": ""},
        {"file": SimpleUploadedFile("site.jpg", photo("JPEG"), "image/jpeg")},
        user=make_member("編集 者", is_superuser=True),
    )
    assert form.is_valid(), form.errors
    image = form.save()
    image.file.open("rb")
    stored = image.file.read()
    assert exif_of(stored)[0] == {}
    assert (image.width, image.height) == (40, 30)
    rendition = image.get_rendition("fill-20x20")
    rendition.file.open("rb")
    assert exif_of(rendition.file.read())[0] == {}


def test_wagtail_image_upload_refuses_svg_and_bombs():
    ImageModel = get_image_model()
    form_class = get_image_form(ImageModel)
    user = make_member("編集 者", is_superuser=True)
    for name, data in (
        ("logo.svg", SVG),
        ("logo.png", SVG),
        ("bomb.png", png_header_only(9000, 9000)),
    ):
        form = form_class(
            {"title": "x", "collection": "1", "tags": ""},
            {"file": SimpleUploadedFile(name, data, "image/png")},
            user=user,
        )
        assert not form.is_valid()
        assert form.errors["file"]
    assert not ImageModel.objects.exists()


@pytest.mark.parametrize(
    ("name", "data"),
    [("報告書.pdf", PDF), ("notes.txt", b"<html><script>alert(1)</script>"), ("a.csv", b"a,b")],
)
def test_documents_are_served_as_downloads_with_nosniff(client, name, data):
    document = get_document_model()(title="資料", file=ContentFile(data, name=name))
    document.save()
    response = client.get(document.url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'"


# --- Imports with wrong encodings and broken rows ---------------------------------------------


def write(tmp_path, name, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


QA_HEADER = "質問,回答\n"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ((QA_HEADER + "RPAとは？,業務の自動化です。\n").encode("utf-16"), "UTF-8"),
        ((QA_HEADER + "RPAとは？,業務の自動化です。\n").encode("euc_jp"), "UTF-8"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "UTF-8"),
        ((QA_HEADER + "RPAとは？\n").encode(), ""),
        ((QA_HEADER + '"RPAとは？,閉じていない引用符\n').encode(), ""),
        (("題名,本文\nRPAとは？,業務の自動化です。\n").encode(), "質問"),
        ((QA_HEADER + "RPAとは？,業務の自動化です。\x00\n").encode(), ""),
    ],
)
def test_import_qa_refuses_hostile_files_whole(tmp_path, data, expected):
    path = write(tmp_path, "qa.csv", data)
    with translation.override("en"), pytest.raises(ImportFailed) as failed:
        import_qa(path, question_column="質問", answer_column="回答", source_name="test")
    assert str(failed.value)
    assert expected in str(failed.value)
    assert not Question.objects.exists()


def municipality_files(tmp_path, settings, *, prefectures: bytes | None = None, cities=None):
    source = settings.BASE_DIR / "fixtures" / "municipalities"
    pref = prefectures if prefectures is not None else (source / "prefjp-utf8.csv").read_bytes()
    write(tmp_path, "prefjp-utf8.csv", pref)
    lines = (source / "localgovjp-utf8.csv").read_text(encoding="utf-8-sig").splitlines()
    write(tmp_path, "localgovjp-utf8.csv", cities(lines) if cities else "\n".join(lines).encode())
    return tmp_path


def _shift_jis(lines):
    return "\n".join(lines).encode("cp932", "replace")


def _without_column(lines):
    return "\n".join(",".join(line.split(",")[:3]) for line in lines).encode()


def _short_row(lines):
    return "\n".join([*lines[:5], "011002,北海道", *lines[5:]]).encode()


def _odd_name(lines):
    header, first, *rest = lines
    cells = first.split(",")
    city = header.split(",").index("city")
    cells[city] = "謎の地名X"
    return "\n".join([header, ",".join(cells), *rest]).encode()


def _bad_coordinate(lines):
    header, first, *rest = lines
    cells = first.split(",")
    cells[header.split(",").index("lat")] = "北緯43度"
    return "\n".join([header, ",".join(cells), *rest]).encode()


def _unknown_prefecture(lines):
    header, first, *rest = lines
    cells = first.split(",")
    cells[header.split(",").index("pref")] = "架空県"
    return "\n".join([header, ",".join(cells), *rest]).encode()


def _binary(lines):
    return bytes(range(256)) * 4


@pytest.mark.parametrize(
    "cities",
    [
        _shift_jis,
        _without_column,
        _short_row,
        _odd_name,
        _bad_coordinate,
        _unknown_prefecture,
        _binary,
    ],
)
def test_import_municipalities_stops_with_a_clear_message(tmp_path, settings, cities):
    folder = municipality_files(tmp_path, settings, cities=cities)
    with translation.override("ja"), pytest.raises(CommandError) as failed:
        call_command("import_municipalities", dir=folder, stdout=StringIO())
    message = str(failed.value)
    assert "localgovjp-utf8.csv" in message
    assert not Municipality.objects.exclude(kind=Municipality.Kind.PREFECTURE).exists()


def test_import_municipalities_refuses_a_utf16_prefecture_file(tmp_path, settings):
    source = settings.BASE_DIR / "fixtures" / "municipalities" / "prefjp-utf8.csv"
    text = source.read_text(encoding="utf-8-sig")
    folder = municipality_files(tmp_path, settings, prefectures=text.encode("utf-16"))
    with translation.override("ja"), pytest.raises(CommandError) as failed:
        call_command("import_municipalities", dir=folder, stdout=StringIO())
    assert "prefjp-utf8.csv" in str(failed.value) and "UTF-8" in str(failed.value)
    assert not Municipality.objects.exists()
