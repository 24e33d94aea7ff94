import csv

from django.http import HttpResponse


def csv_download(filename: str, header, rows) -> HttpResponse:
    """A CSV attachment in UTF-8 with a BOM, so that Excel reads the Japanese correctly."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(header)
    writer.writerows(rows)
    return response
