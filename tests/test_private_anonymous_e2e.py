"""Private departments and anonymous requests, end to end through signed requests and the fake Slack."""
from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from bot.words import Status
from handlers.action_ids import ActionId
from tests.flows import IT_STAFF, IT_TRIAGE, claimed, click, reload, text_of, wait_call, wait_recorded
from tests.harness import running
from wiring.settings import EXAMPLE_KB_DIR

ASKER = "U0HLSECRET"
ASKER_DM = "D0OPAQUE42"  # their DM with the bot: real DM ids do not spell the user's id


@pytest.fixture
def private_hr_kb(tmp_path) -> Path:
    kb_dir = tmp_path / "kb"
    shutil.copytree(EXAMPLE_KB_DIR, kb_dir)
    departments = kb_dir / "departments.yaml"
    departments.write_text(departments.read_text().replace("    name: People & HR\n",
                                                           "    name: People & HR\n    private: true\n"))
    return kb_dir


def test_a_private_departments_question_asked_in_public_moves_to_the_dm(sqlite_url, private_hr_kb):
    with running(sqlite_url, kb_dir=private_hr_kb) as h:
        h.slack.add_user(ASKER, dm=ASKER_DM)
        question = "How many vacation days do I have left this year?"
        asked = h.sim.app_mention(ASKER, f"<@U0HLBOT> {question}", "C0HLGENERAL")
        public = wait_call(h, 0, "chat.postMessage", "C0HLGENERAL", "sent you a direct message")
        assert public.args["thread_ts"] == asked.ts and "vacation" not in text_of(public)
        answer = wait_call(h, 0, "chat.postMessage", ASKER_DM, "[That solved it]")
        assert "thread_ts" not in answer.args
        assert not [c for c in h.slack.calls("chat.postMessage") if c.args.get("channel") == "C0HLGENERAL"
                    and "vacation" in text_of(c)]


def test_an_anonymous_request_hides_who_asked_and_can_still_be_followed(database_url, caplog):
    caplog.set_level(logging.INFO)  # the service's level (third-party loggers stay at WARNING)
    with running(database_url) as h:
        h.slack.add_user(ASKER, dm=ASKER_DM)
        question = "My team lead keeps shouting at the projector in the boardroom"
        assert h.sim.slash_command(ASKER, "/helploop", f"anonymous {question}", "C0HLGENERAL").status == 200
        ack = wait_call(h, 0, "response_url", contains="without your name")
        assert ack.args["response_type"] == "ephemeral"
        triage = wait_call(h, 0, "chat.postMessage", None, "[Claim]")
        assert "an employee" in text_of(triage) and ASKER not in json.dumps(triage.args)
        request = _only_request(h)
        assert request.anonymous and request.user_id == ""
        request = wait_recorded(h, request.id, "triage_ts")

        claimer = h.app.kb.departments[request.department_id].staff[0]
        request = claimed(h, request, claimer)
        mark = len(h.slack.calls())
        h.sim.message(claimer, "Thanks for telling us. Can you say which day it happened?",
                      request.triage_channel, channel_type="channel", thread_ts=request.triage_ts)
        wait_call(h, mark, "chat.postMessage", ASKER_DM, "which day")
        h.sim.message(ASKER, "Last Tuesday", ASKER_DM)  # a top-level DM: part of the open request
        back = wait_call(h, mark, "chat.postMessage", request.triage_channel, "Last Tuesday")
        assert "an employee" in text_of(back) and ASKER not in json.dumps(back.args)

        outsider = click(h, "U0HLNOBODY", ActionId.SOLVED, request, ASKER_DM, None)
        assert ASKER not in text_of(wait_call(h, outsider, "response_url"))
        h.app.inbox.wait_idle()
        h.app.dispatcher.run_due()
        _assert_nowhere(h, ASKER, caplog)


def test_only_the_anonymous_asker_can_answer_their_follow_up(sqlite_url):
    with running(sqlite_url) as h:
        h.slack.add_user(ASKER, dm=ASKER_DM)
        h.sim.slash_command(ASKER, "/helploop", "anonymous The boardroom projector buzzes on every call",
                            "C0HLGENERAL")
        wait_call(h, 0, "chat.postMessage", None, "[Claim]")
        request = wait_recorded(h, _only_request(h).id, "triage_ts")
        if request.department_id != "it":
            pytest.skip("routing changed: this test needs an IT request")
        request = claimed(h, request, IT_STAFF[0])
        from tests.flows import resolve

        resolve(h, IT_STAFF[0], request)
        h.advance(hours=24, minutes=1)
        request = wait_recorded(h, request.id, "followup_ts")
        mark = click(h, ASKER, ActionId.FIXED_YES, request, ASKER_DM, request.followup_ts)
        wait_call(h, mark, "chat.update", ASKER_DM, "Thanks for confirming")
        assert reload(h, request.id).status == Status.CLOSED
        assert IT_TRIAGE  # the triage channel the request went to


def _only_request(h):
    from storage.models import Request

    with h.app.sessions.begin() as session:
        [request] = session.query(Request).all()
        return request


def _assert_nowhere(h, user_id: str, caplog) -> None:
    """The asker's id is in the mapping table and nowhere else: no table, no triage post, no log line."""
    with h.app.engine.connect() as connection:
        for table in inspect(connection).get_table_names():
            if table in ("anonymous_requesters", "alembic_version"):
                continue
            for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                assert user_id not in json.dumps([str(v) for v in row]), (table, row)
    for call in h.slack.calls():
        if str(call.args.get("channel", "")).startswith("C"):
            assert user_id not in json.dumps(call.args), call.args
    assert not [r for r in caplog.records if user_id in r.getMessage()]
