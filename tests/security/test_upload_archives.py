"""Archives are judged without expanding them (issue 19, items 1 and 8): a ZIP of a few hundred
bytes that would expand to gigabytes is refused from its directory, only a bounded prefix of
one member is ever decompressed, and the attachment kinds the case-study form advertises
(.xml, .json, .ods) are stored rather than failing. Text is scanned for markup in full."""

from __future__ import annotations

import base64
import contextlib
import io
import struct
import tracemalloc
import zipfile
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from wagtail.documents import get_document_model

from core import uploads

from .test_uploads import author, odf, post_attachment  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

MIB = 1024 * 1024
# 256 MiB of zero bytes compressed with bzip2: 208 bytes. Made with
# bz2.BZ2Compressor(9) fed 256 chunks of 1 MiB of zeros; its CRC-32 is 0x2A0E7DBB.
BZIP2_ZEROS = base64.b64decode(
    "QlpoOTFBWSZTWQ4J4t8BX45AAMAAAAggADCATUZCoCWpCoCXMUFZJlNZDgni3wFfjkAAwAAACCAAMIBNRkKgJakKgJcx"
    "QVkmU1kOCeLfAV+OQADAAAAIIAAwgE1GQqAlqQqAlzFBWSZTWQ4J4t8BX45AAMAAAAggADCATUZCoCWpCoCXMUFZJlNZ"
    "Dgni3wFfjkAAwAAACCAAMIBNRkKgJakKgJcxQVkmU1kezuTbASo/wADABAAIIAAwzAUppqqoSRsAIkjxdyRThQkGsXyv"
    "AA=="
)
BZIP2_ZEROS_SIZE = 256 * MIB
BZIP2_ZEROS_CRC = 0x2A0E7DBB
# Far below what expanding any of these archives would take.
MEMORY_BUDGET = 16 * MIB


def raw_zip(members) -> bytes:
    """A ZIP written by hand, so that its directory can say what a bomb's says (or lie).
    Each member is (name, method, compressed bytes, CRC-32, size declared)."""
    body, directory = b"", b""
    for name, method, data, crc, size in members:
        encoded = name.encode()
        offset = len(body)
        body += (
            struct.pack(
                "<IHHHHHIIIHH",
                0x04034B50,
                20,
                0,
                method,
                0,
                0,
                crc,
                len(data),
                size,
                len(encoded),
                0,
            )
            + encoded
            + data
        )
        directory += (
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                20,
                20,
                0,
                method,
                0,
                0,
                crc,
                len(data),
                size,
                len(encoded),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + encoded
        )
    count = len(members)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(directory), len(body), 0)
    return body + directory + end


