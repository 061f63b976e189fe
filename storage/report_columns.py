"""The columns of the report's per-request facts and per-day cells, shared by the persistent rollup tables
(storage.models, migration 0012) and the report's temporary tables (storage.measure_queries)."""
from __future__ import annotations

SCORES = range(1, 6)
RATINGS = tuple(f"rating_{i}" for i in SCORES)
FLAGS = ("offered", "self_served", "false_answer", "answer_expired", "escalated", "staff_resolved",
         "staff_closed", "confirmed", "unconfirmed", "one_touch", "reopened", "transferred", "bounced",
         "unclaimed", "open")
DURATIONS = ("first_response_s", "first_response_w", "claim_s", "claim_w", "handling_s", "handling_w",
             "resolve_s", "resolve_w")
# One row per request: `day` is its creation's UTC day (epoch seconds // 86400); `sample` a fixed pseudo-random
# number 0-999 drawn from its id, so percentiles of a big group can read a stable share of its rows.
FACT_KEYS = ("day", "dept", "staff", "sample", "id")
FACT_VALUES = ("entry", "created_s", *RATINGS, *FLAGS, "transfers", *DURATIONS)
FACT_COLUMNS = (*FACT_KEYS, *FACT_VALUES)
# One row per day and department and staff member (or KB entry): sums of the facts of its requests.
CELL_SUMS = ("requests", "transfers", *FLAGS, *RATINGS, *(f"n_{d}" for d in DURATIONS),
             *(f"sum_{d}" for d in DURATIONS))
CELL_VALUES = (*CELL_SUMS, "last_s")
TEXT_COLUMNS = {"dept": 64, "staff": 32, "entry": 128}
