"""The one escaping function, input cleaning, and bounds on ids: pure, with hypothesis for the edges."""
from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers import blocks as b
from handlers.escape import clean, mrkdwn
from handlers.parse import database_id, has_words, plain, question_from_dm
from localslack.webapi import render_message
from tests.unit.support import view

HOSTILE = "<!channel> <!here> <@U0BOSS> <https://evil.example|id.example.com> & <#C0GENERAL>"


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def test_hostile_markup_in_a_question_pings_nobody_and_disguises_no_link():
    text, blocks = b.triage_message(view(text=HOSTILE), None)
    raw = text + str(blocks)
    assert "<!channel>" not in raw and "<!here>" not in raw and "<@U0BOSS>" not in raw
    assert "<https://evil.example" not in raw
    assert HOSTILE in "\n".join(render_message({"text": text, "blocks": blocks}))  # shown exactly as typed


@pytest.mark.parametrize("text, cleaned", [
    ("a\x00b", "ab"), ("tab\tand\nline", "tab\tand\nline"), ("bell\x07", "bell"), ("c1\x85x", "c1x"),
    ("invoice\u202etxt.exe", "invoicetxt.exe"), ("\u2066isolated\u2069", "isolated"),
], ids=["nul", "tab-newline-kept", "bell", "c1", "rtl-override", "isolate"])
def test_clean_drops_control_and_bidi_characters(text, cleaned):
    assert clean(text) == cleaned


@pytest.mark.parametrize("raw, typed", [
    ("<@U0HLBOT> printer broken", "printer broken"),
    ("see <#C0HELP|help-it>", "see #help-it"),
    ("<https://vpn.example.com|the VPN page> fails", "the VPN page (https://vpn.example.com) fails"),
    ("<https://vpn.example.com>", "https://vpn.example.com"),
    ("<!here> anyone?", "@here anyone?"),
    ("a &lt;b&gt; &amp; c", "a <b> & c"),
], ids=["mention", "channel", "labelled-link", "bare-link", "special", "entities"])
def test_plain_turns_slack_markup_into_what_was_typed(raw, typed):
    assert plain(raw).strip() == typed


@pytest.mark.parametrize("value, expected", [
    ("12", 12), ("2147483647", 2147483647), ("2147483648", None), ("9" * 25, None), ("-5", None),
    (" 7 ", None), ("1_000", None), ("١٢", None), ("", None), ("12|x", None),
], ids=["ok", "max", "over-int32", "25-digits", "negative", "spaces", "underscore", "arabic-digits", "empty",
        "pipe"])
def test_database_id_accepts_only_plausible_ids(value, expected):
    assert database_id(value) == expected


@pytest.mark.parametrize("text, words", [
    ("printer", True), (":thumbsup: :tada:", False), ("👍🙏", False), ("???", False), ("ok 👍", True),
    ("máy in", True), ("drukarka", True), ("42", True),
])
def test_has_words(text, words):
    assert has_words(text) is words


def test_a_dm_with_a_nul_byte_becomes_a_clean_question():
    question = question_from_dm({"type": "message", "channel_type": "im", "channel": "D1", "user": "U1",
                                 "ts": "1.2", "text": "vpn\x00 down"})
    assert question is not None and question.text == "vpn down"


@given(st.text())
def test_escaped_text_has_no_markup_and_shows_what_was_written(text):
    escaped = mrkdwn(text)
    assert "<" not in escaped and ">" not in escaped
    assert not re.search(r"&(?!amp;|lt;|gt;)", escaped)
    assert _unescape(escaped) == clean(text)


@given(st.text())
def test_plain_never_raises_and_leaves_no_control_characters(text):
    result = plain(text)
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", result)
