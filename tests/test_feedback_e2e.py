"""Feedback from employees, end to end: signed requests into the real app, a fake Slack Web API over HTTP."""
from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from handlers.action_ids import ActionId, CallbackId
from storage import feedback_queries as fq
from tests.flows import (EMPLOYEE, EMPLOYEE_DM, IT_STAFF, claimed, click, escalate, reload, resolved, text_of,
                         wait_call, wait_recorded)
from tests.harness import running
from wiring.settings import EXAMPLE_KB_DIR

WHISTLER, WHISTLER_DM = "U0HLWHISTLE", "D0PRIVATE7"  # a DM id that does not spell the user's id
HR_TRIAGE, HR_STAFF = "C0HLHRTRIAGE", "U0HLMAGDA"


def confirmed_request(h):
    """An escalated request claimed and resolved by IT, asked about a day later, and confirmed fixed."""
    request = resolved(h, claimed(h, escalate(h)))
    h.advance(hours=24, minutes=1)
    request = wait_recorded(h, request.id, "followup_ts")
    mark = click(h, EMPLOYEE, ActionId.FIXED_YES, request, EMPLOYEE_DM, request.followup_ts)
    wait_call(h, mark, "chat.update", EMPLOYEE_DM, "Thanks for confirming")
    prompt = wait_call(h, mark, "chat.postMessage", EMPLOYEE_DM, "How would you rate")
    return reload(h, request.id), prompt, mark


def test_after_yes_one_click_rates_and_a_comment_can_follow(sqlite_url):
    with running(sqlite_url) as h:
        request, prompt, _ = confirmed_request(h)
        shown = text_of(prompt)
        assert "[1 · poor]" in shown and "[5 · great]" in shown and "[Add a comment]" in shown

        mark = len(h.slack.calls())
        h.sim.block_action(EMPLOYEE, f"{ActionId.RATE}.4", f"{request.id}|4", EMPLOYEE_DM, None)
        thanks = wait_call(h, mark, "chat.update", EMPLOYEE_DM, "You rated it 4/5")
        assert "[Add a comment]" in text_of(thanks)

        mark = click(h, EMPLOYEE, ActionId.COMMENT, request, EMPLOYEE_DM, None)
        form = wait_call(h, mark, "views.open")
        assert form.args["view"]["callback_id"] == CallbackId.COMMENT
        values = {"comment": {"value": {"type": "plain_text_input", "value": "Anna explained it <!channel> well"}}}
        assert h.sim.view_submission(EMPLOYEE, str(CallbackId.COMMENT), values,
                                     private_metadata=str(request.id)).status == 200
        done = wait_call(h, mark, "chat.update", EMPLOYEE_DM, "Thanks for your comment too")
        assert "[Add a comment]" not in text_of(done)

        with h.app.sessions.begin() as session:
            survey = fq.survey_of(session, request.id)
            assert (survey.score, survey.comment, survey.staff_id) == (4, "Anna explained it <!channel> well",
                                                                       IT_STAFF[0])
            [summary] = fq.rating_summary(session, by_staff=True)
        assert (summary.department_id, summary.staff_id, summary.count, summary.mean) == ("it", IT_STAFF[0], 1, 4.0)


def test_someone_else_cannot_rate_the_request(sqlite_url):
    with running(sqlite_url) as h:
        request, _, _ = confirmed_request(h)
        mark = len(h.slack.calls())
        h.sim.block_action(IT_STAFF[0], f"{ActionId.RATE}.5", f"{request.id}|5", EMPLOYEE_DM, None)
        refusal = wait_call(h, mark, "response_url")
        assert "who asked, can answer this" in text_of(refusal)
        with h.app.sessions.begin() as session:
            assert fq.survey_of(session, request.id).score is None


