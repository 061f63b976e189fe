"""Knowledge capture end to end: past cases under the triage post, "Save as answer", the spike alert.

Signed requests into the real app, the fake Slack Web API over HTTP; what people would see is asserted.
"""
from __future__ import annotations

import json

import yaml

from tests.flows import (EMPLOYEE, IT_TRIAGE, UNANSWERABLE, claimed, escalate, reload, request_for, resolve,
                         text_of, wait_call, wait_recorded)
from tests.harness import running
from tests.test_cli import helploop

ANNA = "U0HLANNA"
ALERTS = "C0HLALERTS"
SIMILAR = "the boardroom projector is buzzing during calls"
DONE = "Reseated the HDMI cable; the buzzing was a loose ground."
TIP = "Unplug and replug the HDMI cable at the wall plate."


def _ask(h, user: str, text: str):
    """A DM from `user` (a DM channel of their own); the escalated request once its triage post is recorded."""
    channel = "D" + user[1:]
    h.slack.add_user(user, dm=channel)
    response = h.sim.message(user, text, channel)
    assert response.status == 200, response.body
    return wait_recorded(h, request_for(h, channel, response.ts).id, "triage_ts")


def _resolved_with_note(h, request, save_answer: bool = False):
    request = claimed(h, request, ANNA)
    mark = resolve(h, ANNA, request, DONE, TIP, save_answer=save_answer)
    wait_call(h, mark, "chat.postMessage", request.channel_id, "marked your request as resolved")
    return reload(h, request.id)


def test_the_second_person_with_the_same_problem_gets_a_past_case_under_the_triage_post(database_url):
    with running(database_url) as h:
        first = _resolved_with_note(h, escalate(h, UNANSWERABLE))
        mark = len(h.slack.calls())
        second = _ask(h, "U0HLEWA", SIMILAR)
        hint = wait_call(h, mark, "chat.postMessage", IT_TRIAGE, "Similar requests resolved before")
        assert hint.args["thread_ts"] == second.triage_ts  # one reply in the new request's triage thread
        shown = text_of(hint)
        assert f"#{first.id}" in shown and DONE in shown and TIP in shown and "boardroom" in shown
        permalink = f"https://example.slack.com/archives/{first.triage_channel}/p{first.triage_ts.replace('.', '')}"
        assert permalink in json.dumps(hint.args)  # a link to the old triage post, resolved at send time
        assert EMPLOYEE not in json.dumps(hint.args)  # past cases never say who asked


def test_past_cases_of_an_anonymous_request_name_nobody(sqlite_url):
    with running(sqlite_url) as h:
        asker = "U0HLSECRET"
        h.slack.add_user(asker, dm="D0HLSECRET")
        assert h.sim.slash_command(asker, "/helploop", f"anonymous {UNANSWERABLE}", "C0HLGENERAL").status == 200
        triage = wait_call(h, 0, "chat.postMessage", IT_TRIAGE, "[Claim]")
        with h.app.sessions.begin() as session:
            from storage.models import Request
            first_id = session.query(Request.id).one()[0]
        wait_recorded(h, first_id, "triage_ts")
        _resolved_with_note(h, reload(h, first_id))
        mark = len(h.slack.calls())
        _ask(h, "U0HLEWA", SIMILAR)
        hint = wait_call(h, mark, "chat.postMessage", IT_TRIAGE, "Similar requests resolved before")
        assert f"#{first_id}" in text_of(hint) and asker not in json.dumps(hint.args)
        assert asker not in json.dumps(triage.args)


def test_save_as_answer_writes_a_draft_that_kb_check_accepts_and_kb_drafts_lists(sqlite_url, tmp_path):
    drafts = tmp_path / "kb_drafts"
    with running(sqlite_url, kb_drafts_dir=drafts) as h:
        request = _resolved_with_note(h, escalate(h, UNANSWERABLE), save_answer=True)
        path = drafts / f"request-{request.id}.yaml"
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert doc["entries"] == [{"id": f"it-draft-{request.id}", "department": "it",
                                   "questions": [UNANSWERABLE], "answer": TIP}]
        assert doc["cases"] == [{"question": UNANSWERABLE, "expect": f"it-draft-{request.id}"}]
        assert not any(f"it-draft-{request.id}" in e for e in h.app.kb.entries)  # the live KB is untouched
    env = {"KB_DRAFTS_DIR": str(drafts)}
    check = helploop("kb", "check", env=env)
    assert check.returncode == 0, check.stderr
    assert f"drafts: 1 in {drafts}, valid" in check.stdout
    listed = helploop("kb", "drafts", env=env)
    assert listed.returncode == 0, listed.stderr
    assert f"request-{request.id}.yaml" in listed.stdout and f"it-draft-{request.id}" in listed.stdout
    assert "The projector in the boardroom" in listed.stdout and " ok" in listed.stdout


def test_saving_an_answer_without_a_note_is_refused_in_the_form(sqlite_url, tmp_path):
    from handlers.action_ids import ActionId, CallbackId
    from tests.flows import click

    drafts = tmp_path / "kb_drafts"
    with running(sqlite_url, kb_drafts_dir=drafts) as h:
        request = claimed(h, escalate(h, UNANSWERABLE), ANNA)
        wait_call(h, click(h, ANNA, ActionId.RESOLVE, request, request.triage_channel, request.triage_ts),
                  "views.open")
        values = {"save_answer": {"value": {"type": "checkboxes", "selected_options": [{"value": "save_answer"}]}}}
        response = h.sim.view_submission(ANNA, str(CallbackId.RESOLVE), values, private_metadata=str(request.id))
        assert response.status == 200 and json.loads(response.body)["errors"] == {
            "self_help": "To save this as an answer, write how to fix it (or what was done)."}
        h.advance(seconds=1)
        assert reload(h, request.id).status == "claimed" and not drafts.exists()


def test_without_the_checkbox_nothing_is_written(sqlite_url, tmp_path):
    drafts = tmp_path / "kb_drafts"
    with running(sqlite_url, kb_drafts_dir=drafts) as h:
        _resolved_with_note(h, escalate(h, UNANSWERABLE))
    assert not drafts.exists()


def test_many_people_asking_the_same_unanswered_thing_alert_the_admin_channel_once(database_url):
    with running(database_url, admin_channel=ALERTS, spike_people=3) as h:
        for n, text in enumerate(["Jira is down, cannot log in", "is jira down for everyone"]):
            _ask(h, f"U0HLJ{n:04d}", text)
        third = _ask(h, "U0HLJ0002", "JIRA is down again")
        alert = wait_call(h, 0, "chat.postMessage", ALERTS, "3 different people")
        assert "within 2 hours" in text_of(alert) and "JIRA is down again" in text_of(alert)
        assert f"#{third.id}" in text_of(alert) and "IT" in text_of(alert)
        _ask(h, "U0HLJ0003", "jira is down")  # a fourth person, same window: no second alert
        h.advance(minutes=1)
        assert len([c for c in h.slack.calls("chat.postMessage") if c.args.get("channel") == ALERTS]) == 1
