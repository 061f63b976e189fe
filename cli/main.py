"""The `helploop` command: run the bot, run the local demo, the database schema, the knowledge base, on-call."""
from __future__ import annotations

import io
import os
import sys
from datetime import datetime
from enum import StrEnum
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Annotated

import typer
from dotenv import find_dotenv, load_dotenv
from typer.core import TyperGroup

from wiring.logs import configure as configure_logging
from wiring.settings import Settings, SettingsError

PIPE_CLOSED = 141  # 128 + SIGPIPE: what a shell reports for a tool whose reader went away (`| head`)
KbOption = Annotated[Path | None, typer.Option("--kb", help="Knowledge base directory (default: KB_DIR).",
                                              show_default=False)]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


class Role(StrEnum):
    """What `helploop run` does (wiring/service.py)."""

    ALL = "all"
    WEB = "web"
    WORKER = "worker"


class _PipeClosed(Exception):
    """stdout's reader went away; raised past click, which would otherwise turn it into exit 1."""


class _Group(TyperGroup):
    def invoke(self, ctx: typer.Context) -> object:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            raise _PipeClosed from None


app = typer.Typer(cls=_Group, name="helploop", no_args_is_help=True,
                  add_completion=False, pretty_exceptions_enable=False, context_settings={"max_content_width": 100})
kb_app = typer.Typer(help="Knowledge base tools.", no_args_is_help=True)
db_app = typer.Typer(help="The database schema at DATABASE_URL.", no_args_is_help=True)
app.add_typer(kb_app, name="kb")
app.add_typer(db_app, name="db")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script: the exit code of the command."""
    command = typer.main.get_command(app)
    try:
        try:
            result = command.main(args=argv, prog_name="helploop", standalone_mode=False)
            sys.stdout.flush()
        except SettingsError as error:
            print(f"helploop: {error}", file=sys.stderr)
            return 2
        except typer.Abort:
            print("Aborted!", file=sys.stderr)
            return 1
        except typer.TyperException as error:  # click's usage errors (exit 2) and the like
            show = getattr(error, "show", None)
            if show is not None:
                show()
            else:
                print(f"helploop: {error.format_message()}", file=sys.stderr)
            return error.exit_code
    except (_PipeClosed, BrokenPipeError):
        return _pipe_closed()
    return result if isinstance(result, int) else 0


def _pipe_closed() -> int:
    """The reader of stdout went away (`helploop ... | head`): drop what was not read, quietly."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so the flush at exit does not fail again
        os.close(devnull)
    except (OSError, ValueError):  # stdout has no file descriptor (captured): nothing left to flush
        pass
    return PIPE_CLOSED


def _setup(quiet: bool = True) -> Settings:
    """Settings from the environment and the .env where the admin runs it; logging as the command needs."""
    load_dotenv(find_dotenv(usecwd=True), override=False)
    settings = Settings.from_env()
    # The demo and the tools print their own output: only warnings are logged.
    configure_logging("WARNING" if quiet else settings.log_level, settings.log_format)
    return settings


def _version(value: bool) -> None:
    if value:
        try:
            installed = version("helploop")
        except PackageNotFoundError:
            installed = "(not installed)"
        print(f"helploop {installed}")
        raise typer.Exit()


@app.callback()
def _root(
    _show_version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                help="Print the installed version and exit.")] = False,
) -> None:
    """Slack helpdesk bot: answers from a knowledge base, escalates to on-call, follows up."""


@app.command()
def run(host: Annotated[str, typer.Option(help="Interface to listen on.")] = "0.0.0.0",
        role: Annotated[Role, typer.Option(help="all: acknowledge here, work in a child process; web: only store "
                                                "and acknowledge; worker: only work (no HTTP).")] = Role.ALL) -> int:
    """Run the bot (HTTP mode at /slack/events, or Socket Mode with SLACK_APP_TOKEN).

    Exit codes: 0 stopped by SIGTERM/SIGINT, 1 invalid KB, 2 missing or malformed setting, 3 database,
    4 Slack, 5 port in use.
    """
    from wiring.service import run_service

    return run_service(_setup(quiet=False), host, role=role.value)


