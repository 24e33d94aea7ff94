import csv
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from people.codes import is_valid_code
from people.models import Municipality, Prefecture

DEFAULT_DIR = settings.BASE_DIR / "fixtures" / "municipalities"
TOKYO = "13"
MICRODEGREE = Decimal("0.000001")


PREFECTURE_COLUMNS = ("pid", "pref", "prefkana", "pref_en", "lgcode", "url", "lat", "lng")
MUNICIPALITY_COLUMNS = ("pref", "city", "citykana", "lgcode", "url", "lat", "lng")


def read_csv(path: Path, columns=()) -> list[dict[str, str]]:
    """The rows of a UTF-8 CSV file; a file in another encoding, one that is not CSV or one
    without the columns the import needs stops the import with a message naming the file."""
    try:
        # utf-8-sig drops the byte-order mark the published files start with.
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            rows = list(reader)
            found = reader.fieldnames or []
    except UnicodeDecodeError:
        raise CommandError(
            _("%(name)s is not UTF-8 text. Save it as “CSV UTF-8” and import it again.")
            % {"name": path.name}
        ) from None
    except csv.Error as error:
        raise CommandError(
            _("%(name)s cannot be read as CSV: %(error)s") % {"name": path.name, "error": error}
        ) from None
    missing = [column for column in columns if column not in found]
    if missing:
        raise CommandError(
            _("%(name)s has no column %(columns)s.")
            % {"name": path.name, "columns": ", ".join(missing)}
        )
    return rows


def broken_row(path: Path, line: int, error: Exception) -> CommandError:
    detail = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    return CommandError(
        _("%(name)s, line %(line)d, cannot be imported (%(detail)s). Nothing was imported.")
        % {"name": path.name, "line": line, "detail": detail}
    )


ROW_ERRORS = (KeyError, AttributeError, IndexError, TypeError, ValueError, ArithmeticError)


def coordinate(value: str) -> Decimal | None:
    return Decimal(value).quantize(MICRODEGREE) if value else None


def kind_for(row_name: str, prefecture_code: str, designated_cities: set[str]) -> str:
    if " " in row_name:
        return Municipality.Kind.WARD
    if row_name in designated_cities:
        return Municipality.Kind.DESIGNATED_CITY
    if prefecture_code == TOKYO and row_name.endswith("区"):
        return Municipality.Kind.SPECIAL_WARD
    return {
        "市": Municipality.Kind.CITY,
        "町": Municipality.Kind.TOWN,
        "村": Municipality.Kind.VILLAGE,
    }[row_name[-1]]


class Command(BaseCommand):
    help = (
        "Loads or updates prefectures and municipalities from the national code list (idempotent)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dir", type=Path, default=DEFAULT_DIR, help="folder with the CSV files"
        )

    @transaction.atomic
    def handle(self, *args, dir: Path, **options):
        prefecture_file = dir / "prefjp-utf8.csv"
        municipality_file = dir / "localgovjp-utf8.csv"
        for path in (prefecture_file, municipality_file):
            if not path.exists():
                raise CommandError(_("File not found: %(path)s") % {"path": path})

        self.files = {"prefectures": prefecture_file, "municipalities": municipality_file}
        prefectures = self.import_prefectures(read_csv(prefecture_file, PREFECTURE_COLUMNS))
        rows = read_csv(municipality_file, MUNICIPALITY_COLUMNS)
        created, updated = self.import_municipalities(rows, prefectures)
        self.stdout.write(
            _("Municipalities: %(total)d in all, %(created)d added, %(updated)d updated.")
            % {"total": Municipality.objects.count(), "created": created, "updated": updated}
        )

    def import_prefectures(self, rows):
        prefectures = {}
        bodies = []
        for line, row in enumerate(rows, start=2):
            try:
                prefecture, body = self.prefecture_row(row)
            except ROW_ERRORS as error:
                raise broken_row(self.files["prefectures"], line, error) from None
            prefectures[prefecture.name] = prefecture
            bodies.append(body)
        self.upsert(bodies)
        return prefectures

    def prefecture_row(self, row):
        code = row["pid"].zfill(2)
        prefecture, _created = Prefecture.objects.update_or_create(
            code=code,
            defaults={"name": row["pref"], "kana": row["prefkana"], "name_en": row["pref_en"]},
        )
        return prefecture, {
            "code": row["lgcode"].zfill(6),
            "name": row["pref"],
            "kana": row["prefkana"],
            "prefecture": prefecture,
            "kind": Municipality.Kind.PREFECTURE,
            "website": row["url"],
            "latitude": coordinate(row["lat"]),
            "longitude": coordinate(row["lng"]),
        }

    def import_municipalities(self, rows, prefectures):
        designated_cities = {
            row["city"].split(" ")[0] for row in rows if " " in (row.get("city") or "")
        }
        bodies = []
        for line, row in enumerate(rows, start=2):
            try:
                code = row["lgcode"].zfill(6)
            except ROW_ERRORS as error:
                raise broken_row(self.files["municipalities"], line, error) from None
            if not is_valid_code(code):
                raise CommandError(
                    _("Line %(line)d: %(code)s is not a valid local government code.")
                    % {"line": line, "code": code}
                )
            try:
                prefecture = prefectures[row["pref"]]
                bodies.append(
                    {
                        "code": code,
                        "name": row["city"].replace(" ", ""),
                        "kana": row["citykana"].replace(" ", ""),
                        "prefecture": prefecture,
                        "kind": kind_for(row["city"], prefecture.code, designated_cities),
                        "website": row["url"],
                        "latitude": coordinate(row["lat"]),
                        "longitude": coordinate(row["lng"]),
                        "parent_name": row["city"].split(" ")[0] if " " in row["city"] else None,
                    }
                )
            except ROW_ERRORS as error:
                raise broken_row(self.files["municipalities"], line, error) from None
        created, updated = self.upsert(bodies)
        cities = {
            (m.prefecture_id, m.name): m
            for m in Municipality.objects.filter(kind=Municipality.Kind.DESIGNATED_CITY)
        }
        wards = Municipality.objects.filter(kind=Municipality.Kind.WARD).in_bulk(field_name="code")
        changed = []
        for body in bodies:
            if body["parent_name"]:
                ward = wards[body["code"]]
                parent = cities[(body["prefecture"].pk, body["parent_name"])]
                if ward.parent_id != parent.pk:
                    ward.parent = parent
                    changed.append(ward)
        Municipality.objects.bulk_update(changed, ["parent"])
        return created, updated

    def upsert(self, bodies):
        """Creates the missing rows and updates those that changed, in a handful of queries."""
        fields = ["name", "kana", "prefecture", "kind", "website", "latitude", "longitude"]
        existing = Municipality.objects.in_bulk(field_name="code")
        to_create, to_update = [], []
        for body in bodies:
            values = {field: body[field] for field in fields}
            current = existing.get(body["code"])
            if current is None:
                to_create.append(Municipality(code=body["code"], **values))
                continue
            if any(getattr(current, field) != value for field, value in values.items()):
                for field, value in values.items():
                    setattr(current, field, value)
                to_update.append(current)
        Municipality.objects.bulk_create(to_create, batch_size=500)
        Municipality.objects.bulk_update(to_update, fields, batch_size=500)
        return len(to_create), len(to_update)