def test_anonymous_feedback_leaves_no_trace_of_who_sent_it(database_url, caplog):
    caplog.set_level(logging.INFO)
    for package in ("bot", "handlers", "storage", "wiring", "kb"):
        caplog.set_level(logging.DEBUG, logger=package)
    with running(database_url) as h:
        h.slack.add_user(WHISTLER, dm=WHISTLER_DM)
        mark = len(h.slack.calls())
        assert h.sim.slash_command(WHISTLER, "/helploop", "feedback it", "C0HLGENERAL").status == 200
        form = wait_call(h, mark, "views.open")
        assert form.args["view"]["callback_id"] == CallbackId.FEEDBACK
        words = "The VPN answers feel copy-pasted and nobody reads my follow-ups"
        response = h.sim.view_submission(WHISTLER, str(CallbackId.FEEDBACK), _form("it", words, anonymous=True))
        assert response.status == 200 and "cannot be answered" in json.dumps(response.json())
        post = wait_call(h, mark, "chat.postMessage", "C0HLITTRIAGE", "copy-pasted")
        assert "Anonymous feedback" in text_of(post)
        h.app.inbox.wait_idle()
        h.app.dispatcher.run_due()
        with h.app.sessions.begin() as session:
            assert session.execute(text("SELECT anonymous, text FROM department_feedback")).all() == [(True, words)]
        _assert_nowhere(h, WHISTLER, caplog)


def test_named_feedback_is_answered_by_the_department_through_the_relay(sqlite_url):
    with running(sqlite_url) as h:
        h.slack.add_user(EMPLOYEE, dm=EMPLOYEE_DM)
        mark = len(h.slack.calls())
        h.sim.slash_command(EMPLOYEE, "/helploop", "feedback", "C0HLGENERAL")
        wait_call(h, mark, "views.open")
        response = h.sim.view_submission(EMPLOYEE, str(CallbackId.FEEDBACK),
                                         _form("hr", "Payroll questions take a week to get an answer"))
        assert "direct messages" in json.dumps(response.json())
        post = wait_call(h, mark, "chat.postMessage", HR_TRIAGE, "Payroll questions")
        assert "Feedback #" in text_of(post) and f"<@{EMPLOYEE}>" in text_of(post) and "[Claim]" in text_of(post)
        wait_call(h, mark, "chat.postMessage", EMPLOYEE_DM, "it went to *People & HR*")

        with h.app.sessions.begin() as session:
            request_id = session.execute(text("SELECT request_id FROM department_feedback")).scalar_one()
        request = wait_recorded(h, request_id, "triage_ts")
        h.sim.message(HR_STAFF, "Sorry about that. We now answer payroll questions within a day.", HR_TRIAGE,
                      channel_type="channel", thread_ts=request.triage_ts)
        wait_call(h, mark, "chat.postMessage", EMPLOYEE_DM, "within a day")
        h.sim.message(EMPLOYEE, "Great, thank you for listening", EMPLOYEE_DM)
        back = wait_call(h, mark, "chat.postMessage", HR_TRIAGE, "thank you for listening")
        assert back.args.get("thread_ts") == request.triage_ts
        assert reload(h, request.id).claimed_by == HR_STAFF  # the reply claimed it, as for any request


def _kb_with_it_feedback(kb_dir: Path, feedback: str) -> Path:
    """kb/example copied to `kb_dir` with IT's `feedback:` settings."""
    shutil.copytree(EXAMPLE_KB_DIR, kb_dir)
    departments = kb_dir / "departments.yaml"
    text_ = departments.read_text()
    changed = text_.replace("    name: IT\n", f"    name: IT\n    feedback: {feedback}\n", 1)
    assert changed != text_
    departments.write_text(changed)
    return kb_dir


@pytest.fixture
def recheck_kb(tmp_path) -> Path:
    """kb/example with IT re-checking fixes after 7 days."""
    return _kb_with_it_feedback(tmp_path / "kb", "{recheck_days: 7}")


@pytest.fixture
def pulse_kb(tmp_path) -> Path:
    """kb/example with IT running a weekly pulse of two people (Mondays 10:00 in Warsaw)."""
    return _kb_with_it_feedback(tmp_path / "kb", "{pulse_days: 7, pulse_sample: 2}")


