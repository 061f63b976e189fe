"""Knowledge capture in the domain: past cases under triage posts, spike alerts, drafts from "Save as answer"."""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import yaml

from bot.capture import Capture, CaptureSettings, gaps
from bot.lifecycle import Lifecycle
from bot.transfer import Transfers
from bot.words import Action, Status
from kb.drafts import load_drafts
from storage import delivery_queries
from tests.service.conftest import ALERTS, ANNA, ANSWERABLE, MONDAY_MORNING

PLOTTER = "the 3D plotter in room 204 prints only blank pages"
PLOTTER_AGAIN = "3d plotter room 204 prints blank pages"
JIRA = ["Jira is down, cannot log in", "is jira down for everyone", "JIRA is down again", "jira is down"]
NOTE = "Replaced the ink cartridge; spares are in the cupboard next to it."


@pytest.fixture
def captured(any_service, tmp_path):
    """The service (on SQLite and PostgreSQL) with knowledge capture on: alerts at 3 people within 2 hours,
    drafts in tmp_path/drafts."""
    service = any_service
    settings = CaptureSettings(admin_channel=ALERTS, spike_people=3, spike_window=timedelta(hours=2),
                               drafts_dir=tmp_path / "drafts")
    service.capture = Capture(service.store, service.outbox, service.say, service.clock, settings)
    service.lifecycle = Lifecycle(service.store, service.outbox, service.say, service.chain, service.clock,
                                  capture=service.capture)
    service.transfers = Transfers(service.store, service.outbox, service.say, service.chain, service.clock,
                                  capture=service.capture)
    return service


def _person(n: int) -> dict[str, str]:
    return {"user": f"U0HLP{n:04d}", "channel": f"D0HLP{n:04d}"}


def _resolve(service, text: str, note: str | None = NOTE, save: bool = False, **who: str):
    view = service.ask(text, **who)
    assert view.status == Status.ESCALATED, f"precondition: kb/example must escalate {text!r}"
    assert service.lifecycle.claim(view.id, ANNA).ok
    outcome = service.lifecycle.resolve(view.id, ANNA, note, None, save_answer=save)
    assert outcome.ok
    return outcome.request


def _alerts(service) -> list[dict]:
    with service.sessions.begin() as session:
        return [json.loads(d.args) for d in delivery_queries.deliveries_of(session) if d.request_id is None]


# --- past cases -------------------------------------------------------------------------------------------------


def test_a_similar_resolved_request_is_shown_under_the_new_triage_post(captured):
    before = _resolve(captured, PLOTTER, **_person(1))
    other = _resolve(captured, "Jira is down, cannot log in", note="Restarted the Jira node.", **_person(2))
    view = captured.ask(PLOTTER_AGAIN, **_person(3))
    writes = captured.writes(view.id)
    assert [w["what"] for w in writes] == ["escalation_notice", "triage", "past_cases"]
    assert writes[-1]["cases"] == [before.id] and other.id not in writes[-1]["cases"]
    with captured.sessions.begin() as session:
        [case] = captured.capture.past_cases(session, view)
    assert (case.id, case.text, case.resolution_note) == (before.id, PLOTTER, NOTE)


def test_no_past_cases_without_a_note_or_once_purged_or_when_nothing_is_alike(captured):
    _resolve(captured, PLOTTER, note=None, **_person(1))
    assert "past_cases" not in captured.said(captured.ask(PLOTTER_AGAIN, **_person(2)).id)
    noted = _resolve(captured, PLOTTER, **_person(3))
    captured.set_status(noted.id, Status.CLOSED, purged_at=MONDAY_MORNING, text="(removed)", resolution_note=None)
    assert "past_cases" not in captured.said(captured.ask(PLOTTER_AGAIN, **_person(4)).id)
    _resolve(captured, PLOTTER, **_person(5))
    assert "past_cases" not in captured.said(captured.ask("JIRA is down again", **_person(6)).id)


def test_at_most_three_past_cases_most_similar_then_most_recent_first(captured):
    resolved = []
    for n in range(5):
        resolved.append(_resolve(captured, PLOTTER, **_person(n)).id)
        captured.clock.advance(timedelta(minutes=1))
    closest = _resolve(captured, PLOTTER_AGAIN, **_person(6)).id  # worded exactly as the new question
    writes = captured.writes(captured.ask(PLOTTER_AGAIN, **_person(9)).id)
    assert writes[-1]["what"] == "past_cases"
    assert writes[-1]["cases"] == [closest, resolved[4], resolved[3]]


def test_a_transferred_request_gets_the_new_departments_past_cases(captured):
    thao = "U0HLTHAO"  # Facilities staff
    first = captured.ask(PLOTTER, **_person(1))
    assert captured.transfers.transfer(first.id, ANNA, "facilities", "the plotter is theirs").ok
    assert captured.lifecycle.claim(first.id, thao).ok
    assert captured.lifecycle.resolve(first.id, thao, NOTE).ok
    second = captured.ask(PLOTTER_AGAIN, **_person(2))
    assert "past_cases" not in captured.said(second.id)  # IT has resolved nothing like it
    mark = len(captured.writes(second.id))
    assert captured.transfers.transfer(second.id, ANNA, "facilities", None).ok
    past = [w for w in captured.writes(second.id, mark) if w["what"] == "past_cases"]
    assert [w["cases"] for w in past] == [[first.id]]


