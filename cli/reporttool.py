"""Logic of `helploop report`: the service measures against the standards, as a table, CSV, JSON or HTML.

Reads the database without migrating or creating it (the same checks as `helploop metrics`), names the
database it read, and never holds the bot's SQLite write lock (storage.readonly).
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from bot.measures import SECONDS, STANDARD_FIGURE, Report, compute_report, entry_row, estimated, flat
from bot.measures import readable as shown
from cli import dbtool
from cli.names import Names, cached_names, named
from cli.render import show, table
from kb import KbError, load_kb
from storage.engine import make_sessions
from storage.measure_queries import PERIODS, Selection
from storage.readonly import reader_engine

FORMATS = ("table", "csv", "json", "html")
SUMMARY = "summary"  # `helploop metrics`: the overall figures only


@dataclass(frozen=True)
class Options:
    """What the admin asked for."""

    since: datetime | None = None
    until: datetime | None = None
    department: str | None = None
    period: str = "week"
    format: str = "table"
    out: Path | None = None
    exact: bool = False  # every median and p90 from all values, not a sample of a big group


def run(url: str, kb_dir: Path, options: Options, out: TextIO, err: TextIO, now: datetime) -> int:
    """Compute and print (or write) the report: 0; 1 when the database is missing, empty or behind; 3 unusable."""
    who = f"helploop {'metrics' if options.format.startswith(SUMMARY) else 'report'}"
    if options.period not in PERIODS or options.format not in (*FORMATS, SUMMARY, f"{SUMMARY}-json"):
        print(f"{who}: --period is one of {', '.join(PERIODS)}; --format one of {', '.join(FORMATS)}",
              file=err)
        return 2
    departments = _departments(kb_dir, err, who)
    if options.department is not None and departments and options.department not in departments:
        print(f"{who}: unknown department {options.department!r} (known: {', '.join(departments)})",
              file=err)
        return 2
    try:
        with dbtool.existing(url) as (state, _engine):
            problem = state.problem()
        if problem:
            print(f"{who}: {problem}", file=err)
            return 1
        report = dbtool.using(reader_engine(url), lambda engine: _compute(engine, departments, options, now))
    except dbtool.Unusable as error:
        print(f"{who}: {error}", file=err)
        return dbtool.DATABASE_ERROR
    names = cached_names(url, [f.key for f in report.staff]) if options.format == "table" else {}  # JSON/CSV: ids
    return _emit(report, state.where, options, out, err, names)


def _compute(engine: Any, departments: dict, options: Options, now: datetime) -> Report:
    try:
        selection = Selection(options.since, options.until, options.department, options.period)
        return compute_report(make_sessions(engine), departments, selection, now, exact=options.exact)
    finally:
        engine.dispose()


def _departments(kb_dir: Path, err: TextIO, who: str) -> dict:
    """The KB's departments (their standards and working hours); none, with a warning, when it does not load."""
    try:
        return dict(load_kb(kb_dir).departments)
    except KbError as error:
        first = error.errors[0] if getattr(error, "errors", None) else str(error)
        print(f"{who}: warning: the knowledge base at {kb_dir} does not load ({first}); "
              "no standards, and working time is wall-clock time", file=err)
        return {}


def _emit(report: Report, where: str, options: Options, out: TextIO, err: TextIO, names: Names) -> int:
    if options.format == SUMMARY:
        show_summary(report, where, out)
        return 0
    if options.format == f"{SUMMARY}-json":
        out.write(json.dumps(flat(report.overall)) + "\n")
        return 0
    if options.format == "table":
        text = None
    elif options.format == "html":
        from cli.report_html import render

        text = render(report, where)
    else:
        text = to_json(report, where) if options.format == "json" else to_csv(report)
    if options.out is not None:
        if text is None:
            buffer = io.StringIO()
            show_tables(report, where, buffer, names)
            text = buffer.getvalue()
        options.out.write_text(text, encoding="utf-8")
        print(f"report of {where} written to {options.out}", file=err)
    elif text is None:
        show_tables(report, where, out, names)
    else:
        out.write(text)
    return 0


# --- formats -------------------------------------------------------------------------------------------------------


def as_dict(report: Report, where: str) -> dict[str, Any]:
    """Everything in the report as plain data (durations in seconds, rates 0-1)."""
    s = report.selection
    return {
        "database": where,
        "selection": {"since": _iso(s.since), "until": _iso(s.until), "department": s.department,
                      "period": s.period},
        "overall": flat(report.overall),
        "departments": {f.key: flat(f) for f in report.departments},
        "targets": report.targets,
        "breaches": [{"department": b.department, "standard": b.standard, "figure": STANDARD_FIGURE[b.standard],
                      "value": b.value, "target": b.target, "rule": "at most" if b.at_most else "at least"}
                     for b in report.breaches],
        "periods": {f.key: flat(f) for f in report.periods},
        "staff": {f.key or "(nobody)": flat(f) for f in report.staff},
        "entries": [entry_row(f) for f in report.entries],
    }


def to_json(report: Report, where: str) -> str:
    """The report as one JSON document."""
    return json.dumps(as_dict(report, where), indent=2) + "\n"