@app.command()
def demo(kb: Annotated[Path | None, typer.Option("--kb", help="Knowledge base directory (default: the shipped "
                                                              "example).", show_default=False)] = None) -> int:
    """Run the whole loop locally against a stand-in Slack."""
    from localslack.demo import run_demo

    _setup()
    return run_demo(kb_dir=kb, out=sys.stdout)


@app.command()
def metrics(as_json: JsonOption = False, kb: KbOption = None) -> int:
    """The overall service measures from DATABASE_URL (`helploop report` has them per department, period and staff
    member, against the standards). Read-only: exit 1 when the database is missing, empty or behind."""
    from datetime import UTC

    from cli import reporttool

    settings = _setup()
    options = reporttool.Options(format=reporttool.SUMMARY + ("-json" if as_json else ""))
    return reporttool.run(settings.database_url, _kb_dir(kb), options, sys.stdout, sys.stderr, datetime.now(UTC))


def _moment(text: str) -> datetime:
    from cli.reporttool import parse_moment

    try:
        return parse_moment(text)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None


_MomentOption = typer.Option(parser=_moment, metavar="DATE", show_default=False,
                             help="YYYY-MM-DD (UTC midnight) or an ISO 8601 time with offset.")


@app.command()
def report(
    since: Annotated[datetime | None, _MomentOption] = None,
    until: Annotated[datetime | None, _MomentOption] = None,
    department: Annotated[str | None, typer.Option(help="One department id (default: all).",
                                                   show_default=False)] = None,
    period: Annotated[str, typer.Option(help="day, week or month.")] = "week",
    fmt: Annotated[str, typer.Option("--format", help="table, csv, json or html.")] = "table",
    out: Annotated[Path | None, typer.Option(help="Write to this file.", show_default=False)] = None,
    exact: Annotated[bool, typer.Option(help="Medians and p90s from every value, not from a sample of a group of "
                                             "many thousand requests (slower).")] = False,
    kb: KbOption = None,
) -> int:
    """Service measures against the departments' standards, from DATABASE_URL (read-only; README "Measures")."""
    from datetime import UTC

    from cli import reporttool

    options = reporttool.Options(since, until, department, period, fmt, out, exact)
    return reporttool.run(_setup().database_url, _kb_dir(kb), options, sys.stdout, sys.stderr, datetime.now(UTC))


def _instant(text: str) -> datetime:
    from cli.oncalltool import parse_at

    try:
        return parse_at(text)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None


@app.command()
def oncall(
    department: Annotated[str | None, typer.Option(help="One department id (default: all).",
                                                   show_default=False)] = None,
    at: Annotated[datetime | None, typer.Option(parser=_instant, metavar="TIME",
                                                help="ISO 8601 time with offset, e.g. 2026-12-24T10:00+01:00 "
                                                     "(default: now).", show_default=False)] = None,
    as_json: JsonOption = False,
    kb: KbOption = None,
) -> int:
    """Who is on call now and next, per department and layer (exit 2: unknown department)."""
    from datetime import UTC

    from cli import oncalltool

    settings = _setup()
    kb_dir = kb if kb is not None else settings.kb_dir
    return oncalltool.show(kb_dir, department, at, as_json, sys.stdout, sys.stderr, now=datetime.now(UTC),
                           database_url=settings.database_url)  # names from the people cache, read-only


@app.command()
def purge(dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would be removed; change nothing.")]
          = False) -> int:
    """Remove the texts of old requests (retention), from DATABASE_URL."""
    from cli import dbtool

    settings = _setup()
    missing = dbtool.absent(settings.database_url)
    if missing:
        print(f"helploop purge: {missing}", file=sys.stderr)
        return 1
    try:
        from cli import purgetool
    except ModuleNotFoundError as error:
        if error.name != "cli.purgetool":
            raise
        print("helploop purge: not available in this build of helploop", file=sys.stderr)
        return 1
    return purgetool.run(settings, dry_run, sys.stdout)


