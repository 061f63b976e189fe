"""Logic of `helploop purge [--dry-run]`: remove texts past their departments' retention, say what went."""
from __future__ import annotations

from typing import TextIO

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bot.clock import SystemClock
from bot.retention import INBOX_DAYS, PurgeReport, Retention
from kb import KbError, KnowledgeBase, load_kb
from storage import migrate
from storage.engine import make_engine, make_sessions
from wiring.settings import Settings


def run(settings: Settings, dry_run: bool, out: TextIO) -> int:
    """Purge (or, with `dry_run`, only count) on the configured database; never migrates it.

    Exit 0 when done; 1 when the knowledge base does not load, the database cannot be used or its schema
    is not the one this version of helploop expects (then `helploop db upgrade` first).
    """
    try:
        kb = load_kb(settings.kb_dir)
    except KbError as error:
        print(f"helploop purge: the knowledge base in {settings.kb_dir} is invalid:\n{error}", file=out)
        return 1
    where = make_url(settings.database_url).render_as_string(hide_password=True)
    engine = make_engine(settings.database_url)
    try:
        current, head = migrate.current_revision(engine), migrate.head_revision()
        if current != head:
            print(f"helploop purge: the database schema of {where} is at {current or 'nothing'}, not {head}; "
                  "run `helploop db upgrade` first.", file=out)
            return 1
        report = Retention(make_sessions(engine), lambda: kb, SystemClock()).purge(dry_run=dry_run)
    except SQLAlchemyError as error:
        print(f"helploop purge: cannot use the database {where}: {_first_line(error)}", file=out)
        return 1
    finally:
        engine.dispose()
    _print(report, kb, out)
    return 0


def _print(report: PurgeReport, kb: KnowledgeBase, out: TextIO) -> None:
    verb = "would be" if report.dry_run else "were"
    if report.dry_run:
        print("Dry run: nothing is changed.", file=out)
    purged = {d.department_id: d for d in report.departments}
    for department in kb.departments.values():
        done = purged.get(department.id)
        label = f"{department.name} ({department.id})"
        if done is None:
            print(f"{label}: no retention_days, kept.", file=out)
            continue
        extra = ", ".join(f"{n} {what}" for n, what in ((done.deliveries, "Slack writes"),
                                                         (done.messages, "messages"),
                                                         (done.audit_notes, "audit notes")) if n)
        print(f"{label}: {done.requests} requests older than {done.retention_days} days {verb} purged"
              f"{f' ({extra})' if extra else ''}.", file=out)
    print(f"Inbox: {report.inbox_deleted} processed Slack requests older than {INBOX_DAYS} days {verb} deleted.",
          file=out)
    print(f"Outbox: {report.deliveries_deleted} replies and alerts older than {report.loose_days} days {verb} "
          "deleted.", file=out)


def _first_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return (text.splitlines() or [type(error).__name__])[0][:300]
