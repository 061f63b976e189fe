"""Every measure on a constructed history (tests/history.py), with exact values, on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.measures import Figures, compute_report
from bot.rollup import refresh_rollup
from bot.working_time import calendar, working_seconds
from kb import Department, KbError, load_kb
from kb.schedule import WorkingHours
from kb.standards import Standards, duration_seconds
from storage.engine import make_engine, make_sessions
from storage.measure_queries import Selection
from storage.migrate import upgrade
from storage.models import Survey
from tests.history import ANNA, MAGDA, PIOTR, PRINTER, VPN, WIFI, at, history, insert_history

EXAMPLE = Path(__file__).resolve().parent.parent / "kb" / "example"
NOW = at(30, 18)


@pytest.fixture(params=["live", "rolled up"])
def report_of(database_url, request):
    engine = make_engine(database_url)
    upgrade(engine)
    sessions = make_sessions(engine)
    with sessions.begin() as session:
        ids = insert_history(session, history())
        for request_id, department, staff, score in ((ids[1], "it", ANNA, 5), (ids[5], "hr", MAGDA, 4)):
            session.add(Survey(kind="rating", request_id=request_id, department_id=department, staff_id=staff,
                               user_id="U0HLEMP", sampled=True, asked_at=NOW, score=score, answered_at=NOW))
    departments = load_kb(EXAMPLE).departments
    if request.param == "rolled up":  # the worker's rollup gives the very same figures as computing every day now
        assert refresh_rollup(sessions, departments, NOW) > 0

    def report(**selection):
        return compute_report(sessions, departments, Selection(**selection), NOW)

    yield report
    engine.dispose()


def by_key(figures: list[Figures]) -> dict[str, Figures]:
    return {f.key: f for f in figures}


def test_counts_per_department(report_of):
    it = by_key(report_of().departments)["it"]
    assert it.counts == {
        "requests": 7, "offered": 4, "self_served": 1, "false_answer": 2, "answer_expired": 1, "escalated": 5,
        "staff_resolved": 3, "staff_closed": 2, "confirmed": 1, "unconfirmed": 1, "one_touch": 1, "reopened": 1,
        "transferred": 1, "bounced": 0, "transfers": 1, "unclaimed": 2, "open": 3}
    assert it.rates == {"self_service": 1 / 7, "false_answer": 2 / 4, "one_touch": 1 / 2, "reopen": 1 / 3,
                        "unconfirmed": 1 / 2}


def test_time_to_first_human_response_ignores_the_bot_and_counts_working_time(report_of):
    it = by_key(report_of().departments)["it"].timings["first_response"]
    # #2 30 min after "I still need help", #3 Friday 17:30 -> Monday 09:15 Warsaw, #4 1h45; the KB answers
    # (#1, #7) are no response at all; #5 and #8 have had none yet.
    assert it.n == 3
    assert (it.median, it.p90) == (6300, 184860)               # wall clock: 1800, 6300, 229500
    assert (it.median_working, it.p90_working) == (1800, 5400)  # working time: 900 (15 min), 1800, 6300


def test_claim_handling_and_resolve_times(report_of):
    it = by_key(report_of().departments)["it"].timings
    assert (it["claim"].median, it["claim"].median_working, it["claim"].p90_working) == (1800, 900, 1620)
    # #4's handling: 30 min with Anna + 1 h with Piotr + 1 h after the reopen; the wait for the verdict is not work
    assert (it["handling"].n, it["handling"].median, it["handling"].p90) == (3, 3600, 7920)
    assert (it["resolve"].median, it["resolve"].median_working, it["resolve"].p90_working) == (18000, 4500, 15300)


def test_a_department_without_working_hours_counts_wall_time(report_of):
    hr = by_key(report_of().departments)["hr"]
    assert hr.counts["requests"] == 1 and hr.counts["one_touch"] == 1
    # resolved without writing: the resolution is the first human response
    assert {k: (t.median, t.median_working) for k, t in hr.timings.items()} == {
        "first_response": (2100, 2100), "claim": (300, 300), "handling": (1800, 1800), "resolve": (2100, 2100)}


def test_overall_medians_are_of_all_requests_not_of_departments(report_of):
    overall = report_of().overall
    assert overall.counts["requests"] == 8 and overall.counts["one_touch"] == 2
    assert overall.timings["first_response"].median_working == 1950  # 900, 1800, 2100, 6300


def test_ratings_mean_and_distribution(report_of):
    report = report_of()
    departments = by_key(report.departments)
    assert departments["it"].ratings == {5: 1} and departments["it"].rating_mean == 5
    assert departments["hr"].ratings == {4: 1}
    assert report.overall.rating_mean == 4.5


def test_per_staff_member(report_of):
    staff = by_key(report_of().staff)
    assert staff[ANNA].counts["staff_resolved"] == 2 and staff[ANNA].timings["handling"].median == 3300
    assert staff[PIOTR].counts["reopened"] == 1 and staff[PIOTR].timings["handling"].median == 9000
    assert staff[ANNA].ratings == {5: 1}


def test_per_period_and_selection(report_of):
    days = by_key(report_of(period="day").periods)
    assert {k: f.counts["requests"] for k, f in days.items()} == {
        "2026-11-23": 2, "2026-11-24": 1, "2026-11-25": 2, "2026-11-26": 2, "2026-11-27": 1}
    assert [f.key for f in report_of(period="week").periods] == ["2026-11-23"]
    assert [f.key for f in report_of(period="month").periods] == ["2026-11-01"]
    narrow = report_of(since=at(24, 0), until=at(26, 0), department="it")
    assert narrow.overall.counts["requests"] == 2  # #4 and #5 (HR's #6 is not IT's)


def test_per_kb_entry(report_of):
    entries = {f.key: f for f in report_of().entries}
    assert {k: (f.counts["offered"], f.counts["self_served"], f.counts["false_answer"], f.counts["answer_expired"])
            for k, f in entries.items()} == {VPN: (2, 1, 1, 0), WIFI: (1, 0, 0, 1), PRINTER: (1, 0, 1, 0)}
    assert entries[VPN].last_created == at(23, 10)


def test_breaches_against_the_standards(report_of):
    breaches = {(b.department, b.standard): (b.value, b.target) for b in report_of().breaches}
    # IT: one-touch 50% < 60%; first response 30 min working is within 30m; rating 5 >= 4.5. HR: rating 4 < 4.5.
    assert breaches == {("it", "one_touch"): (0.5, 0.6), ("hr", "rating"): (4.0, 4.5)}


def test_an_empty_database_gives_no_figures(database_url):
    engine = make_engine(database_url)
    upgrade(engine)
    report = compute_report(make_sessions(engine), load_kb(EXAMPLE).departments, Selection(), NOW)
    engine.dispose()
    assert report.overall.counts["requests"] == 0 and report.overall.timings["first_response"].median is None
    assert report.departments == [] and report.breaches == []


# --- working time and standards, without a database --------------------------------------------------------------


def _department(hours: str) -> Department:
    base = load_kb(EXAMPLE).departments["it"]
    return base.model_copy(update={"working_hours": WorkingHours(weekdays=[0, 1, 2, 3, 4], hours=hours,
                                                                 holidays=[])})


def test_friday_evening_to_monday_morning_is_fifteen_working_minutes():
    department = _department("09:00-17:00")  # Europe/Warsaw: UTC+1 in November
    asked, answered = datetime(2026, 11, 27, 16, 0, tzinfo=UTC), datetime(2026, 11, 30, 8, 15, tzinfo=UTC)
    assert working_seconds(department, asked, answered) == 15 * 60


def test_the_calendar_gives_the_same_working_time_across_a_dst_change():
    department = _department("09:00-17:00")
    asked, answered = datetime(2026, 3, 27, 15, 0, tzinfo=UTC), datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
    days = {d.day: d for d in calendar([department], asked - timedelta(days=3), answered + timedelta(days=3))}

    def worked(t: datetime) -> int:
        s = int(t.timestamp())
        d = days[s // 86400]
        return d.cum + max(0, min(s, d.c1) - d.o1) + max(0, min(s, d.c2) - d.o2)

    # Friday 16:00-17:00 CET, then Monday (CEST from Sunday) 09:00-10:00: two hours either way
    assert worked(answered) - worked(asked) == working_seconds(department, asked, answered) == 7200


def test_standards_read_durations_and_reject_unknown_keys(tmp_path):
    assert duration_seconds("30m") == 1800 and duration_seconds("1h30m") == 5400 and duration_seconds("1d") == 86400
    assert Standards(first_response="4h", one_touch=0.6).first_response == 14400
    with pytest.raises(ValueError):
        duration_seconds("soon")
    text = (EXAMPLE / "departments.yaml").read_text(encoding="utf-8").replace(
        "standards: {first_response: 4h, rating: 4.5}", "standards: {first_respons: 4h, rating: 7}")
    for path in EXAMPLE.glob("*.yaml"):
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "departments.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(KbError) as error:
        load_kb(tmp_path)
    message = str(error.value)
    assert "standards: unknown field 'first_respons' (did you mean 'first_response'?)" in message
    assert "rating" in message