@kb_app.command("check")
def kb_check(kb: KbOption = None,
             show_all: Annotated[bool, typer.Option("--all", help="Every finding, and check every phrasing.")]
             = False) -> int:
    """Validate the knowledge base; every error names file, entry and field (exit 1)."""
    from cli import kbtool

    from cli import capturetool

    kb_dir = _kb_dir(kb)
    if show_all:
        result = kbtool.check(kb_dir, sys.stdout, sys.stderr, show_all=True)
    else:
        result = kbtool.check(kb_dir, sys.stdout, sys.stderr)
    if result:
        return result
    return capturetool.check_drafts(kb_dir, _drafts_dir(kb_dir), sys.stdout, sys.stderr)


@kb_app.command("gaps")
def kb_gaps(
    since: Annotated[str, typer.Option(help="How far back: 30d, 12h, 2w, or an ISO date.")] = "30d",
    department: Annotated[str | None, typer.Option(help="One department id (default: all).",
                                                   show_default=False)] = None,
    min_count: Annotated[int, typer.Option("--min-count", min=1, help="Only groups asked this often.")] = 1,
    as_json: JsonOption = False,
    kb: KbOption = None,
) -> int:
    """Escalated questions the KB did not answer, grouped by similarity, most asked first (read-only)."""
    from datetime import UTC

    from cli import capturetool

    try:
        start = capturetool.parse_since(since, datetime.now(UTC))
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--since") from None
    kb_dir = _kb_dir(kb)
    return capturetool.gaps(_setup().database_url, kb_dir, start, department, as_json, sys.stdout, sys.stderr,
                            min_count=min_count)


@kb_app.command("drafts")
def kb_drafts(kb: KbOption = None, as_json: JsonOption = False) -> int:
    """Draft KB entries saved from resolutions ("Save as answer"), waiting for an admin to merge them."""
    from cli import capturetool

    kb_dir = _kb_dir(kb)
    return capturetool.drafts(kb_dir, _drafts_dir(kb_dir), as_json, sys.stdout, sys.stderr)


def _drafts_dir(kb_dir: Path) -> Path:
    """KB_DRAFTS_DIR, else `kb_drafts/` next to the KB being checked."""
    from dataclasses import replace

    return replace(_setup(), kb_dir=kb_dir).drafts_dir()


@kb_app.command("match")
def kb_match(
    questions: Annotated[list[str] | None, typer.Argument(help="Questions (default: one per line on stdin).",
                                                          show_default=False)] = None,
    kb: KbOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per question.")] = False,
) -> int:
    """What the bot would answer, per question."""
    from cli import kbtool

    kb_dir = _kb_dir(kb)
    inp = io.StringIO("\n".join(questions)) if questions else sys.stdin
    return kbtool.match(kb_dir, inp, sys.stdout, sys.stderr, as_json=as_json)


@kb_app.command("test")
def kb_test(kb: KbOption = None,
            cases: Annotated[Path | None, typer.Option(help="Cases file (default: <KB_DIR>/cases.yaml).",
                                                       show_default=False)] = None) -> int:
    """Run the KB regression cases: question -> expected entry or escalate (exit 1 when one fails)."""
    from cli import kbtool

    return kbtool.test(_kb_dir(kb), cases, sys.stdout, sys.stderr)


@db_app.command("upgrade")
def db_upgrade() -> int:
    """Migrate the database to this helploop's newest revision (creates a SQLite file if need be)."""
    from cli import dbtool

    return dbtool.upgrade(_setup().database_url, sys.stdout, sys.stderr)


@db_app.command("current")
def db_current() -> int:
    """The database's revision and whether it is the newest; never migrates (exit 1 when it is not)."""
    from cli import dbtool

    return dbtool.current(_setup().database_url, sys.stdout, sys.stderr)


def _kb_dir(kb: Path | None) -> Path:
    settings = _setup()  # read even when --kb is given: a malformed setting is reported by every command
    return kb if kb is not None else settings.kb_dir


if __name__ == "__main__":
    sys.exit(main())
