from datetime import UTC, date, datetime

from django.template import Context, Template
from django.utils.translation import override

from accounts.times import DAY_STYLES, LONG, SHORT, _formatted, local_date, local_time, zone_label


def test_the_repeated_hour_when_daylight_saving_ends_carries_each_instants_own_zone():
    first = datetime(2026, 11, 1, 6, 30, tzinfo=UTC)
    second = datetime(2026, 11, 1, 7, 30, tzinfo=UTC)
    assert local_time(first, "America/Chicago") == "Nov 1, 2026, 1:30\u202fAM CDT"
    assert local_time(second, "America/Chicago") == "Nov 1, 2026, 1:30\u202fAM CST"


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
    assert rendered == "Mar 8, 2026, 4:00\u202fAM EDT | Mar 8, 3:00\u202fAM CDT"


def test_times_read_as_each_language_writes_them_with_their_zone():
    at = datetime(2026, 11, 3, 18, 30, tzinfo=UTC)
    written = {}
    for language in ("en", "fr-ca", "es", "de", "pt-br"):
        with override(language):
            written[language] = (
                local_time(at, "America/Toronto"),
                local_time(at, "America/Toronto", SHORT),
            )
    assert written == {
        "en": ("Nov 3, 2026, 1:30\u202fPM EST", "Nov 3, 1:30\u202fPM EST"),
        "fr-ca": ("3 nov. 2026, 13 h 30 HNE", "3 nov., 13 h 30 HNE"),
        "es": ("3 nov 2026, 1:30\u202fp.m. EST", "3 nov, 1:30\u202fp.m. EST"),
        "de": ("3. Nov. 2026, 13:30 EST", "3. Nov., 13:30 EST"),
        "pt-br": ("3 de nov. de 2026 13:30 EST", "3 de nov. 13:30 EST"),
    }


def test_the_repeated_hour_keeps_its_own_zone_name_in_french_too():
    with override("fr-ca"):
        assert zone_label(datetime(2026, 11, 1, 6, 30, tzinfo=UTC), "America/Chicago") == "HAC"
        assert zone_label(datetime(2026, 11, 1, 7, 30, tzinfo=UTC), "America/Chicago") == "HNC"


def test_days_read_in_each_style_of_the_language():
    day = date(2026, 11, 3)
    with override("fr-ca"):
        assert [local_date(day, style) for style in DAY_STYLES] == [
            "3 nov. 2026",
            "mar. 3 nov. 2026",
            "3 nov.",
            "mardi 3 novembre 2026",
        ]
    with override("en"):
        rendered = Template('{% load times %}{{ d|day }} · {{ d|day:"full" }}').render(
            Context({"d": day})
        )
        assert rendered == "Nov 3, 2026 · Tuesday, November 3, 2026"


def test_a_time_is_written_the_same_whether_or_not_its_parts_were_written_before():
    """The day and the clock are kept once written; a cached part never leaks into another
    language or another day."""
    first, later = (
        datetime(2026, 1, 1, 0, 0, tzinfo=UTC),
        datetime(2026, 12, 31, 23, 59, tzinfo=UTC),
    )
    for _ in range(2):
        with override("en"):
            assert _formatted(first, LONG) == "Jan 1, 2026, 12:00\u202fAM"
            assert _formatted(later, SHORT) == "Dec 31, 11:59\u202fPM"
        with override("de"):
            assert _formatted(first, LONG) == "1. Jan. 2026, 00:00"