# --- spike alerts ---------------------------------------------------------------------------------------------


def test_many_people_asking_the_same_unanswered_thing_alert_the_admins_once_per_window(captured):
    for n, text in enumerate(JIRA[:2]):
        captured.ask(text, **_person(n))
    assert _alerts(captured) == []
    third = captured.ask(JIRA[2], **_person(2))
    [alert] = _alerts(captured)
    assert (alert["what"], alert["channel"], alert["request"], alert["people"]) == ("spike", ALERTS, third.id, 3)
    assert alert["example"] == JIRA[2] and alert["departments"] == ["IT"]
    assert [a for a, *_ in captured.audit(third.id)][-1] == Action.SPIKE_ALERT
    captured.ask(JIRA[3], **_person(3))   # a fourth person within the window: no second alert
    captured.clock.advance(timedelta(minutes=90))
    captured.ask(JIRA[0], **_person(4))
    assert len(_alerts(captured)) == 1
    captured.clock.advance(timedelta(hours=3))  # a new window: the same thing again alerts again
    for n, text in enumerate(JIRA[:3]):
        captured.ask(text, **_person(10 + n))
    assert [a["people"] for a in _alerts(captured)] == [3, 3]


def test_two_people_crossing_the_threshold_at_the_same_moment_raise_one_alert(captured):
    captured.ask(JIRA[0], **_person(0))
    captured.ask(JIRA[1], **_person(1))
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(lambda n: captured.ask(JIRA[n], **_person(n)), [2, 3]))
    assert [a["people"] for a in _alerts(captured)] in ([3], [4])


def test_one_person_asking_again_and_again_or_answered_questions_do_not_alert(captured):
    for text in JIRA:
        captured.ask(text, **_person(1))
    for n in range(5):
        captured.ask(ANSWERABLE, **_person(20 + n))  # the KB answered these: no gap, no spike
    assert _alerts(captured) == []


def test_no_alert_without_an_admin_channel(captured):
    captured.capture.settings = CaptureSettings(admin_channel=None, spike_people=3)
    for n, text in enumerate(JIRA):
        captured.ask(text, **_person(n))
    assert _alerts(captured) == []


def test_anonymous_wording_is_not_quoted_in_the_alert(captured):
    from tests.service.conftest import question

    for n in range(3):
        q = question(JIRA[n], **_person(n))
        captured.lifecycle.ask(q.__class__(**{**q.__dict__, "anonymous": True}))
    [alert] = _alerts(captured)
    assert alert["people"] == 3 and alert["example"] is None


# --- save as answer ---------------------------------------------------------------------------------------------


def test_save_as_answer_writes_a_draft_that_loads_with_the_kb_schema(captured, example_kb, tmp_path):
    view = _resolve(captured, PLOTTER, save=True, **_person(1))
    path = tmp_path / "drafts" / f"request-{view.id}.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert doc["entries"] == [{"id": f"it-draft-{view.id}", "department": "it", "questions": [PLOTTER],
                               "answer": NOTE}]
    assert doc["cases"] == [{"question": PLOTTER, "expect": f"it-draft-{view.id}"}]
    [draft] = load_drafts(tmp_path / "drafts", example_kb)
    assert draft.ok, draft.errors
    assert f"it-draft-{view.id}" not in example_kb.entries
    assert captured.capture.save_draft(captured.store.load(view.id)) == path  # idempotent: the same file
    assert len(list((tmp_path / "drafts").iterdir())) == 1


def test_no_draft_unless_asked_or_without_a_note(captured, tmp_path):
    _resolve(captured, PLOTTER, **_person(1))
    _resolve(captured, PLOTTER_AGAIN, note=None, save=True, **_person(2))
    assert not (tmp_path / "drafts").exists()


# --- gaps -------------------------------------------------------------------------------------------------------


def test_gaps_group_the_unanswered_questions_by_similarity_most_asked_first(captured):
    for n, text in enumerate(JIRA):
        captured.ask(text, **_person(n))
    captured.ask(PLOTTER, **_person(8))
    captured.ask(PLOTTER_AGAIN, **_person(9))
    captured.ask(PLOTTER_AGAIN, **_person(9))
    captured.ask(ANSWERABLE, **_person(7))
    found = gaps(captured.sessions, since=MONDAY_MORNING - timedelta(days=1))
    assert [(g.department_id, g.count, g.people, g.examples[0]) for g in found] == [
        ("it", 4, 4, JIRA[0]), ("it", 3, 2, PLOTTER)]
    assert found[1].examples == (PLOTTER, PLOTTER_AGAIN)
    assert gaps(captured.sessions, since=MONDAY_MORNING + timedelta(hours=1)) == []
