"""A department's service standards (departments.yaml `standards:`): the targets reports hold figures against."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

_DURATION_RE = re.compile(r"(?:(\d+(?:\.\d+)?)d)?(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?")
_UNITS = (86400, 3600, 60, 1)


def duration_seconds(value: Any) -> float:
    """Read "30m", "4h", "1h30m", "1d" (24 hours), "90s" or a number of minutes, as seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        if value <= 0:
            raise ValueError(f"must be positive, got {value!r}")
        return float(value) * 60
    text = value.strip().replace(" ", "") if isinstance(value, str) else ""
    m = _DURATION_RE.fullmatch(text)
    if not text or m is None or not any(m.groups()):
        raise ValueError(f'must be a duration such as "30m", "4h", "1h30m", "1d" or "90s", got {value!r}')
    seconds = sum(float(part) * unit for part, unit in zip(m.groups(), _UNITS, strict=True) if part)
    if seconds <= 0:
        raise ValueError(f"must be positive, got {value!r}")
    return seconds


Seconds = Annotated[float, BeforeValidator(duration_seconds)]
Share = Annotated[float, Field(ge=0, le=1)]


class Standards(BaseModel):
    """Targets; every one is optional. Durations are working time where the department has working hours,
    and are held against the median; shares are 0-1; rating is the mean of 1-5 ratings."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    first_response: Seconds | None = None   # first human response, median at most
    claim: Seconds | None = None            # time to claim, median at most
    handling: Seconds | None = None         # claim -> resolve, median at most
    resolve: Seconds | None = None          # asked -> resolved, median at most
    one_touch: Share | None = None          # resolved at the first contact, share at least
    reopen: Share | None = None             # reopened, share at most
    self_service: Share | None = None       # confirmed self-service among requests, share at least
    rating: float | None = Field(default=None, ge=1, le=5)  # mean rating at least


STANDARD_KEYS = set(Standards.model_fields)
DURATION_STANDARDS = ("first_response", "claim", "handling", "resolve")
AT_MOST = {"first_response", "claim", "handling", "resolve", "reopen"}  # the others are "at least"
