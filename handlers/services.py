"""The domain services the Slack listeners call, in one small bundle handed to the Bolt app."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.backlog import Backlog
from bot.conversation import Conversation
from bot.followups import Followups
from bot.lifecycle import Lifecycle
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
