from collections import Counter
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from people.models import Municipality, Prefecture

pytestmark = pytest.mark.django_db


def import_all():
    out = StringIO()
    with translation.override("en"):
        call_command("import_municipalities", stdout=out)
    return out.getvalue()


def test_imports_the_national_list_with_kinds_and_wards():
    import_all()
    assert Prefecture.objects.count() == 47
    assert Municipality.objects.count() == 47 + 1916
    kinds = Counter(Municipality.objects.values_list("kind", flat=True))
    assert kinds == {
        Municipality.Kind.PREFECTURE: 47,
        Municipality.Kind.DESIGNATED_CITY: 20,
        Municipality.Kind.CITY: 772,
        Municipality.Kind.TOWN: 743,
        Municipality.Kind.VILLAGE: 183,
        Municipality.Kind.SPECIAL_WARD: 23,
        Municipality.Kind.WARD: 175,
    }
    chuo = Municipality.objects.get(code="011011")
    assert (chuo.name, chuo.kana, chuo.kind) == ("札幌市中央区", "さっぽろしちゅうおうく", "ward")
    assert chuo.parent.name == "札幌市"
    assert chuo.parent.kind == Municipality.Kind.DESIGNATED_CITY
    assert str(chuo) == "北海道札幌市中央区"
    assert Municipality.objects.get(code="131016").kind == Municipality.Kind.SPECIAL_WARD
    hokkaido = Municipality.objects.get(code="010006")
    assert (hokkaido.kind, str(hokkaido)) == (Municipality.Kind.PREFECTURE, "北海道")
    assert Prefecture.objects.get(code="01").name_en == "Hokkaido"


def test_a_second_import_changes_nothing():
    import_all()
    before = list(Municipality.objects.values_list("code", "name", "kind", "parent_id"))
    output = import_all()
    assert "0 added, 0 updated" in output
    assert list(Municipality.objects.values_list("code", "name", "kind", "parent_id")) == before


def test_an_invalid_code_stops_the_import_with_its_line(tmp_path, settings):
    source = settings.BASE_DIR / "fixtures" / "municipalities"
    (tmp_path / "prefjp-utf8.csv").write_bytes((source / "prefjp-utf8.csv").read_bytes())
    lines = (source / "localgovjp-utf8.csv").read_text(encoding="utf-8-sig").splitlines()
    lines[3] = lines[3].replace(",011029", ",011020")
    (tmp_path / "localgovjp-utf8.csv").write_text("\n".join(lines), encoding="utf-8")
    with translation.override("ja"), pytest.raises(CommandError, match="4 行目: 011020"):
        call_command("import_municipalities", dir=tmp_path, stdout=StringIO())
    assert Municipality.objects.count() == 0  # nothing half-imported


def test_a_missing_file_is_reported(tmp_path):
    with pytest.raises(CommandError, match=r"prefjp-utf8\.csv"):
        call_command("import_municipalities", dir=tmp_path, stdout=StringIO())
