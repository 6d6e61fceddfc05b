from datetime import UTC, datetime

from django.template import Context, Template
from django.utils.formats import date_format
from django.utils.translation import override

from accounts.times import LONG, SHORT, _formatted, local_time, zone_label


def test_the_repeated_hour_when_daylight_saving_ends_carries_each_instants_own_zone():
    first = datetime(2026, 11, 1, 6, 30, tzinfo=UTC)
    second = datetime(2026, 11, 1, 7, 30, tzinfo=UTC)
    assert local_time(first, "America/Chicago") == "Nov 1, 2026, 1:30 AM CDT"
    assert local_time(second, "America/Chicago") == "Nov 1, 2026, 1:30 AM CST"


def test_a_zone_known_only_by_its_offset_is_labelled_with_the_offset():
    at = datetime(2026, 11, 1, 6, 30, tzinfo=UTC)
    assert zone_label(at, "America/Sao_Paulo") == "UTC-03:00"
    assert zone_label(at, "UTC") == "UTC"


def test_the_template_filter_labels_the_time_in_the_given_zone_or_the_active_one():
    at = datetime(2026, 3, 8, 8, 0, tzinfo=UTC)
    rendered = Template(
        "{% load times tz %}{{ at|local_time:'America/Toronto' }} | "
        "{% timezone 'America/Chicago' %}{{ at|local_time_short }}{% endtimezone %}"
    ).render(Context({"at": at}))
    assert rendered == "Mar 8, 2026, 4:00 AM EDT | Mar 8, 3:00 AM CDT"


def test_the_two_formats_read_as_djangos_date_format_writes_them():
    instants = [
        datetime(2026, month, day, hour, minute)
        for month, day, hour, minute in (
            (1, 1, 0, 0),
            (3, 8, 11, 59),
            (6, 15, 12, 0),
            (9, 30, 13, 5),
            (12, 31, 23, 59),
        )
    ]
    for language in ("en", "fr"):
        with override(language):
            for at in instants:
                for fmt in (LONG, SHORT):
                    assert _formatted(at, fmt) == date_format(at, fmt)
