"""The one escaping function for text people and admins supply, and the cleaning of what comes in.

Slack parses `&`, `<` and `>` in mrkdwn (and in a message's fallback text): `<!channel>`, `<@U…>`
and `<https://evil|looks-safe>` in a question would ping, mention or disguise a link when the bot
quotes it. Everything a person or an admin wrote goes through `mrkdwn` before the bot posts it.
"""
from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # keeps \t \n \r
# Bidirectional overrides and isolates can make "txt.exe" read as "exe.txt"; they are dropped.
_BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069]")


def clean(text: str) -> str:
    """Text as received, without NUL, other control characters and bidi overrides (databases refuse NUL)."""
    return _BIDI.sub("", _CONTROL.sub("", text))


def mrkdwn(text: str) -> str:
    """User- or admin-supplied text made inert for Slack mrkdwn: shown as written, never parsed."""
    return clean(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
