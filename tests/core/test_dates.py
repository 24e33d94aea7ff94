"""core.dates: days and times in the site's time zone (Japan), whatever the server's clock."""

from datetime import UTC, datetime
from unittest import mock

from django.utils import timezone

from core import dates


def test_today_is_the_day_in_japan_not_in_utc(settings):
    settings.TIME_ZONE = "Asia/Tokyo"
    # 16:30 UTC on 31 March is 01:30 on 1 April in Japan.
    late_evening_utc = datetime(2027, 3, 31, 16, 30, tzinfo=UTC)
    with mock.patch.object(timezone, "now", return_value=late_evening_utc):
        assert dates.today().isoformat() == "2027-04-01"
    with (
        timezone.override("UTC"),
        mock.patch.object(timezone, "now", return_value=late_evening_utc),
    ):
        assert dates.today().isoformat() == "2027-04-01"  # the active zone does not matter
