"""Hypothesis strategies shaped like what Slack sends: JSON values biased towards the keys and values we read."""
from __future__ import annotations

import os

from hypothesis import settings
from hypothesis import strategies as st

SCALE = float(os.environ.get("HELPLOOP_FUZZ_SCALE", "1"))  # e.g. 10 for a long run; the suite stays fast at 1


def fuzz(max_examples: int = 120) -> settings:
    """Modest hypothesis settings: no deadline (CI machines stall), `max_examples` times HELPLOOP_FUZZ_SCALE."""
    return settings(max_examples=max(1, round(max_examples * SCALE)), deadline=None)


FUZZ = fuzz()

SLACK_KEYS = ["type", "event", "event_id", "actions", "action_id", "value", "view", "callback_id", "command",
              "trigger_id", "subtype", "ssl_check", "challenge", "state", "values", "selected_option",
              "private_metadata", "department", "note", "text", "user", "ts", "thread_ts", "channel",
              "channel_type", "bot_id", "message", "container", "response_url", "team", "payload", "id",
              "hash", "blocks", "block_id", "selected_options"]
SLACK_WORDS = ["event_callback", "url_verification", "block_actions", "view_submission", "view_closed", "message",
               "app_mention", "reaction_added", "im", "channel", "group", "helploop_transfer", "transfer",
               "message_action", "shortcut", "interactive_message", "/helploop", "123", "0", "-1",
               "99999999999", "12|it-printer", "1700000000.000100", "D0HLEMP", "U0HLEMP", "C0HLITTRIAGE",
               "<@U0HLBOT> hi", "&lt;b&gt;", "\x00", "ąęś đ ắ", "💥"]

scalars = (st.none() | st.booleans() | st.integers() | st.integers(min_value=-2**70, max_value=2**70)
           | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=30)
           | st.sampled_from(SLACK_WORDS))
keys = st.sampled_from(SLACK_KEYS) | st.text(max_size=12)

json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=6),
    max_leaves=15,
)
json_objects = st.dictionaries(keys, json_values, max_size=8)


SLACK_TYPES = ["event_callback", "url_verification", "block_actions", "view_submission", "view_closed",
               "message_action", "shortcut", "app_rate_limited", ""]
# A payload whose `type` is one we handle, with the keys the edge reads holding anything (kept small: fast).
small_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                            | st.dictionaries(keys, inner, max_size=4), max_leaves=8)
EDGE_KEYS = ["event", "event_id", "actions", "view", "command", "trigger_id", "ssl_check", "challenge", "text"]
slack_shaped = st.fixed_dictionaries({"type": st.sampled_from(SLACK_TYPES)},
                                     optional={key: small_values for key in EDGE_KEYS})


def maybe(*plausible: object) -> st.SearchStrategy[object]:
    """A plausible value for a key (to get deep into a parser) or any JSON value at all."""
    return st.sampled_from(plausible) | json_values if plausible else json_values


# A Slack `event` with the keys the parsers read, each plausible or anything.
events = st.fixed_dictionaries({}, optional={
    "type": maybe("message", "app_mention", "reaction_added"),
    "channel": maybe("D0HLEMP", "C0HLHELP", ""),
    "channel_type": maybe("im", "channel", "group", "mpim"),
    "user": maybe("U0HLEMP", ""),
    "text": maybe("printer is broken", "<@U0HLBOT> vpn?", "<#C1|general> <!here> <https://x|y> &lt;", ":wave:", ""),
    "ts": maybe("1700000000.000100", "1700000000.000200", ""),
    "thread_ts": maybe("1700000000.000100", "1700000000.000050", None),
    "subtype": maybe(None, "file_share", "thread_broadcast", "message_changed", "message_deleted", "bot_message"),
    "bot_id": maybe(None, "B0HLBOT"),
    "files": maybe([{"name": "a.png", "permalink": "https://x"}], [{"title": 5}], []),
    "message": maybe({"ts": "1700000000.000100", "text": "edited"}, {"bot_id": "B1", "ts": "1"}),
    "deleted_ts": maybe("1700000000.000100"),
})
