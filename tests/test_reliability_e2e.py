"""What must hold under pressure: concurrent clicks, restarts, a slow Slack; SQLite and PostgreSQL."""
from __future__ import annotations

import threading

from bot.clock import ManualClock
from localslack.webapi import LocalSlack
from handlers.action_ids import ActionId
from storage import delivery_queries
from bot.words import Status
from tests.flows import (UNANSWERABLE, EMPLOYEE, EMPLOYEE_DM, IT_STAFF, IT_TRIAGE, claimed, escalate, kb_phrasing, reload,
                         request_for, resolved, text_of, wait_call)
from tests.harness import START, running


def test_two_concurrent_claims_have_exactly_one_winner(database_url):
    with running(database_url) as h:
        request = escalate(h)
        barrier = threading.Barrier(2)
        statuses: list[int] = []

        def click(user: str) -> None:
            barrier.wait()
            statuses.append(h.sim.block_action(user, str(ActionId.CLAIM), str(request.id), IT_TRIAGE,
                                               request.triage_ts).status)

        threads = [threading.Thread(target=click, args=(user,)) for user in IT_STAFF]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert statuses == [200, 200]
        loser_notice = wait_call(h, 0, "response_url", contains="already claimed by")
        winner = reload(h, request.id).claimed_by
        assert winner in IT_STAFF and f"<@{winner}>" in text_of(loser_notice)
        told = wait_call(h, 0, "chat.postMessage", EMPLOYEE_DM, "is on it")
        assert f"<@{winner}>" in text_of(told)
        assert len([c for c in h.slack.calls("chat.postMessage") if "is on it" in text_of(c)]) == 1
        assert len(h.slack.calls("response_url")) == 1


def test_follow_up_scheduled_before_a_restart_is_sent_exactly_once_after_it(database_url):
    clock = ManualClock(START)
    with LocalSlack() as slack:
        with running(database_url, slack=slack, clock=clock) as h:
            request = resolved(h, claimed(h, escalate(h)))
        # The bot process is gone; a new one (and a second replica) start on the same database.
        with running(database_url, slack=slack, clock=clock) as first, \
                running(database_url, slack=slack, clock=clock) as second:
            mark = len(slack.calls())
            clock.advance(__import__("datetime").timedelta(hours=24, minutes=1))
            results: list[int] = []
            workers = [threading.Thread(target=lambda app=app: results.append(app.app.timers.run_due()))
                       for app in (first, second, first)]
            for w in workers:
                w.start()
            for w in workers:
                w.join()
            for replica in (first, second):
                replica.app.dispatcher.run_due()
            assert sorted(results) == [0, 0, 1]
            asked = [c for c in slack.calls()[mark:] if "really fixed?" in text_of(c)]
            assert len(asked) == 1 and asked[0].args["channel"] == EMPLOYEE_DM
            assert reload(first, request.id).followup_ts == asked[0].response["ts"]


def test_slack_gets_its_answer_within_3_seconds_while_the_web_api_hangs(sqlite_url):
    with running(sqlite_url) as h:
        gate = h.slack.gate("chat.postMessage")
        h.sim.timeout = 3.0  # urllib raises if the app takes longer than Slack would wait
        try:
            for n in range(12):  # a burst of questions, every reply stuck inside the Web API call...
                other = h.sim.message(f"U0HLE{n:03d}", kb_phrasing(h, "it-vpn-password-reset"), f"D0HLE{n:03d}")
                assert other.status == 200
            response = h.sim.message(EMPLOYEE, kb_phrasing(h, "it-printer"), EMPLOYEE_DM)
            assert response.status == 200
            assert gate.wait_arrived(13, timeout=5)
            assert h.slack.calls("chat.postMessage") == []  # ...and Slack already had its answers
            request = request_for(h, EMPLOYEE_DM, response.ts)
            click = h.sim.block_action(EMPLOYEE, str(ActionId.SOLVED), str(request.id), EMPLOYEE_DM, None)
            assert click.status == 200
        finally:
            gate.release()
        wait_call(h, 0, "chat.postMessage", EMPLOYEE_DM)


def test_a_failed_triage_post_is_retried_so_the_request_is_not_lost(sqlite_url):
    with running(sqlite_url) as h:
        h.slack.fail("chat.postMessage", error="channel_not_found", times=2)  # notice and triage post fail
        response = h.sim.message(EMPLOYEE, UNANSWERABLE, EMPLOYEE_DM)
        request = request_for(h, EMPLOYEE_DM, response.ts)
        h.slack.wait_for(lambda c: c.method == "chat.postMessage" and not c.ok, count=2)
        assert _eventually(lambda: _unsent_purposes(h, request.id) == {"triage", None})
        assert reload(h, request.id).triage_ts is None
        mark = len(h.slack.calls())
        h.advance(minutes=2)
        triage = wait_call(h, mark, "chat.postMessage", request.triage_channel or IT_TRIAGE, "[Claim]")
        wait_call(h, mark, "chat.postMessage", EMPLOYEE_DM, "passed your request")
        assert reload(h, request.id).triage_ts == triage.response["ts"]
        assert reload(h, request.id).status == Status.ESCALATED
        assert len([c for c in h.slack.calls("chat.postMessage") if c.ok]) == 2  # each exactly once


def _unsent_purposes(h, request_id: int) -> set[str | None]:
    with h.app.sessions.begin() as session:
        return {d.purpose for d in delivery_queries.deliveries_of(session, request_id, ["pending", "sending"])}


def _eventually(condition, timeout: float = 5.0) -> bool:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def test_a_failed_kb_answer_is_sent_again(sqlite_url):
    with running(sqlite_url) as h:
        h.slack.fail("chat.postMessage", error="internal_error", times=1)
        response = h.sim.message(EMPLOYEE, kb_phrasing(h, "it-printer"), EMPLOYEE_DM)
        request = request_for(h, EMPLOYEE_DM, response.ts)
        h.slack.wait_for(lambda c: c.method == "chat.postMessage" and not c.ok)
        assert _eventually(lambda: _unsent_purposes(h, request.id) == {"answer"})
        mark = len(h.slack.calls())
        h.advance(minutes=2)
        answer = wait_call(h, mark, "chat.postMessage", EMPLOYEE_DM, "[That solved it]")
        assert reload(h, request.id).answer_ts == answer.response["ts"]


def test_when_the_database_is_broken_the_employee_is_told_to_try_again(sqlite_url):
    from sqlalchemy import text

    with running(sqlite_url) as h:
        with h.app.engine.begin() as conn:  # an operator's mistake: a table is gone
            conn.execute(text("ALTER TABLE requests RENAME TO requests_gone"))
        assert h.sim.message(EMPLOYEE, kb_phrasing(h, "it-printer"), EMPLOYEE_DM).status == 200
        sorry = wait_call(h, 0, "chat.postMessage", EMPLOYEE_DM, "Please send it again")
        assert "problem on my side" in text_of(sorry)
