"""kill -9 a real `helploop run` at the worst moments; after a restart every request is answered exactly once.

The child is the console script in HTTP mode (waitress), configured only through its environment,
driven by signed requests (SlackSim) and talking to a fake Web API (LocalSlack) in this process.
HELPLOOP_PAUSE_AT freezes it at a named failpoint ("helploop: paused at <name>" on stderr) so the
SIGKILL lands exactly there. "Exactly one" counts the calls LocalSlack answered ok.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

import pytest
from sqlalchemy import Engine, func, select

from bot.words import Status
from kb import load_kb
from localslack.sender import SlackSim
from localslack.webapi import Call, LocalSlack, render_message
from storage.engine import make_engine, make_sessions
from storage.models import Delivery, DeliveryState, InboxItem, InboxState, Request
from tests.process import SIGNING_SECRET, Children, HelploopProcess, children
from wiring.settings import EXAMPLE_KB_DIR

ASKER, ASKER_DM = "U0HLEMP", "D0HLEMP"        # asks what the KB answers
OTHER, OTHER_DM = "U0HLEMP2", "D0HLEMP2"      # asks what it cannot answer
IT_TRIAGE = "C0HLITTRIAGE"                    # kb/example/departments.yaml, department `it`
UNANSWERABLE = "The projector in the boardroom makes a weird buzzing sound during calls"
PAUSED = "helploop: paused at "
FAST = {"SWEEP_SECONDS": 0.2, "INBOX_LEASE_SECONDS": 2, "SCHEDULER_TICK_SECONDS": 1, "KB_RELOAD_SECONDS": 60,
        "SLACK_TIMEOUT_SECONDS": 1, "DELIVERY_LEASE_SECONDS": 1}  # a dead sender's rows come back after 6 s
T = TypeVar("T")


@pytest.fixture(scope="module")
def answerable() -> str:
    """A phrasing the example KB answers (and the precondition that the other one is escalated)."""
    kb = load_kb(EXAMPLE_KB_DIR)
    unanswerable = kb.match(UNANSWERABLE)
    assert unanswerable.entry is None and not unanswerable.choices, "the KB must neither answer nor offer"
    text = kb.entries["it-printer"].questions[0]
    assert kb.match(text).entry is not None
    return text


@dataclass
class Crash:
    """What a scenario drives (the children, Slack's side) and inspects (the database, Slack's record)."""

    slack: LocalSlack
    group: Children
    database_url: str
    _engine: Engine | None = None

    def sim(self, child: HelploopProcess) -> SlackSim:
        return SlackSim(child.url, SIGNING_SECRET, response_urls=self.slack.response_url)

    # --- the database (opened lazily: the first child migrates it) ---------------------------
    def _sessions(self):
        if self._engine is None:
            self._engine = make_engine(self.database_url)
        return make_sessions(self._engine)

    def requests(self) -> list[Request]:
        with self._sessions().begin() as session:
            return list(session.scalars(select(Request).order_by(Request.id)))

    def request(self, channel: str) -> Request:
        [request] = [r for r in self.requests() if r.channel_id == channel]
        return request

    def inbox(self) -> dict[str, int]:
        with self._sessions().begin() as session:
            return dict(session.execute(select(InboxItem.state, func.count()).group_by(InboxItem.state)).all())

    def deliveries(self) -> list[Delivery]:
        with self._sessions().begin() as session:
            return list(session.scalars(select(Delivery).order_by(Delivery.id)))

    def settled(self) -> bool:
        """Nothing stored is waiting: every inbox item processed, every delivery finished."""
        unfinished = {DeliveryState.PENDING, DeliveryState.SENDING}
        return set(self.inbox()) <= {InboxState.DONE} and not any(d.state in unfinished for d in self.deliveries())

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()

    # --- Slack's record ----------------------------------------------------------------------
    def posts(self, channel: str) -> list[Call]:
        """chat.postMessage calls to `channel` that Slack accepted."""
        return [c for c in self.slack.calls("chat.postMessage")
                if c.ok and (c.response.get("channel") or c.args.get("channel")) == channel]


@pytest.fixture
def crash(database_url: str, tmp_path) -> Iterator[Crash]:
    with LocalSlack() as slack, children(slack.base_url, database_url, tmp_path, **FAST) as group:
        state = Crash(slack, group, database_url)
        try:
            yield state
        finally:
            state.close()


def eventually(probe: Callable[[], T], what: str, timeout: float = 20.0) -> T:
    """Poll `probe` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout}s: {what}")
        time.sleep(0.05)


def text(call: Call) -> str:
    return "\n".join(render_message(call.args))


def ask_both(sim: SlackSim, answerable: str) -> None:
    for user, channel, question in ((ASKER, ASKER_DM, answerable), (OTHER, OTHER_DM, UNANSWERABLE)):
        response = sim.message(user, question, channel)
        assert response.status == 200, response.body  # acknowledged: Slack will not send it again


def assert_each_sent_once(crash: Crash, child: HelploopProcess) -> tuple[Call, Call, Call]:
    """Once everything settled: one answer, one escalation notice, one triage post; nothing else posted."""
    eventually(crash.settled, f"inbox and outbox settled; child output:\n{child.output}")
    [answer] = crash.posts(ASKER_DM)
    assert "[That solved it]" in text(answer)
    assert_clean(child)
    [notice] = crash.posts(OTHER_DM)
    assert "passed your request to *IT*" in text(notice)
    [triage] = crash.posts(IT_TRIAGE)
    assert UNANSWERABLE in text(triage) and "[Claim]" in text(triage)
    assert len([c for c in crash.slack.calls("chat.postMessage") if c.ok]) == 3
    answered, escalated = crash.request(ASKER_DM), crash.request(OTHER_DM)
    assert answered.status == Status.ANSWERED and answered.answer_ts == answer.response["ts"]
    assert escalated.status == Status.ESCALATED
    assert (escalated.triage_channel, escalated.triage_ts) == (IT_TRIAGE, triage.response["ts"])
    assert len(crash.requests()) == 2
    assert_clean(child)
    return answer, notice, triage


