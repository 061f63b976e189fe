"""The weekly digest end to end: the real app over HTTP, the fake Slack Web API, the outbox and a chart upload."""
from __future__ import annotations

from datetime import UTC, datetime

from handlers.action_ids import ActionId
from tests.digest_support import kb_with_digests
from tests.flows import (EMPLOYEE, EMPLOYEE_DM, IT_STAFF, IT_TRIAGE, claimed, click, escalate, reload, resolved,
                         text_of, wait_call, wait_recorded)
from tests.harness import Harness, running

PNG = b"\x89PNG\r\n\x1a\n"
DUE = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # Monday 09:00 in Warsaw


def rated_request(h: Harness, score: int) -> None:
    """An escalated request Anna claims and resolves, confirmed fixed a day later and rated."""
    request = resolved(h, claimed(h, escalate(h)))
    h.advance(hours=24, minutes=1)
    request = wait_recorded(h, request.id, "followup_ts")
    mark = click(h, EMPLOYEE, ActionId.FIXED_YES, request, EMPLOYEE_DM, request.followup_ts)
    wait_call(h, mark, "chat.postMessage", EMPLOYEE_DM, "How would you rate")
    h.sim.block_action(EMPLOYEE, f"{ActionId.RATE}.{score}", f"{request.id}|{score}", EMPLOYEE_DM, None)
    wait_call(h, mark, "chat.update", EMPLOYEE_DM, f"You rated it {score}/5")
    assert reload(h, request.id).status == "closed"


def until_due(h: Harness) -> int:
    mark = len(h.slack.calls())
    h.advance(seconds=(DUE - h.clock.now()).total_seconds())
    return mark


def test_the_digest_is_posted_to_the_triage_channel_with_its_chart(sqlite_url, tmp_path):
    kb = kb_with_digests(tmp_path / "kb", {"it": '{weekday: monday, time: "09:00", min_ratings: 1}'})
    with running(sqlite_url, kb_dir=kb) as h:
        h.advance(seconds=1)  # a tick plans the digest
        rated_request(h, 5)
        mark = until_due(h)

        posted = wait_call(h, mark, "chat.postMessage", IT_TRIAGE, "Weekly digest for IT")
        shown = text_of(posted)
        assert shown.startswith("*Weekly digest for IT, 2026-11-23 to 2026-11-29*")
        assert "*Requests*\n1\n" in shown
        assert "*Confirmed self-service*\n0 (0%)" in shown
        assert "*Rating*\n:white_check_mark: 5.00/5 (n = 1) · target at least 4.50/5" in shown
        assert "*Handling time (median)*\n:white_check_mark: " in shown and "0 min · target at most 1 d 0 h\n" in shown
        assert f":clap: Thank you <@{IT_STAFF[0]}>: your help was rated highest this week." in shown
        assert "helploop report --department it" in shown

        wait_call(h, mark, "files.completeUploadExternal")
        [chart] = h.slack.files(IT_TRIAGE)
        assert chart["content"].startswith(PNG) and len(chart["content"]) > 5000
        assert chart["title"] == "IT: requests and first response, 2026-11-23 to 2026-11-29"
        assert chart["name"].startswith("helploop-digest-it-2026-11-23-") and chart["mimetype"] == "image/png"

        h.advance(hours=1)
        assert len([c for c in h.slack.calls("chat.postMessage") if "Weekly digest" in text_of(c)]) == 1


def test_an_upload_whose_answer_timed_out_is_found_and_not_shared_twice(sqlite_url, tmp_path):
    kb = kb_with_digests(tmp_path / "kb", {"it": "{}"})  # Monday 09:00 by default
    with running(sqlite_url, kb_dir=kb, slack_timeout_seconds=1) as h:
        h.advance(seconds=1)
        escalate(h)
        h.slack.slow("files.completeUploadExternal", 2.5)  # shared at once, answered after the client gave up
        mark = until_due(h)
        wait_call(h, mark, "files.completeUploadExternal")
        h.advance(seconds=30)  # the retry looks among the channel's files first
        wait_call(h, mark, "files.list")
        h.advance(seconds=30)
        assert len(h.slack.files(IT_TRIAGE)) == 1
        assert len(h.slack.calls("files.getUploadURLExternal")) == 1
