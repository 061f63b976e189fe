"""handlers/parse.py: which Slack payloads become questions, and what a clicked button carries."""
from __future__ import annotations

import pytest

from bot.records import Question
from handlers.parse import (pick_of, question_from_dm, question_from_help_channel, question_from_mention,
                            question_from_message, request_id_of)

BOT, USER, TS, PARENT = "U0HLBOT", "U0EMPLOYEE", "1772442000.000100", "1772441000.000100"
HELP = frozenset({"C0HELP"})


def _dm(**changes) -> dict:
    event = {"type": "message", "channel": "D0EMPLOYEE", "channel_type": "im", "user": USER,
             "text": "  My VPN is down  ", "ts": TS}
    return {k: v for k, v in {**event, **changes}.items() if v is not ...}  # `...` drops a field


def _help(**changes) -> dict:
    return _dm(**{"channel": "C0HELP", "channel_type": "channel", **changes})


def _mention(**changes) -> dict:
    event = {"type": "app_mention", "channel": "C0GENERAL", "user": USER, "text": f"<@{BOT}> my VPN  is down",
             "ts": TS}
    return {k: v for k, v in {**event, **changes}.items() if v is not ...}


# --- direct messages and help channels (both arrive as `message` events) ------------------------------------
def test_a_dm_becomes_a_direct_question_answered_in_the_dm():
    assert question_from_dm(_dm()) == Question(channel_id="D0EMPLOYEE", user_id=USER, message_ts=TS, thread_ts=None,
                                               text="My VPN is down", source="dm", is_direct=True)


def test_a_help_channel_message_becomes_a_question_answered_in_its_thread():
    assert question_from_help_channel(_help(text=f"<@{BOT}>  My VPN\n is down"), HELP) == Question(
        channel_id="C0HELP", user_id=USER, message_ts=TS, thread_ts=None, text="My VPN is down", source="channel",
        is_direct=False)


@pytest.mark.parametrize("event, source", [
    (_dm(), "dm"),
    (_dm(thread_ts=TS), "dm"),                                 # a thread's parent is still the top-level message
    (_help(), "channel"),
    (_help(channel_type="group"), "channel"),                  # a private help channel
    (_help(thread_ts=TS), "channel"),
    (_dm(channel_type="channel"), None),                       # a DM-looking id in an ordinary channel
    (_dm(channel_type="mpim"), None),                          # group DMs are not the bot's
    (_dm(channel_type=...), None),
    (_help(channel="C0RANDOM"), None),                         # not a help channel
    (_dm(subtype="message_changed"), None),                    # edits
    (_help(subtype="channel_join", text=f"<@{USER}> has joined the channel"), None),
    (_dm(subtype="bot_message", bot_id="B0HLBOT"), None),
    (_dm(bot_id="B0OTHER"), None),                             # another app posting as a user
    (_help(bot_id="B0OTHER"), None),
    (_dm(thread_ts=PARENT), None),                             # replies are conversation about a request
    (_help(thread_ts=PARENT), None),
    (_dm(text="   \n "), None),
    (_dm(text=None), None),
    (_help(text=f"<@{BOT}>"), None),                           # nothing left once the mention is gone
    (_dm(user=...), None),
    (_help(ts=...), None),
], ids=["dm", "dm-thread-parent", "help", "help-private", "help-thread-parent", "dm-id-in-channel", "mpim",
        "no-channel-type", "other-channel", "edit", "join", "bot-message", "bot-id", "help-bot-id", "dm-thread-reply",
        "help-thread-reply", "blank", "null-text", "help-only-mention", "no-user", "no-ts"])
def test_which_message_events_become_questions(event, source):
    dm, channel = question_from_dm(event), question_from_help_channel(event, HELP)
    assert not (dm and channel), "one event must never become two questions"
    question = dm or channel  # as the `message` listener does
    assert (question.source if question else None) == source


def test_dm_text_is_kept_as_typed_apart_from_surrounding_whitespace_and_mentions():
    question = question_from_dm(_dm(text=" first\n  second <@U0HLANNA> "))
    assert question is not None and question.text == "first\n  second"


def test_a_dm_without_a_channel_is_ignored_not_an_error():
    assert question_from_dm(_dm(channel=...)) is None


