"""The EHR's time zone, configured (`DOSECHECK_HTTP_TIME_ZONE`): its dates without a time are days there (session 23).

Unknown, a date alone is read at whichever end of UTC-12..UTC+14 is the safer for each use; an order dated tomorrow
then counts as begun from 10:00 UTC (tomorrow at UTC+14 is already today), so a quizartinib draft beside an active
order dated tomorrow was no start, and QTcF 460 ms "monitor", not "do not start" (Vanflyta boxed warning: do not
initiate above 450 ms), for most of a working day in the Americas, all day at UTC-11. Configured, tomorrow there is
tomorrow.
"""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Iterator

import pytest

from service.settings import usable_settings
from tests.cds_hooks import examples
from tests.cds_hooks.conftest import Served, start_serve, stop_serve
from tests.cds_hooks.test_hooks import SIGN, cards

ZONE = "Pacific/Pago_Pago"
"""UTC-11, all year: tomorrow there is never after today at UTC+14, so unconfigured it always counted as begun."""


@pytest.fixture(scope="module")
def zoned_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DOSECHECK_HTTP_TIME_ZONE", ZONE)
        served = start_serve(tmp_path_factory.mktemp("zoned"))
    yield served
    stop_serve(served)


@pytest.fixture(scope="module")
def east_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DOSECHECK_HTTP_TIME_ZONE", "Pacific/Kiritimati")  # UTC+14
        served = start_serve(tmp_path_factory.mktemp("east"))
    yield served
    stop_serve(served)


def site_day(after: int) -> str:
    """The EHR's date, `after` days from today there."""
    return (datetime.datetime.now(zoneinfo.ZoneInfo(ZONE)).date() + datetime.timedelta(days=after)).isoformat()


def quizartinib_beside_a_listed_order_from(zoned_server: Served, start: str) -> dict[str, str]:
    body = examples.call("order-sign", [examples.order("q1", "quizartinib", 35.4)],
                         [examples.order("a1", "quizartinib", 35.4, status="active", start=start)], qtc_ms=460)
    [card] = cards(zoned_server, SIGN, body)
    return card


def test_a_listed_order_dated_tomorrow_there_is_not_begun_whatever_the_hour(zoned_server: Served) -> None:
    card = quizartinib_beside_a_listed_order_from(zoned_server, site_day(1))
    assert (card["summary"], card["indicator"]) == ("Quizartinib: do not start (QTc 460 ms on 2026-01-02)",
                                                    "critical"), card["summary"]
    assert f"MedicationRequest/a1 (active, from {site_day(1)})" in card["detail"], card["detail"]


def test_a_listed_order_dated_today_there_is_the_course_under_way(zoned_server: Served) -> None:
    # Guard: from today there it is taken; the draft beside it is no start (nor its limit for starting).
    card = quizartinib_beside_a_listed_order_from(zoned_server, site_day(0))
    assert "do not start" not in card["summary"], card["summary"]
    assert "Listed but not given yet" not in card["detail"], card["detail"]


def test_a_time_zone_that_is_none_is_refused_naming_the_setting(monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DOSECHECK_HTTP_TIME_ZONE", "Europe/Pariss")
    with pytest.raises(SystemExit) as stopped:
        usable_settings()
    assert stopped.value.code == 2
    assert "http_time_zone" in capsys.readouterr().err


def test_a_stop_sent_in_utc_is_not_a_day_older_in_the_ehr_s_zone(east_server: Served) -> None:
    # Review revU (must-fix 1): the day of the check became the EHR's (UTC+14) while stop dates stay as sent, so
    # posaconazole stopped 60 hours ago, sent as Z, was 3 days old and its 3-day washout passed: venetoclax went back
    # to 400 mg. Days since a stop are counted from UTC-12's date whatever the zone: 2 days, still counted.
    ended = (datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=60)).strftime("%Y-%m-%dT%H:%M:%SZ")
    posaconazole = examples.order("p0", "posaconazole", 300, status="completed")
    posaconazole["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"] = {"start": "2026-01-01", "end": ended}
    body = examples.call("order-sign", [examples.order("v1", "venetoclax", 400)],
                         [examples.order("v0", "venetoclax", 400, status="active", start="2026-01-01"), posaconazole])
    [card] = cards(east_server, SIGN, body)
    assert card["summary"].startswith("Venetoclax: reduce to 70 mg with posaconazole"), card["summary"]
