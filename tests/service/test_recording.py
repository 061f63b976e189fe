"""The recording Messages routes every write exactly as the Slack edge does, so the outbox treats both alike."""
from __future__ import annotations

import dataclasses
import inspect
from datetime import UTC, datetime

import pytest

from bot.delivery import DeliveryError, Outgoing
from bot.messages import Messages, Notice, Posted
from bot.records import EscalationStep, HistoryLine, PastCase, RequestView, Said, Spike, Transfer
from handlers.messages import SlackMessages
from tests.service.recording import RecordingMessages, RecordingTransport, what

AT = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
VIEW = RequestView(
    id=7, channel_id="C0HLGENERAL", message_ts="1764000000.000100", reply_thread_ts="1764000000.000100",
    user_id="U0HLEMP", source="mention", text="my laptop is on fire", department_id="it", department_name="IT",
    triage_channel="C0HLITTRIAGE", status="claimed", resolution=None, kb_entry_id=None, oncall_user_id="U0HLMINH",
    claimed_by="U0HLANNA", reopen_count=0, answer_ts=None, triage_ts="1764000000.000200", followup_channel=None,
    followup_ts=None, created_at=AT, resolved_at=None, answer_text="Turn it off and on.")
DM = dataclasses.replace(VIEW, channel_id="D0HLEMP", reply_thread_ts=None, source="dm")
COMMAND = dataclasses.replace(DM, source="command")
NO_TRIAGE = dataclasses.replace(VIEW, triage_channel=None)
UNCLAIMED = dataclasses.replace(VIEW, claimed_by=None, status="escalated")
ANSWERED = dataclasses.replace(VIEW, status="answered", kb_entry_id="it-vpn-password-reset")
MOVE = Transfer("IT", "Finance", "U0HLANNA", "about an invoice", "C0HLITTRIAGE", "1764000000.000200")
MOVE_UNPOSTED = dataclasses.replace(MOVE, old_triage_channel=None, old_triage_ts=None)
STEPS = (EscalationStep(AT, "backup", ("U0HLKASIA",)),)
PAST = PastCase(3, "vpn down", "restarted the gateway", None, "C0HLITTRIAGE", "1764000000.000050", AT)
SAID = Said("C0HLITTRIAGE", "1764000000.000300", "1764000000.000200", "U0HLANNA", "please reboot")

CALLS = [
    ("question_quote", (COMMAND,)),
    ("answer", (VIEW, "Turn it off and on.")),
    ("answer", (DM, "Turn it off and on.")),
    ("choices", (VIEW, [("it-vpn-cannot-connect", "vpn down"), ("it-vpn-password-reset", "vpn password")])),
    ("escalation_notice", (VIEW, None)),
    ("escalation_notice", (DM, AT)),
    ("triage", (VIEW, [HistoryLine(AT, "U0HLEMP", "created", None)])),
    ("triage", (COMMAND, ())),
    ("triage", (NO_TRIAGE, ())),
    ("page", (VIEW, "backup", "U0HLKASIA")),
    ("escalation_status", (VIEW, STEPS, False)),
    ("escalation_status", (VIEW, STEPS, True)),
    ("escalation_status", (NO_TRIAGE, STEPS, False)),
    ("stale_reminder", (VIEW,)),
    ("stale_reminder", (UNCLAIMED,)),
    ("transferred_away", (VIEW, MOVE)),
    ("transferred_away", (VIEW, MOVE_UNPOSTED)),
    ("requester_transferred", (VIEW, MOVE, None)),
    ("followup_question", (VIEW,)),
    ("followup_question", (DM,)),
    *[("notice", (view, notice)) for notice in Notice for view in (VIEW, DM, NO_TRIAGE)],
    *[("refresh", (view, posted)) for posted in Posted for view in (VIEW, ANSWERED, COMMAND)],
    ("relay_to_requester", (VIEW, SAID, 3)),
    ("relay_to_requester", (DM, SAID, 3)),
    ("relay_to_staff", (VIEW, SAID, 4)),
    ("relay_to_staff", (NO_TRIAGE, SAID, 4)),
    ("relay_edited", (VIEW, SAID, 3, "to_requester")),
    ("relay_edited", (VIEW, SAID, 4, "to_staff")),
    ("relay_deleted", (VIEW, 3, "to_requester")),
    ("relay_deleted", (VIEW, 4, "to_staff")),
    ("note_marked", (VIEW, "C0HLITTRIAGE", "1764000000.000300")),
    ("which_request", (DM, 5)),
    ("what_is_wrong", (VIEW,)),
    ("what_is_wrong", (DM,)),
    ("already_on_it", (VIEW, "C0HLGENERAL", "1764000000.000100")),
    ("moved_to_dm", (DM, "C0HLGENERAL", "1764000000.000100")),
    ("related_answer", (VIEW, "Check the VPN client version.")),
    ("related_answer", (DM, "Check the VPN client version.")),
    ("alert", ("C0HLALERTS", "something broke")),
    ("past_cases", (VIEW, [PAST])),
    ("past_cases", (VIEW, [])),
    ("past_cases", (NO_TRIAGE, [PAST])),
    ("spike", ("C0HLALERTS", Spike(7, 5, 120, ("IT",), "vpn down"))),
]


def _routing(write):
    if write is None:
        return None
    return (write.method, write.purpose, write.edit_of, write.thread_of, write.link, write.lane,
            write.args.get("channel"), write.args.get("thread_ts"))


def test_the_calls_cover_every_method_of_the_messages_protocol():
    protocol = {name for name, _ in inspect.getmembers(Messages, inspect.isfunction) if not name.startswith("_")}
    assert len(protocol) == 26
    assert {name for name, _ in CALLS} == protocol


@pytest.mark.parametrize(("name", "args"), CALLS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CALLS)])
def test_recorded_write_is_routed_like_the_slack_one(name, args):
    recorded = getattr(RecordingMessages(), name)(*args)
    assert _routing(recorded) == _routing(getattr(SlackMessages(), name)(*args))


@pytest.mark.parametrize(("name", "args"), [c for c in CALLS if c[0] not in ("alert", "spike")])
def test_recorded_write_says_what_was_asked_about_which_request(name, args):
    recorded = getattr(RecordingMessages(), name)(*args)
    if recorded is not None:
        assert (recorded.args["what"], recorded.args["request"], recorded.args["status"]) == (
            name, args[0].id, args[0].status)
    else:
        assert _routing(getattr(SlackMessages(), name)(*args)) is None


def _outgoing(delivery_id: int, what_: str, method: str = "chat.postMessage") -> Outgoing:
    return Outgoing(delivery_id, method, {"what": what_, "channel": "C1"}, target=("C1", "1.000001")
                    if method == "chat.update" else None, link=None, look_first=False)


def test_transport_fails_as_often_as_told_then_posts_with_fresh_timestamps():
    transport = RecordingTransport()
    transport.fail(what("answer"), "ratelimited", times=2, retry_after=30.0)
    errors = []
    for _ in range(2):
        with pytest.raises(DeliveryError) as caught:
            transport.send(_outgoing(1, "answer"))
        errors.append((caught.value.reason, caught.value.retry_after, caught.value.ambiguous))
    assert errors == [("ratelimited", 30.0, False)] * 2
    assert [transport.send(_outgoing(1, "answer")).ts, transport.send(_outgoing(2, "triage")).ts] == [
        "1800000000.000001", "1800000000.000002"]
    assert transport.send(_outgoing(3, "refresh", "chat.update")).ts == "1.000001"  # an edit stays where it is
    assert [o.id for o in transport.tries(what("answer"))] == [1, 1, 1]