# --- @mentions ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("changes, thread_ts, text", [
    ({}, None, "my VPN is down"),
    ({"thread_ts": PARENT}, PARENT, "my VPN is down"),                            # answered in that thread
    ({"text": f"<@{BOT}|helploop> printer?"}, None, "printer?"),
    ({"text": f"hey <@{BOT}>, printer?"}, None, "hey , printer?"),
    ({"text": f"<@{BOT}> ask <@U0HLANNA> about\nVPN"}, None, "ask about VPN"),    # every mention goes
    ({"text": f"<@{BOT}>"}, None, ""),                                            # listener asks what they need
], ids=["top-level", "in-thread", "labelled-mention", "mid-sentence", "other-mentions", "only-mention"])
def test_mentions_become_questions_without_the_mentions(changes, thread_ts, text):
    assert question_from_mention(_mention(**changes)) == Question(
        channel_id="C0GENERAL", user_id=USER, message_ts=TS, thread_ts=thread_ts, text=text, source="mention",
        is_direct=False)


@pytest.mark.parametrize("changes", [
    {"subtype": "message_changed"}, {"bot_id": "B0OTHER"}, {"user": ...}, {"ts": ...}, {"channel": ...},
], ids=["edit", "bot", "no-user", "no-ts", "no-channel"])
def test_mentions_that_are_ignored(changes):
    assert question_from_mention(_mention(**changes)) is None


# --- a request made from an existing message (shortcut, emoji) ---------------------------------------------
@pytest.mark.parametrize("message, thread_ts", [
    ({"ts": TS, "text": "Printer on fire", "user": "U0OTHER"}, None),
    ({"ts": TS, "thread_ts": TS, "text": "Printer on fire"}, None),                 # the thread's parent
    ({"ts": TS, "thread_ts": PARENT, "text": "Printer on fire"}, PARENT),           # a reply: answer in its thread
    ({"ts": TS, "text": f"<@{BOT}>  Printer\n on fire"}, None),
], ids=["top-level", "thread-parent", "thread-reply", "mention-and-whitespace"])
def test_question_from_message_is_asked_by_the_requester_in_the_message_thread(message, thread_ts):
    question = question_from_message("C0GENERAL", message, "U0REQUESTER", "shortcut")
    assert question == Question(channel_id="C0GENERAL", user_id="U0REQUESTER", message_ts=TS, thread_ts=thread_ts,
                                text="Printer on fire", source="shortcut", is_direct=False)


@pytest.mark.parametrize("message", [
    {"ts": TS, "text": "Deploy finished", "bot_id": "B0CI"},
    {"text": "no ts"},
    {"ts": TS, "text": ""},
    {"ts": TS, "text": f"<@{BOT}> "},
], ids=["bot-message", "no-ts", "empty", "only-mention"])
def test_question_from_message_ignores(message):
    assert question_from_message("C0GENERAL", message, "U0REQUESTER", "emoji") is None


# --- button values ------------------------------------------------------------------------------------------
def _click(*actions) -> dict:
    return {"type": "block_actions", "user": {"id": USER}, "actions": list(actions)}


@pytest.mark.parametrize("body, expected", [
    (_click({"action_id": "helploop.triage.claim", "value": "42"}), 42),
    (_click({"value": "7"}, {"value": "8"}), 7),                     # the clicked (first) action
    (_click({"value": 42}), 42),
    ({}, None),
    ({"actions": None}, None),
    (_click(), None),
    (_click(None), None),
    (_click({"action_id": "helploop.triage.claim"}), None),          # no value
    (_click({"value": ""}), None),
    (_click({"value": "abc"}), None),
    (_click({"value": "12|vpn-reset"}), None),                        # a pick button's value is not a request id
    (_click({"value": "12|"}), None),
], ids=["claim", "first-action", "int-value", "empty-body", "null-actions", "no-actions", "null-action",
        "no-value", "empty-value", "non-numeric", "pick-value", "trailing-pipe"])
def test_request_id_of(body, expected):
    assert request_id_of(body) == expected


@pytest.mark.parametrize("value, expected", [
    ("42|vpn-reset", (42, "vpn-reset")),
    ("42|a|b", (42, "a|b")),                                          # only the first pipe separates
    ("42", None),
    ("|vpn-reset", None),
    ("abc|vpn-reset", None),
    ("", None),
], ids=["pick", "pipe-in-entry", "no-pipe", "no-request", "non-numeric", "empty"])
def test_pick_of(value, expected):
    assert pick_of(_click({"action_id": "helploop.answer.pick.0", "value": value})) == expected


@pytest.mark.parametrize("body", [{}, {"actions": None}, _click(), _click({"action_id": "x"})],
                         ids=["empty-body", "null-actions", "no-actions", "no-value"])
def test_pick_of_malformed_bodies(body):
    assert pick_of(body) is None


def test_pick_of_an_empty_entry_id_is_malformed():
    assert pick_of(_click({"value": "12|"})) is None
