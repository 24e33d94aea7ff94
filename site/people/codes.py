"""全国地方公共団体コード (JIS X 0401 / X 0402): five digits plus a check digit."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

CODE_PATTERN = re.compile(r"^[0-9]{6}$")
WEIGHTS = (6, 5, 4, 3, 2)


def check_digit(first_five: str) -> int:
    """The check digit of a five-digit code: 11 minus (weighted sum mod 11), last digit only."""
    total = sum(int(digit) * weight for digit, weight in zip(first_five, WEIGHTS, strict=True))
    return (11 - total % 11) % 10


def is_valid_code(code: str) -> bool:
    return bool(CODE_PATTERN.match(code or "")) and check_digit(code[:5]) == int(code[5])


def validate_local_government_code(value: str) -> None:
    if not CODE_PATTERN.match(value or ""):
        raise ValidationError(
            _("A local government code has six digits."), code="format", params={"value": value}
        )
    if check_digit(value[:5]) != int(value[5]):
        raise ValidationError(
            _(
                "%(value)s is not a valid local government code: "
                "its check digit should be %(digit)s."
            ),
            code="check_digit",
            params={"value": value, "digit": check_digit(value[:5])},
        )
