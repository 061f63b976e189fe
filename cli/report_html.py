"""The HTML report: the figures against their targets, the breaches, and charts embedded as PNG data URIs."""
from __future__ import annotations

import base64
import io
from html import escape
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display: render to memory only

import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)

from bot.measures import STANDARD_FIGURE, Report, entry_row, flat  # noqa: E402
from cli.reporttool import TABLE_MEASURES, shown  # noqa: E402

STYLE = """body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}
td,th{border-bottom:1px solid #ddd;padding:.3em .7em;text-align:right}td:first-child,th:first-child{text-align:left}
.breach{color:#b00020;font-weight:bold}.target{color:#666;font-size:.85em}img{max-width:100%;margin:1em 0}"""


def render(report: Report, where: str) -> str:
    """A self-contained HTML page (no external files)."""
    s = report.selection
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>helploop report</title>"
             f"<style>{STYLE}</style></head><body>",
             f"<h1>helploop report</h1><p>Database: <code>{escape(where)}</code>. Requests created "
             f"{escape(str(s.since or 'any time'))} to {escape(str(s.until or 'now'))}, by {escape(s.period)}"
             f"{', department ' + escape(s.department) if s.department else ''}.</p>",
             "<h2>Breaches</h2>", _breaches(report),
             "<h2>Measures against standards</h2>", _measures(report),
             "<h2>Charts</h2>",
             _image("Requests per period", volumes_chart(report)),
             _image("Median working time against targets", times_chart(report)),
             _image("Ratings per period", ratings_chart(report)),
             "<h2>KB entries</h2>", _entries(report), "</body></html>"]
    return "\n".join(parts)


def _breaches(report: Report) -> str:
    if not report.breaches:
        return "<p>No breaches.</p>"
    items = "".join(
        f"<li class='breach'>{escape(b.department)}: {escape(b.standard.replace('_', ' '))} "
        f"{escape(shown(STANDARD_FIGURE[b.standard], b.value))} "
        f"(target {'at most' if b.at_most else 'at least'} {escape(shown(STANDARD_FIGURE[b.standard], b.target))})</li>"
        for b in report.breaches)
    return f"<ul id='breaches'>{items}</ul>"


def _measures(report: Report) -> str:
    rows = {f.key: flat(f) for f in report.departments}
    overall = flat(report.overall)
    goals = {d: {STANDARD_FIGURE[k]: v for k, v in t.items()} for d, t in report.targets.items()}
    broken = {(b.department, STANDARD_FIGURE[b.standard]) for b in report.breaches}
    head = "".join(f"<th>{escape(f.key)}</th>" for f in report.departments)
    body = []
    for m in TABLE_MEASURES:
        cells = []
        for f in report.departments:
            target = goals.get(f.key, {}).get(m)
            css = " class='breach'" if (f.key, m) in broken else ""
            note = f" <span class='target'>target {escape(shown(m, target))}</span>" if target is not None else ""
            cells.append(f"<td{css}>{escape(shown(m, rows[f.key][m]))}{note}</td>")
        body.append(f"<tr><td>{escape(m.replace('_', ' '))}</td><td>{escape(shown(m, overall[m]))}</td>"
                    f"{''.join(cells)}</tr>")
    return f"<table><tr><th>measure</th><th>all</th>{head}</tr>{''.join(body)}</table>"


def _entries(report: Report) -> str:
    rows = "".join(f"<tr><td>{escape(r['entry'])}</td><td>{r['offered']}</td><td>{r['confirmed']}</td>"
                   f"<td>{r['rejected']}</td><td>{r['expired']}</td><td>{escape((r['last_used'] or '')[:16])}</td></tr>"
                   for r in sorted((entry_row(f) for f in report.entries), key=lambda r: (-r["rejected"], r["entry"])))
    return ("<table><tr><th>entry</th><th>offered</th><th>confirmed</th><th>rejected</th><th>expired</th>"
            f"<th>last used</th></tr>{rows}</table>")


def _image(title: str, png: bytes) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f"<h3>{escape(title)}</h3><img alt='{escape(title)}' src='data:image/png;base64,{data}'>"


def _png(fig: Any) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def volumes_chart(report: Report) -> bytes:
    """Stacked bars per period: confirmed self-service, escalated, the rest (answers unconfirmed or pending)."""
    fig, ax = plt.subplots(figsize=(9, 3.5))
    keys = [f.key for f in report.periods]
    served = [f.counts["self_served"] for f in report.periods]
    escalated = [f.counts["escalated"] for f in report.periods]
    rest = [f.counts["requests"] - a - b for f, a, b in zip(report.periods, served, escalated, strict=True)]
    ax.bar(keys, served, label="self-service confirmed", color="#2e7d32")
    ax.bar(keys, escalated, bottom=served, label="escalated to staff", color="#1565c0")
    ax.bar(keys, rest, bottom=[a + b for a, b in zip(served, escalated, strict=True)],
           label="KB answer not confirmed", color="#bdbdbd")
    ax.set_ylabel("requests")
    ax.legend(loc="upper left", fontsize=8)
    _dates(ax, keys)
    return _png(fig)


def times_chart(report: Report) -> bytes:
    """Per department: median working first response and handling per period (hours), the target dashed."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    for ax, measure in zip(axes, ("first_response", "handling"), strict=True):
        for department in sorted({f.key.split(" ")[0] for f in report.department_periods}):
            points = [(f.key.split(" ", 1)[1], f.timings[measure].median_working)
                      for f in report.department_periods if f.key.split(" ")[0] == department]
            points = [(k, v / 3600) for k, v in points if v is not None]
            if not points:
                continue
            line, = ax.plot([k for k, _ in points], [v for _, v in points], marker="o", label=department)
            target = report.targets.get(department, {}).get(measure)
            if target is not None:
                ax.axhline(target / 3600, linestyle="--", color=line.get_color(), linewidth=1)
        ax.set_title(f"{measure.replace('_', ' ')} (median, working hours)", fontsize=10)
        ax.set_ylabel("hours")
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
        _dates(ax, sorted({f.key.split(" ", 1)[1] for f in report.department_periods}))
    return _png(fig)


def ratings_chart(report: Report) -> bytes:
    """Mean rating per period (bars) with how many ratings each mean is made of."""
    fig, ax = plt.subplots(figsize=(9, 3.2))
    rated = [(f.key, f.rating_mean, f.rating_count) for f in report.periods if f.rating_count]
    if rated:
        bars = ax.bar([k for k, _, _ in rated], [m for _, m, _ in rated], color="#f9a825")
        for bar, (_, mean, n) in zip(bars, rated, strict=True):
            ax.annotate(f"{mean:.2f}\nn={n}", (bar.get_x() + bar.get_width() / 2, mean), ha="center",
                        va="bottom", fontsize=7)
        ax.set_ylim(0, 5.9)
        ax.set_ylabel("mean rating (1-5)")
        _dates(ax, [k for k, _, _ in rated])
    else:
        ax.text(0.5, 0.5, "no ratings in this selection", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
    return _png(fig)


def _dates(ax: Any, keys: list[str]) -> None:
    if len(keys) > 8:
        step = max(1, len(keys) // 8)
        ax.set_xticks(keys[::step])
    ax.tick_params(axis="x", labelrotation=30, labelsize=8)
