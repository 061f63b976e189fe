"""Service metrics from the requests and their audit trail: first response, resolve time, rates."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import timedelta
from statistics import median
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from storage import queries
from bot.words import Resolution, Status


@dataclass(frozen=True)
class Metrics:
    """The helpdesk's numbers; rates are 0-1, None when there is nothing to divide by yet."""

    requests: int
    open: int
    self_served: int
    escalated: int
    confirmed: int
    unconfirmed: int
    transferred: int   # requests moved to another department at least once
    bounced: int       # requests moved more than once
    median_first_response: timedelta | None
    median_time_to_resolve: timedelta | None
    self_service_rate: float | None
    reopen_rate: float | None
    satisfaction: float | None

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form (durations in seconds)."""
        data = asdict(self)
        for key in ("median_first_response", "median_time_to_resolve"):
            data[key] = data[key].total_seconds() if data[key] is not None else None
        return data


def compute(sessions: sessionmaker[Session]) -> Metrics:
    """Read the facts and compute the metrics."""
    with sessions.begin() as session:
        facts = queries.request_facts(session)
        answers = queries.count_audit_actions(session, ["confirmed", "reopened"])
    first_responses = [f.first_response_at - f.created_at for f in facts if f.first_response_at]
    resolve_times = [f.resolved_at - f.created_at for f in facts
                     if f.resolved_at and f.resolution != Resolution.SELF_SERVED]
    self_served = sum(1 for f in facts if f.resolution == Resolution.SELF_SERVED)
    escalated = sum(1 for f in facts if f.escalated_at)
    staff_resolved = sum(1 for f in facts if f.escalated_at and (f.resolved_at or f.reopen_count))
    reopened = sum(1 for f in facts if f.reopen_count)
    yes, no = answers.get("confirmed", 0), answers.get("reopened", 0)
    return Metrics(
        requests=len(facts),
        open=sum(1 for f in facts if f.status != Status.CLOSED),
        self_served=self_served,
        escalated=escalated,
        confirmed=sum(1 for f in facts if f.resolution == Resolution.CONFIRMED),
        unconfirmed=sum(1 for f in facts if f.resolution == Resolution.UNCONFIRMED),
        transferred=sum(1 for f in facts if f.transfer_count),
        bounced=sum(1 for f in facts if f.transfer_count > 1),
        median_first_response=median(first_responses) if first_responses else None,
        median_time_to_resolve=median(resolve_times) if resolve_times else None,
        self_service_rate=_rate(self_served, len(facts)),
        reopen_rate=_rate(reopened, staff_resolved),
        satisfaction=_rate(yes, yes + no),
    )


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def render_metrics(metrics: Metrics) -> str:
    """A readable table: counts, durations as h:mm:ss, rates as percentages."""
    lines = []
    for key, value in asdict(metrics).items():
        if isinstance(value, timedelta):
            shown = str(value)
        elif isinstance(value, float) or key.endswith("rate") or key == "satisfaction":
            shown = "n/a" if value is None else f"{value:.0%}"
        else:
            shown = "n/a" if value is None else str(value)
        lines.append(f"  {key.replace('_', ' '):24} {shown}")
    return "\n".join(lines)
