"""The weekly digest's chart, drawn when its upload is sent (matplotlib, Agg: memory only) from the data the
outbox row carries: requests per day by outcome, and the median first human response against its target."""
from __future__ import annotations

import io
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display: render to memory only

import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)
from matplotlib.ticker import MaxNLocator  # noqa: E402


def render_chart(chart: dict[str, Any]) -> bytes:
    """A PNG: stacked bars of requests per day (left axis), median first response in hours (right axis)."""
    days, labels = [day[5:] for day in chart["days"]], chart["labels"]  # MM-DD: the title gives the year
    served, escalated, other = chart["self_served"], chart["escalated"], chart["other"]
    fig, ax = plt.subplots(figsize=(8, 3.6))
    try:
        ax.bar(days, served, label=labels["self_served"], color="#2e7d32")
        ax.bar(days, escalated, bottom=served, label=labels["escalated"], color="#1565c0")
        ax.bar(days, other, bottom=[a + b for a, b in zip(served, escalated, strict=True)], label=labels["other"],
               color="#bdbdbd")
        ax.set_ylabel(labels["requests"])
        ax.set_ylim(0, max(1, max(a + b + c for a, b, c in zip(served, escalated, other, strict=True))) * 1.15)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.tick_params(axis="x", labelsize=8)
        handles, names = ax.get_legend_handles_labels()
        more = _first_response(ax, days, chart, labels)
        fig.legend(handles + more[0], names + more[1], loc="lower center", ncol=3, fontsize=7,
                   bbox_to_anchor=(0.5, -0.14))
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
        return buffer.getvalue()
    finally:
        plt.close(fig)


def _first_response(ax: Any, days: list[str], chart: dict[str, Any], labels: dict[str, str]) -> tuple[list, list]:
    """The median first response per day on a right-hand axis (hours; a day without one leaves a gap)."""
    hours = [float("nan") if h is None else h for h in chart["first_response_hours"]]
    target = chart.get("target_hours")
    if all(h != h for h in hours) and target is None:  # NaN != NaN: no day has a first response
        return [], []
    right = ax.twinx()
    right.plot(days, hours, marker="o", color="#ef6c00", label=labels["first_response"])
    if target is not None:
        right.axhline(target, linestyle="--", color="#ef6c00", linewidth=1, label=labels["target"])
    right.set_ylim(bottom=0, top=max([target or 0, *(h for h in hours if h == h)]) * 1.3 or 1)
    right.set_ylabel("h")
    return right.get_legend_handles_labels()
