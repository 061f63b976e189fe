"""The weekly digest's pure parts: when it is due, its week, who is thanked, what it says, and its chart."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.digest import Week, build_digest, next_due, thanked, week_before
from bot.measures import COUNTS, TIMINGS, Breach, Figures, Report, Timing
from handlers.digest_blocks import SlackDigestMessages, digest_message, digest_upload
from handlers.digest_chart import render_chart
from kb import KbError, load_kb
from storage.feedback_queries import RatingSummary
from storage.measure_queries import Selection
from tests.digest_support import kb_with_digests

ANNA, PIOTR, MINH = "U0HLANNA", "U0HLPIOTR", "U0HLMINH"
WEEK = Week(datetime(2026, 11, 22, 23, tzinfo=UTC), datetime(2026, 11, 29, 23, tzinfo=UTC), date(2026, 11, 23),
            date(2026, 11, 29))


@pytest.fixture(scope="module")
def departments(tmp_path_factory):
    folder = tmp_path_factory.mktemp("digest") / "kb"
    return load_kb(kb_with_digests(folder, {"it": "{}", "facilities": '{weekday: fri, time: "16:30"}'})).departments


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_due_at_the_local_time_of_the_department_across_a_dst_change(departments):
    it, facilities = departments["it"], departments["facilities"]
    assert next_due(it, utc(2026, 10, 16, 12)) == utc(2026, 10, 19, 7)   # Monday 09:00 CEST
    assert next_due(it, utc(2026, 10, 19, 7)) == utc(2026, 10, 26, 8)    # strictly after; 09:00 CET after the change
    assert next_due(facilities, utc(2026, 11, 23, 9)) == utc(2026, 11, 27, 9, 30)  # Friday 16:30 in Ho Chi Minh City
    assert departments["hr"].digest is None  # off unless configured


def test_the_week_is_the_seven_local_days_before_the_digest_day(departments):
    week = week_before(departments["it"], utc(2026, 10, 26, 8))
    assert (week.first_day, week.last_day) == (date(2026, 10, 19), date(2026, 10, 25))
    assert (week.since, week.until) == (utc(2026, 10, 18, 22), utc(2026, 10, 25, 23))  # 169 hours: DST ended


def test_digest_settings_are_checked_like_the_rest_of_departments_yaml(tmp_path):
    with pytest.raises(KbError, match=r"digest: unknown field 'hour'"):
        load_kb(kb_with_digests(tmp_path / "a", {"it": '{weekday: monday, hour: "09:00"}'}))
    with pytest.raises(KbError, match="weekday"):
        load_kb(kb_with_digests(tmp_path / "b", {"it": "{weekday: someday}"}))
    settings = load_kb(kb_with_digests(tmp_path / "c", {"it": "{}"})).departments["it"].digest
    assert (settings.weekday, settings.time.isoformat(), settings.min_ratings) == (0, "09:00:00", 3)


def rated(staff: str | None, count: int, mean: float) -> RatingSummary:
    return RatingSummary("it", staff, None, count, mean)


def test_thanks_go_to_the_best_mean_among_staff_with_enough_ratings():
    rows = [rated(ANNA, 3, 4.5), rated(PIOTR, 2, 5.0), rated(MINH, 4, 4.5), rated(None, 9, 5.0)]
    assert thanked(rows, 3) == (MINH, ANNA)  # Piotr's two ratings are too few; ties: most ratings first
    assert thanked(rows, 2) == (PIOTR,)
    assert thanked([rated(ANNA, 5, 3.9)], 3) == ()  # below 4: no thank-you


def figures(key: str, requests: int = 0, first_response: float | None = None, ratings: dict | None = None,
            **counts: int) -> Figures:
    timing = {name: Timing(0, None, None, None, None) for name in TIMINGS}
    timing["first_response"] = Timing(1, first_response, first_response, first_response, first_response)
    return Figures(key, {**dict.fromkeys(COUNTS, 0), "requests": requests, **counts}, timing, ratings or {})


def report(departments) -> Report:
    it = figures("it", 6, 2700, {5: 2, 4: 1}, self_served=2, escalated=3, staff_closed=2, one_touch=1,
                 staff_resolved=2)
    days = [figures("2026-11-22", 1, None, self_served=1), figures("2026-11-23", 3, 1800, self_served=1, escalated=2),
            figures("2026-11-25", 2, 3600, escalated=1)]
    targets = {"it": {"first_response": 1800.0, "handling": 86400.0, "one_touch": 0.6, "rating": 4.5}}
    breaches = [Breach("it", "first_response", 2700, 1800, True), Breach("it", "one_touch", 0.5, 0.6, False)]
    return Report(Selection(WEEK.since, WEEK.until, "it", "day"), it, [it], days, [], [], [], targets, breaches)


def test_build_digest_takes_the_figures_of_the_report(departments):
    digest = build_digest(departments["it"], report(departments), [rated(ANNA, 3, 5.0)], WEEK)
    assert (digest.requests, digest.self_served, digest.self_service_rate, digest.rating_count) == (6, 2, 1 / 3, 3)
    assert {m.name: (m.value, m.target, m.breached) for m in digest.measures} == {
        "first_response": (2700, 1800, True), "handling": (None, 86400, False), "one_touch": (0.5, 0.6, True),
        "reopen": (0.0, None, False), "rating": (14 / 3, 4.5, False)}
    assert digest.thanks == (ANNA,) and digest.channel == "C0HLITTRIAGE"
    # UTC days: the Sunday-evening hour before the first Warsaw midnight is counted with Monday
    assert [(d.day, d.self_served, d.escalated, d.other, d.first_response_hours) for d in digest.days] == [
        ("2026-11-23", 2, 2, 0, 0.5), ("2026-11-24", 0, 0, 0, None), ("2026-11-25", 0, 1, 1, 1.0),
        ("2026-11-26", 0, 0, 0, None), ("2026-11-27", 0, 0, 0, None), ("2026-11-28", 0, 0, 0, None),
        ("2026-11-29", 0, 0, 0, None)]


def test_the_message_shows_figures_against_targets_breaches_and_thanks(departments):
    text, blocks = digest_message(build_digest(departments["it"], report(departments), [rated(ANNA, 3, 5.0)], WEEK))
    assert text == "Weekly digest for IT, 2026-11-23 to 2026-11-29: 6 requests"
    fields = [f["text"] for f in blocks[1]["fields"]]
    assert fields == ["*Requests*\n6", "*Confirmed self-service*\n2 (33%)",
                      "*First human response (median)*\n:warning: 45 min · target at most 30 min",
                      "*Handling time (median)*\nn/a · target at most 1 d 0 h",
                      "*Solved at the first contact*\n:warning: 50% · target at least 60%",
                      "*Reopened*\n0%", "*Rating*\n:white_check_mark: 4.67/5 (n = 3) · target at least 4.50/5"]
    assert blocks[2]["text"]["text"] == ("*Standards not met*\n• First human response (median): 45 min (target at most "
                                         "30 min)\n• Solved at the first contact: 50% (target at least 60%)")
    assert blocks[3]["text"]["text"] == ":clap: Thank you <@U0HLANNA>: your help was rated highest this week."


def test_the_message_is_in_the_staff_language_and_escapes_the_department_name(departments):
    it = departments["it"].model_copy(update={"language": "vi", "name": "IT <!channel>"})
    text, blocks = digest_message(build_digest(it, report(departments), [], WEEK))
    assert "<!channel>" not in str(blocks) and "&lt;!channel&gt;" in text
    assert text.startswith("Tổng kết tuần của IT &lt;!channel&gt;, từ 2026-11-23 đến 2026-11-29")
    assert "Weekly digest" not in text and "Thank you" not in str(blocks)


def test_a_quiet_week_has_no_chart_and_a_busy_one_carries_the_chart_data(departments):
    quiet = build_digest(departments["hr"], Report(Selection(), figures("all"), [], [], [], [], [], {}), [], WEEK)
    assert digest_upload(quiet) is None
    text, blocks = digest_message(quiet)
    assert "standard" not in str(blocks)  # a report without targets: nothing is held against one
    upload = SlackDigestMessages().digest_chart(build_digest(departments["it"], report(departments), [], WEEK))
    assert upload.method == "files.uploadV2" and upload.args["channel"] == "C0HLITTRIAGE"
    assert upload.args["name"] == "helploop-digest-it-2026-11-23" and upload.args["chart"]["target_hours"] == 0.5
    assert upload.args["chart"]["escalated"] == [2, 0, 1, 0, 0, 0, 0]


def test_the_chart_is_a_png(departments):
    upload = digest_upload(build_digest(departments["it"], report(departments), [], WEEK))
    png = render_chart(upload.args["chart"])
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5000
    no_response = {**upload.args["chart"], "first_response_hours": [None] * 7, "target_hours": None}
    assert render_chart(no_response).startswith(b"\x89PNG")