def to_csv(report: Report) -> str:
    """Long form: section, group, measure, value, target, breach - one figure a line."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["section", "group", "measure", "value", "target", "breach"])
    broken = {(b.department, STANDARD_FIGURE[b.standard]) for b in report.breaches}
    sections = [("overall", [report.overall]), ("department", report.departments), ("period", report.periods),
                ("staff", report.staff)]
    for section, figures in sections:
        for f in figures:
            goals = {STANDARD_FIGURE[k]: v for k, v in report.targets.get(f.key, {}).items()} \
                if section == "department" else {}
            for measure, value in flat(f).items():
                target = goals.get(measure)
                writer.writerow([section, f.key or "(nobody)", measure, "" if value is None else value,
                                 "" if target is None else target,
                                 "yes" if (f.key, measure) in broken and section == "department" else ""])
    for row in (entry_row(f) for f in report.entries):
        for measure in ("offered", "confirmed", "rejected", "expired", "last_used"):
            writer.writerow(["entry", row["entry"], measure, row[measure] or "", "", ""])
    return buffer.getvalue()


TABLE_MEASURES = ("requests", "self_service_confirmed", "self_service_rate", "false_answers", "false_answer_rate",
                  "answers_expired_unconfirmed", "escalated", "first_response_median", "first_response_median_working",
                  "first_response_p90", "first_response_p90_working", "claim_median", "claim_median_working",
                  "handling_median", "handling_median_working", "handling_p90_working", "resolve_median",
                  "resolve_median_working", "one_touch", "one_touch_rate", "reopen_rate", "transferred", "bounced",
                  "unclaimed_escalations", "followups_unanswered", "open", "ratings", "rating_mean")


def show_summary(report: Report, where: str, out: TextIO) -> None:
    """`helploop metrics` and the demo: every overall measure, one per row (README.md, "Measures")."""
    rows = table("METRIC", "VALUE", right=("VALUE",))
    for measure, value in flat(report.overall).items():
        rows.add_row(measure.replace("_", " "), shown(measure, value))
    show(out, f"metrics from {where}", rows)


def show_tables(report: Report, where: str, out: TextIO, names: Names | None = None) -> None:
    """The terminal report: measures per department against targets, breaches, periods, staff, KB entries."""
    s = report.selection
    span = f"created {_iso(s.since) or 'any time'} to {_iso(s.until) or 'now'}"
    header = f"report from {where} ({span}{', department ' + s.department if s.department else ''})"
    if estimated(report):
        header += "; medians and p90s of the biggest groups are estimated from a fixed sample (README: Measures)"
    departments = report.departments
    main = table("MEASURE", "ALL", *(f.key.upper() for f in departments),
                 right=("ALL", *(f.key.upper() for f in departments)))
    rows = {f.key: flat(f) for f in departments}
    goals = {d: {STANDARD_FIGURE[k]: v for k, v in t.items()} for d, t in report.targets.items()}
    broken = {(b.department, STANDARD_FIGURE[b.standard]) for b in report.breaches}
    overall = flat(report.overall)
    for measure in TABLE_MEASURES:
        cells = [_cell(measure, rows[f.key][measure], goals.get(f.key, {}).get(measure),
                       (f.key, measure) in broken) for f in departments]
        main.add_row(measure.replace("_", " "), shown(measure, overall[measure]), *cells)
    show(out, header, main, _breach_table(report), _period_table(report), _staff_table(report, names or {}),
         _entry_table(report))


def _cell(measure: str, value: Any, target: float | None, breached: bool) -> str:
    if target is None:
        return shown(measure, value)
    sign = "<=" if measure in SECONDS or measure == "reopen_rate" else ">="
    return f"{shown(measure, value)} ({sign} {shown(measure, target)}){' BREACH' if breached else ''}"


def _breach_table(report: Report) -> Any:
    t = table("BREACH", "DEPARTMENT", "STANDARD", "FIGURE", "TARGET", right=("FIGURE", "TARGET"))
    for i, b in enumerate(report.breaches, 1):
        figure = STANDARD_FIGURE[b.standard]
        t.add_row(str(i), b.department, b.standard, shown(figure, b.value),
                  f"{'<=' if b.at_most else '>='} {shown(figure, b.target)}")
    if not report.breaches:
        t.add_row("-", "none", "", "", "")
    return t


def _period_table(report: Report) -> Any:
    cols = ("requests", "self_service_confirmed", "escalated", "first_response_median_working",
            "handling_median_working", "one_touch_rate", "rating_mean")
    t = table(report.selection.period.upper(), *(c.replace("_", " ").upper() for c in cols),
              right=tuple(c.replace("_", " ").upper() for c in cols))
    for f in report.periods:
        row = flat(f)
        t.add_row(f.key, *(shown(c, row[c]) for c in cols))
    return t


def _staff_table(report: Report, names: Names) -> Any:
    cols = ("staff_resolved", "first_response_median_working", "handling_median_working", "one_touch_rate",
            "reopen_rate", "rating_mean")
    t = table("STAFF", *(c.replace("_", " ").upper() for c in cols),
              right=tuple(c.replace("_", " ").upper() for c in cols))
    for f in report.staff:
        if f.key:
            row = flat(f)
            t.add_row(named(f.key, names), *(shown(c, row[c]) for c in cols))  # the cached name, else the id
    return t


def _entry_table(report: Report) -> Any:
    t = table("KB ENTRY", "OFFERED", "CONFIRMED", "REJECTED", "EXPIRED", "LAST USED",
              right=("OFFERED", "CONFIRMED", "REJECTED", "EXPIRED"))
    for row in sorted((entry_row(f) for f in report.entries), key=lambda r: (-r["rejected"], r["entry"])):
        t.add_row(row["entry"], str(row["offered"]), str(row["confirmed"]), str(row["rejected"]),
                  str(row["expired"]), (row["last_used"] or "")[:16])
    return t


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def parse_moment(text: str) -> datetime:
    """--since/--until: a date (UTC midnight) or an ISO 8601 time with an offset."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"not a date or ISO 8601 time: {text!r}") from None
    if value.tzinfo is None:
        if len(text.strip()) > 10:
            raise ValueError(f"give the time's offset (e.g. {text.strip()}+01:00) or a plain date")
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