def test_is_it_still_fixed_no_reopens_it_with_the_same_person(sqlite_url, recheck_kb):
    with running(sqlite_url, kb_dir=recheck_kb) as h:
        request, _, _ = confirmed_request(h)
        assert h.advance(days=6, hours=23) == 0
        mark = len(h.slack.calls())
        assert h.advance(hours=1) == 1
        question = wait_call(h, mark, "chat.postMessage", EMPLOYEE_DM, "Is it still fixed?")
        assert "[No, it's broken again]" in text_of(question)
        mark = click(h, EMPLOYEE, ActionId.NOT_FIXED, request, EMPLOYEE_DM, None)
        wait_call(h, mark, "chat.update", EMPLOYEE_DM, f"told <@{IT_STAFF[0]}>")
        told = wait_call(h, mark, "chat.postMessage", "C0HLITTRIAGE", "is not fixed")
        assert f"<@{IT_STAFF[0]}>" in text_of(told) and told.args.get("thread_ts") == request.triage_ts
        wait_call(h, mark, "chat.postMessage", EMPLOYEE_DM, "What is still wrong?")
        row = reload(h, request.id)
        assert (row.status, row.claimed_by, row.reopen_count) == ("reopened", IT_STAFF[0], 1)


def test_a_pulse_question_is_answered_in_one_click(sqlite_url, pulse_kb):
    with running(sqlite_url, kb_dir=pulse_kb) as h:
        escalate(h)  # Monday 10:30 in Warsaw: the first weekly pulse is next Monday 10:00
        mark = len(h.slack.calls())
        h.advance(days=6, hours=23)
        assert not [c for c in h.slack.calls()[mark:] if "how happy are you" in text_of(c)]
        h.advance(hours=1)
        question = wait_call(h, mark, "chat.postMessage", EMPLOYEE, "how happy are you")
        with h.app.sessions.begin() as session:  # one named, non-staff person asked IT something lately
            survey_id = session.execute(text("SELECT id FROM surveys WHERE kind = 'pulse'")).scalar_one()
        assert f"{survey_id}|5" in json.dumps(question.args["blocks"])
        h.sim.block_action(EMPLOYEE, f"{ActionId.PULSE}.5", f"{survey_id}|5", EMPLOYEE_DM, None)
        wait_call(h, mark, "response_url", contains="You rated *IT* 5/5")
        with h.app.sessions.begin() as session:
            [summary] = fq.rating_summary(session, kinds=(fq.PULSE,))
        assert (summary.department_id, summary.count, summary.mean) == ("it", 1, 5.0)
        h.advance(days=6)
        with h.app.sessions.begin() as session:  # not again this week; the next one is planned
            assert session.execute(text("SELECT count(*) FROM surveys WHERE kind = 'pulse'")).scalar_one() == 1
            assert session.execute(text("SELECT state FROM timers WHERE kind = 'pulse' ORDER BY due_at")
                                   ).scalars().all() == ["done", "pending"]


def _form(department: str, words: str, anonymous: bool = False) -> dict:
    chosen = [{"text": {"type": "plain_text", "text": "Send anonymously"}, "value": "anonymous"}] if anonymous else []
    return {"department": {"value": {"type": "static_select", "selected_option": {
                "text": {"type": "plain_text", "text": department}, "value": department}}},
            "text": {"value": {"type": "plain_text_input", "value": words}},
            "anonymous": {"value": {"type": "checkboxes", "selected_options": chosen}}}


def _assert_nowhere(h, user_id: str, caplog) -> None:
    """The author's id (any case) is in no table's row, no Slack call and no log line."""
    needle = user_id.lower()
    with h.app.engine.connect() as connection:
        tables = inspect(connection).get_table_names()
        assert "department_feedback" in tables and "inbox" in tables
        for table in tables:
            for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                assert needle not in json.dumps([str(v) for v in row]).lower(), (table, row)
    for call in h.slack.calls():
        assert needle not in json.dumps(call.args).lower(), call
    assert not [r for r in caplog.records if needle in r.getMessage().lower()]
