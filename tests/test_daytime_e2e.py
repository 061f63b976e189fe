"""The requester's daytime, end to end: signed Slack requests into the real app, users.info answered by the local
fake Slack with each person's time zone; a follow-up due at night in the requester's zone comes the next morning."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from localslack.webapi import LocalSlack
from tests.flows import UNANSWERABLE, claimed, request_for, resolved, text_of, wait_call, wait_recorded
from tests.harness import START, running

ROSA, ROSA_DM = "U0HLLAROSA", "D0HLLAROSA"  # in Los Angeles: START (Monday 09:30 UTC) is 01:30 there
MINH, MINH_DM = "U0HLHNMINH", "D0HLHNMINH"  # in Hanoi: 16:30 there
ROSA_TUESDAY_NINE = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)


@pytest.fixture
def h(sqlite_url):
    with LocalSlack() as slack:
        slack.add_user(ROSA, "Rosa Díaz", tz="America/Los_Angeles", locale="en-US")
        slack.add_user(MINH, "Minh Tran", tz="Asia/Ho_Chi_Minh", locale="en-US")
        with running(sqlite_url, slack=slack) as harness:
            yield harness


def resolved_request(h, user: str, dm: str):
    response = h.sim.message(user, UNANSWERABLE, dm)
    assert response.status == 200, response.body
    request = wait_recorded(h, request_for(h, dm, response.ts).id, "triage_ts")
    return resolved(h, claimed(h, request))


def followups_to(h, dm: str) -> list[str]:
    return [c.args["channel"] for c in h.slack.calls("chat.postMessage")
            if c.args.get("channel") == dm and "really fixed?" in str(c.args.get("text"))]


def test_a_followup_due_at_night_in_the_requesters_zone_is_sent_the_next_morning(h):
    rosa = resolved_request(h, ROSA, ROSA_DM)   # resolved at START; IT asks 24 h later
    minh = resolved_request(h, MINH, MINH_DM)
    assert rosa.resolved_at == minh.resolved_at == START

    mark = len(h.slack.calls())
    assert h.advance(hours=24, minutes=1) == 1  # Tuesday 16:31 in Hanoi: Minh is asked
    wait_call(h, mark, "chat.postMessage", MINH_DM, "really fixed?")
    assert followups_to(h, ROSA_DM) == []  # Tuesday 01:31 in Los Angeles: Rosa is not woken

    assert h.advance(hours=7, minutes=28) == 0  # 08:59 there
    assert followups_to(h, ROSA_DM) == []
    mark = len(h.slack.calls())
    assert h.advance(minutes=1) == 1  # 09:00 there
    question = wait_call(h, mark, "chat.postMessage", ROSA_DM, "really fixed?")
    assert "[Yes, it's fixed]" in text_of(question) and "[No, still broken]" in text_of(question)
    assert h.clock.now() == ROSA_TUESDAY_NINE
    assert len(followups_to(h, ROSA_DM)) == 1 and len(followups_to(h, MINH_DM)) == 1
