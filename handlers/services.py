"""The domain services the Slack listeners call, in one small bundle handed to the Bolt app."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.backlog import Backlog
from bot.conversation import Conversation
from bot.feedback import FeedbackBox
from bot.followups import Followups
from bot.pulse import Pulse
from bot.home import Home
from bot.lifecycle import Lifecycle
from bot.people import People
from bot.outbox import Outbox
from bot.transfer import Transfers
from kb import KnowledgeBase


@dataclass(frozen=True)
class Services:
    """What the listeners need from the domain."""

    lifecycle: Lifecycle
    followups: Followups
    transfers: Transfers
    conversation: Conversation
    outbox: Outbox
    kb: Callable[[], KnowledgeBase]
    now: Callable[[], datetime]
    backlog: Callable[[], Backlog]
    admins: frozenset[str] = frozenset()  # may use admin commands (/helploop status)
    people: People | None = None  # users.info, cached (None: nobody is looked up; languages come from the text)
    default_language: str = "en"  # when neither the Slack locale nor the text tells the language
    feedback: FeedbackBox | None = None  # /helploop feedback (None: the form is not taken)
    pulse: Pulse | None = None  # pulse survey answers
    home: Home | None = None  # the App Home (None: no Home, no request form)