def assert_clean(child: HelploopProcess) -> None:
    """The restarted process took up the dead one's work without an error."""
    errors = [line for line in child.output.splitlines()  # slack_sdk logs a client timeout as ERROR itself
              if "Traceback" in line or (" ERROR " in line and "slack_sdk" not in line)]
    assert errors == [], child.output


def test_kill_between_the_ack_and_the_commit_loses_nothing_and_sends_once(crash, answerable):
    child = crash.group.start(HELPLOOP_PAUSE_AT="before_process")
    ask_both(crash.sim(child), answerable)
    child.wait_for_stderr(PAUSED + "before_process", count=2)
    child.kill9()

    assert crash.requests() == []                      # nothing was decided...
    assert crash.inbox() == {InboxState.PROCESSING: 2}  # ...but both questions are stored
    assert crash.slack.messages() == []

    child = crash.group.restart(child, HELPLOOP_PAUSE_AT=None)
    assert_each_sent_once(crash, child)


def test_kill_between_the_commit_and_the_send_sends_each_message_once(crash, answerable):
    child = crash.group.start(HELPLOOP_PAUSE_AT="before_send")
    ask_both(crash.sim(child), answerable)
    child.wait_for_stderr(PAUSED + "before_send", count=3)  # answer, notice, triage: three lanes
    child.kill9()

    assert {r.channel_id: r.status for r in crash.requests()} == {ASKER_DM: Status.ANSWERED,
                                                                  OTHER_DM: Status.ESCALATED}
    assert crash.request(ASKER_DM).answer_ts is None and crash.request(OTHER_DM).triage_ts is None
    assert crash.slack.calls("chat.postMessage") == []

    child = crash.group.restart(child, HELPLOOP_PAUSE_AT=None)
    assert_each_sent_once(crash, child)


def test_a_slack_retry_across_a_restart_makes_one_request_and_one_answer(crash, answerable):
    child = crash.group.start(HELPLOOP_PAUSE_AT="before_process")
    sim = crash.sim(child)
    first = sim.message(ASKER, answerable, ASKER_DM)
    assert first.status == 200
    child.wait_for_stderr(PAUSED + "before_process")
    child.kill9()

    child = crash.group.restart(child, HELPLOOP_PAUSE_AT=None)
    retry = sim.event(first.payload, retry_num=1, retry_reason="http_timeout")  # same event_id, same ts
    assert retry.status == 200
    eventually(crash.settled, "inbox and outbox settled")
    again = sim.event(first.payload, retry_num=2, retry_reason="http_timeout")  # after it was answered
    assert again.status == 200

    eventually(crash.settled, "inbox and outbox settled")
    assert sum(crash.inbox().values()) == 1
    [request] = crash.requests()
    [answer] = crash.posts(ASKER_DM)
    assert "[That solved it]" in text(answer) and request.answer_ts == answer.response["ts"]
    assert len([c for c in crash.slack.calls("chat.postMessage") if c.ok]) == 1
    assert_clean(child)


def test_a_post_that_lands_after_the_client_timeout_is_not_sent_twice(crash, answerable):
    child = crash.group.start(SLACK_TIMEOUT_SECONDS=1)
    crash.slack.slow("chat.postMessage", 2.5)  # takes effect at once, answers after the client gave up
    assert crash.sim(child).message(ASKER, answerable, ASKER_DM).status == 200

    child.wait_for_stderr("failed, try 1")  # the dispatcher saw the timeout; it tries again after 5 s
    request = eventually(lambda: next((r for r in crash.requests() if r.answer_ts), None),
                         f"answer_ts recorded; child output:\n{child.output}")
    eventually(crash.settled, "inbox and outbox settled")
    [answer] = crash.posts(ASKER_DM)
    assert len(crash.slack.calls("chat.postMessage")) == 1  # looked up by its metadata, not posted again
    assert crash.slack.calls("conversations.history")
    assert request.answer_ts == answer.response["ts"]
    assert "[That solved it]" in text(answer)
    assert_clean(child)


def test_kill_after_slack_took_the_post_but_before_it_was_recorded_does_not_post_again(crash, answerable):
    child = crash.group.start(SLACK_TIMEOUT_SECONDS=5)
    crash.slack.slow("chat.postMessage", 8)  # the answer lands; Slack's reply is still on its way...
    assert crash.sim(child).message(ASKER, answerable, ASKER_DM).status == 200
    crash.slack.wait_for("chat.postMessage", timeout=10)
    child.kill9()  # ...when the process dies: the delivery row still says SENDING

    assert [d.state for d in crash.deliveries()] == [DeliveryState.SENDING]
    child = crash.group.restart(child)
    eventually(crash.settled, f"inbox and outbox settled; child output:\n{child.output}")
    [answer] = crash.posts(ASKER_DM)
    assert len(crash.slack.calls("chat.postMessage")) == 1
    assert crash.request(ASKER_DM).answer_ts == answer.response["ts"]
    assert_clean(child)
