"""Fuzz the payload parsers with arbitrary nested JSON: they answer None (or a well-typed value), never raise.

Bolt hands the listeners whatever Slack's JSON held; a parser that raises turns a strange (or hostile,
but signed) payload into a failed inbox item and an apology instead of "this is not for me".
"""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.records import Question, Said
from handlers import parse
from handlers.escalation_blocks import transfer_submission
from tests.fuzz.strategies import FUZZ, events, json_objects, json_values, maybe

HELP_CHANNELS = frozenset({"C0HLHELP"})


def well_typed(question: Question | None) -> None:
    """A question the domain can store: ids, ts and text are strings (the columns are text)."""
    if question is None:
        return
    assert isinstance(question, Question)
    for name in ("channel_id", "user_id", "message_ts", "text", "source"):
        assert isinstance(getattr(question, name), str), (name, getattr(question, name))
    assert question.thread_ts is None or isinstance(question.thread_ts, str), question.thread_ts


@FUZZ
@given(event=events | json_objects)
def test_questions_from_events_never_raise(event):
    well_typed(parse.question_from_dm(event))
    well_typed(parse.question_from_mention(event))
    well_typed(parse.question_from_help_channel(event, HELP_CHANNELS))


@FUZZ
@given(message=events | json_objects, channel=st.text(max_size=12), requester=st.text(max_size=12))
def test_a_question_from_an_existing_message_never_raises(message, channel, requester):
    well_typed(parse.question_from_message(channel, message, requester, "shortcut"))


@FUZZ
@given(event=events | json_objects)
def test_conversation_parsers_never_raise(event):
    said = parse.said_of(event)
    if said is not None:
        assert isinstance(said, Said)
        assert all(isinstance(getattr(said, name), str) for name in ("channel_id", "ts", "user_id", "text"))
        parse.is_thread_reply(said)
        if not parse.is_thread_reply(said):
            parse.question_of(said)
    edit = parse.edit_of(event)
    assert edit is None or all(isinstance(part, str) for part in edit)
    deletion = parse.deletion_of(event)
    assert deletion is None or all(isinstance(part, str) for part in deletion)


clicks = st.fixed_dictionaries({}, optional={
    "actions": maybe([{"value": "12|it-printer"}], [{"value": "12"}], [{}], [], [None], [{"value": 12}]),
}) | json_objects


@FUZZ
@given(body=clicks)
def test_button_values_never_raise(body):
    pick = parse.pick_of(body)
    assert pick is None or (isinstance(pick[0], int) and 0 <= pick[0] <= parse.MAX_ID and isinstance(pick[1], str))
    request_id = parse.request_id_of(body)
    assert request_id is None or (isinstance(request_id, int) and 0 <= request_id <= parse.MAX_ID)


@FUZZ
@given(value=json_values)
def test_database_id_takes_anything(value):
    number = parse.database_id(value)
    assert number is None or 0 <= number <= parse.MAX_ID


@FUZZ
@given(text=st.text(max_size=200) | st.sampled_from(["<", "<>", "<|>", "<#|>", "<!|>", "<@U1|", "&amp;lt;"]))
def test_plain_text_never_raises(text):
    out = parse.plain(text)
    assert isinstance(out, str) and "\x00" not in out
    parse.has_words(out)


# A submitted transfer modal, every level of it plausible or anything.
options = maybe({"value": "hr"}, {"value": ""}, {}, None)
submitted_views = st.fixed_dictionaries({}, optional={
    "private_metadata": maybe("12", "", "x", "99999999999"),
    "callback_id": maybe("transfer"),
    "state": maybe(None) | st.fixed_dictionaries({}, optional={
        "values": maybe(None) | st.fixed_dictionaries({}, optional={
            "department": maybe(None) | st.fixed_dictionaries({}, optional={
                "value": maybe(None) | st.fixed_dictionaries({}, optional={"selected_option": options})}),
            "note": maybe(None) | st.fixed_dictionaries({}, optional={
                "value": maybe(None) | st.fixed_dictionaries({}, optional={"value": maybe("thanks", "")})}),
        })}),
}) | json_objects


@FUZZ
@given(view=submitted_views)
def test_a_transfer_submission_never_raises(view):
    request_id, department, note = transfer_submission(view)
    assert request_id is None or 0 <= request_id <= parse.MAX_ID
    assert department is None or isinstance(department, str)
    assert note is None or isinstance(note, str)
