import csv

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError

from people.codes import check_digit, is_valid_code, validate_local_government_code
from people.models import Municipality

FIXTURE = settings.BASE_DIR / "fixtures" / "municipalities" / "localgovjp-utf8.csv"


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("011002", "札幌市"),
        ("010006", "北海道"),
        ("082201", "つくば市"),
        ("131016", "千代田区"),
        ("472051", "宜野湾市"),
        ("032077", "久慈市"),
    ],
)
def test_real_codes_are_valid(code, name):
    assert is_valid_code(code), name
    validate_local_government_code(code)


@pytest.mark.parametrize("code", ["011003", "010007", "082200", "131010"])
def test_a_wrong_check_digit_is_rejected_with_the_expected_digit(code):
    assert not is_valid_code(code)
    with pytest.raises(ValidationError) as excinfo:
        validate_local_government_code(code)
    error = excinfo.value.error_list[0]
    assert error.code == "check_digit"
    assert error.params["digit"] == check_digit(code[:5])


@pytest.mark.parametrize("code", ["", "01100", "0110020", "01100a", "０１１００２", None])
def test_malformed_codes_are_rejected(code):
    assert not is_valid_code(code)
    with pytest.raises(ValidationError) as excinfo:
        validate_local_government_code(code)
    assert excinfo.value.error_list[0].code == "format"


def test_check_digit_arithmetic_including_the_remainder_edge_cases():
    # 11 - (sum mod 11), keeping the last digit: a remainder of 0 gives 1, of 1 gives 0.
    assert check_digit("01100") == 2  # 0*6+1*5+1*4+0*3+0*2 = 9 → 11-9 = 2
    assert check_digit("00000") == 1  # remainder 0 → 11 → 1
    assert check_digit("20000") == 0  # 2*6 = 12, remainder 1 → 10 → 0
    assert check_digit("00001") == 9  # 1*2 = 2 → 9


def test_every_code_in_the_national_list_is_valid():
    with FIXTURE.open(encoding="utf-8-sig") as handle:
        codes = [row["lgcode"] for row in csv.DictReader(handle)]
    assert len(codes) == 1916
    assert [code for code in codes if not is_valid_code(code)] == []


@pytest.mark.django_db
def test_the_model_rejects_an_invalid_code():
    from tests.factories import PrefectureFactory

    municipality = Municipality(
        code="131010",
        name="千代田区",
        kana="ちよだく",
        prefecture=PrefectureFactory(),
        kind=Municipality.Kind.SPECIAL_WARD,
    )
    with pytest.raises(ValidationError) as excinfo:
        municipality.full_clean()
    assert "code" in excinfo.value.message_dict
    municipality.code = "131016"
    municipality.full_clean()
