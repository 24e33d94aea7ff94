"""CSV downloads, and what keeps a cell from being run as a formula by the spreadsheet that
opens it (CSV injection): a text cell that starts with =, +, -, @, a tab or a carriage return is
written with an apostrophe in front, which Excel and LibreOffice show as text and do not run.
Numbers are left as they are. The Wagtail admin's own CSV exports (reports, listings, form
submissions) are given the same treatment in `protect_wagtail_exports`."""

import csv

from django.http import HttpResponse
from wagtail.admin.views.mixins import SpreadsheetExportMixin

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