def deflated(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


def peak_memory(work) -> int:
    tracemalloc.start()
    try:
        with contextlib.suppress(ValidationError):
            work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def refusal(name, data, allowed=frozenset({"zip", "odt", "ods", "docx"})):
    upload = SimpleUploadedFile(name, data)
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        uploads.check_upload(upload, allowed=allowed, max_bytes=10 * MIB)
    return refused.value


def test_a_bzip2_bomb_of_208_bytes_is_refused_without_expanding_it():
    bomb = raw_zip(
        [("mimetype", zipfile.ZIP_BZIP2, BZIP2_ZEROS, BZIP2_ZEROS_CRC, BZIP2_ZEROS_SIZE)]
    )
    assert len(bomb) < 400
    assert (
        peak_memory(
            lambda: uploads.check_upload(
                SimpleUploadedFile("表.ods", bomb), allowed={"ods"}, max_bytes=10 * MIB
            )
        )
        < MEMORY_BUDGET
    )
    error = refusal("表.ods", bomb)
    assert error.code == "archive_ratio"
    assert "possible ZIP bomb" in error.messages[0]


def test_a_bomb_whose_directory_lies_about_its_size_is_not_expanded_either():
    # The directory says 100 bytes; bzip2 would still expand all 256 MiB in one step.
    liar = raw_zip([("mimetype", zipfile.ZIP_BZIP2, BZIP2_ZEROS, BZIP2_ZEROS_CRC, 100)])
    assert peak_memory(lambda: uploads.detect_kind(liar)) < MEMORY_BUDGET
    error = refusal("archive.zip", liar)
    assert error.code == "archive_method"
    assert "compression method that is not accepted" in error.messages[0]


def test_only_a_prefix_of_a_deflated_member_is_read():
    zeros = 64 * MIB
    stream = deflated(bytes(zeros))
    crc = zlib.crc32(bytes(zeros))
    # Declared honestly, its ratio (about 1,000 to 1) refuses it.
    assert refusal("a.zip", raw_zip([("mimetype", 8, stream, crc, zeros)])).code == (
        "archive_ratio"
    )
    # Declared as small, it passes the directory checks; reading its start costs little.
    liar = raw_zip([("mimetype", 8, stream, crc, 1000)])
    assert peak_memory(lambda: uploads.detect_kind(liar)) < MEMORY_BUDGET
    assert uploads.detect_kind(liar) is None  # its CRC fails where the stream outruns it


def test_too_many_members_are_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for number in range(uploads.MAX_ARCHIVE_MEMBERS + 1):
            archive.writestr(f"{number}.txt", b"")
    error = refusal("many.zip", out.getvalue())
    assert error.code == "archive_members"
    assert error.messages[0] == "The archive holds too many files (more than 5,000)."


def test_what_the_members_declare_together_is_capped():
    # Each member alone is within the ratio; together they would expand to 600 MiB.
    chunk = bytes(2 * MIB)
    members = [(f"part{n}.bin", 0, chunk, zlib.crc32(chunk), 300 * MIB) for n in range(2)]
    error = refusal("parts.zip", raw_zip(members))
    assert error.code == "archive_too_large"
    assert "would expand to more than 512" in error.messages[0]


def test_ordinary_archives_still_pass():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("手順書.txt", "手順\n" * 20_000)  # 2:1 000 compressible, but small
        archive.writestr("scenario.csv", "番号,処理\n1,取込\n")
    checked = uploads.check_upload(
        SimpleUploadedFile("シナリオ.zip", out.getvalue()), allowed={"zip"}, max_bytes=10 * MIB
    )
    assert checked.kind == "zip"
    assert uploads.detect_kind(odf("application/vnd.oasis.opendocument.spreadsheet")) == "ods"


def test_the_public_verify_upload_refuses_the_bomb(client):
    bomb = raw_zip(
        [("mimetype", zipfile.ZIP_BZIP2, BZIP2_ZEROS, BZIP2_ZEROS_CRC, BZIP2_ZEROS_SIZE)]
    )
    response = client.post(
        "/en/credentials/verify/", {"file": SimpleUploadedFile("credential.json", bomb)}
    )
    assert response.status_code == 400
    assert "possible ZIP bomb" in str(response.context["form"].errors["file"])


# --- Item 8: markup anywhere in text; the advertised kinds are stored --------------------------


@pytest.mark.parametrize("name", ["notes.txt", "data.csv", "form.xml", "data.json", "readme.md"])
def test_markup_after_padding_is_found(name):
    padded = b" " * 9000 + b"<html><script>alert(1)</script></html>"
    assert refusal(name, padded, {"txt", "csv", "xml", "json", "md"}).code == "active_content"
    utf16 = ("\ufeff" + " " * 9000 + "<svg onload=alert(1)>").encode("utf-16-le")
    assert refusal(name, utf16, {"txt", "csv", "xml", "json", "md"}).code == "active_content"


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("様式.xml", '<?xml version="1.0"?><様式><項目 名="氏名"/></様式>'.encode()),
        ("定義.json", '{"項目": ["氏名", "住所"]}'.encode()),
        ("集計.ods", odf("application/vnd.oasis.opendocument.spreadsheet")),
    ],
)
def test_advertised_attachment_kinds_are_stored(client, author, name, data):  # noqa: F811
    user, case = author
    client.force_login(user)
    response = post_attachment(client, case, name, data, content_type="application/octet-stream")
    assert response.status_code == 302
    document = get_document_model().objects.get()
    assert document.file.read() == data


def test_every_advertised_attachment_kind_is_a_document_kind(settings):
    from casestudies.forms import ATTACHMENT_TYPES

    assert {t.lstrip(".") for t in ATTACHMENT_TYPES} <= set(settings.WAGTAILDOCS_EXTENSIONS)
