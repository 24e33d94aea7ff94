"""CSV and Excel (.xlsx) downloads, and what keeps a cell from being run as a formula by the
spreadsheet that opens it (CSV injection): a text cell that starts with =, +, -, @, a tab or a
carriage return is written with an apostrophe in front, which Excel and LibreOffice show as text
and do not run. Numbers are left as they are. In a workbook every text cell is also stored as a
string, never a formula, and gets the same apostrophe, so that a sheet saved again as CSV stays
safe. The Wagtail admin's own CSV exports (reports, listings, form submissions) are given the same
treatment in `protect_wagtail_exports`."""

import csv
import datetime
import io

from django.http import HttpResponse
from wagtail.admin.views.mixins import SpreadsheetExportMixin

from .dates import local

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """A cell that a spreadsheet will show, never evaluate."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_download(filename: str, header, rows) -> HttpResponse:
    """A CSV attachment in UTF-8 with a BOM, so that Excel reads the Japanese correctly."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow([neutralise(cell) for cell in header])
    writer.writerows([neutralise(cell) for cell in row] for row in rows)
    return response


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_download(filename: str, header, rows, *, title: str = "") -> HttpResponse:
    """One worksheet: a bold header row, then the rows; dates as dates (yyyy-mm-dd)."""
    from openpyxl import Workbook  # only the views that offer a workbook need it loaded
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    # A sheet's name is at most 31 characters, without []:*?/\
    name = "".join(c for c in (title or "Sheet1") if c not in "[]:*?/\\")[:31] or "Sheet1"
    sheet = workbook.create_sheet(name)
    bold = Font(bold=True)

    def cell(value, *, header=False):
        value = neutralise(value)
        written = WriteOnlyCell(sheet, value=value)
        if isinstance(value, str):
            written.data_type = "s"  # openpyxl reads a leading = as a formula
        elif isinstance(value, datetime.datetime):
            # Excel has no time zones: the time as read in Japan.
            written.value = local(value).replace(tzinfo=None) if value.tzinfo else value
            written.number_format = "yyyy-mm-dd hh:mm"
        elif isinstance(value, datetime.date):
            written.number_format = "yyyy-mm-dd"
        if header:
            written.font = bold
        return written

    sheet.append([cell(value, header=True) for value in header])
    for row in rows:
        sheet.append([cell(value) for value in row])
    output = io.BytesIO()
    workbook.save(output)
    response = HttpResponse(output.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def protect_wagtail_exports() -> None:
    """Wagtail's spreadsheet exports turn formulas into text for XLSX but write CSV cells as they
    are; page titles, member names and form answers in them come from members."""
    if getattr(SpreadsheetExportMixin, "_formulas_neutralised", False):
        return

    def write_csv_row(self, writer, row_dict):
        return writer.writerow(
            {
                field: neutralise(self.preprocess_field_value(field, value, self.FORMAT_CSV))
                for field, value in row_dict.items()
            }
        )

    SpreadsheetExportMixin.write_csv_row = write_csv_row
    SpreadsheetExportMixin._formulas_neutralised = True
