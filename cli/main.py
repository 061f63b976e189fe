"""The `helploop` command: run the bot, run the local demo, check and try the knowledge base, show on-call."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dotenv import find_dotenv, load_dotenv

from wiring.logs import configure as configure_logging
from wiring.settings import Settings, SettingsError



def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    load_dotenv(find_dotenv(usecwd=True), override=False)  # the .env where the admin runs it
    try:
        settings = Settings.from_env()
        quiet = args.handler is not _run  # the demo and tools print their own output
        configure_logging("WARNING" if quiet else settings.log_level, settings.log_format)
        return args.handler(args)
    except SettingsError as error:
        print(f"helploop: {error}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    from wiring.service import run_service

    return run_service(Settings.from_env(), args.host)


def _demo(args: argparse.Namespace) -> int:
    from localslack.demo import run_demo

    return run_demo(kb_dir=Path(args.kb) if args.kb else None, out=sys.stdout)


def _kb_check(args: argparse.Namespace) -> int:
    from cli import kbtool

    return kbtool.check(_kb_dir(args), sys.stdout, sys.stderr)


def _kb_match(args: argparse.Namespace) -> int:
    from cli import kbtool

    return kbtool.match(_kb_dir(args), sys.stdin, sys.stdout, sys.stderr, as_json=args.json)


def _kb_test(args: argparse.Namespace) -> int:
    from cli import kbtool

    kb_dir = _kb_dir(args)
    return kbtool.test(kb_dir, Path(args.cases) if args.cases else None, sys.stdout, sys.stderr)


def _oncall(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from cli import oncalltool

    return oncalltool.show(_kb_dir(args), args.department, args.at, args.json, sys.stdout, sys.stderr,
                           now=datetime.now(UTC))


def _instant(text: str) -> object:
    from cli.oncalltool import parse_at

    try:
        return parse_at(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _metrics(args: argparse.Namespace) -> int:
    import json

    from bot.metrics import compute, render_metrics
    from storage.engine import make_engine, make_sessions
    from storage.migrate import upgrade

    engine = make_engine(Settings.from_env().database_url)
    try:
        upgrade(engine)  # an empty database has metrics too: all zero
        metrics = compute(make_sessions(engine))
    finally:
        engine.dispose()
    print(json.dumps(metrics.as_dict()) if args.json else render_metrics(metrics))
    return 0


def _kb_dir(args: argparse.Namespace) -> Path:
    return Path(args.kb) if args.kb else Settings.from_env().kb_dir


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="helploop", description="Slack helpdesk bot.")
    commands = parser.add_subparsers(title="commands")
    run = commands.add_parser("run", help="run the bot (HTTP mode, Bolt endpoint /slack/events)")
    run.add_argument("--host", default="0.0.0.0", help="interface to listen on (default 0.0.0.0)")
    run.set_defaults(handler=_run)
    demo = commands.add_parser("demo", help="run the whole loop locally against a stand-in Slack")
    demo.add_argument("--kb", help="knowledge base directory (default: the shipped example)")
    demo.set_defaults(handler=_demo)
    metrics = commands.add_parser("metrics", help="service metrics from the database (DATABASE_URL)")
    metrics.add_argument("--json", action="store_true", help="one JSON object")
    metrics.set_defaults(handler=_metrics)
    kb = commands.add_parser("kb", help="knowledge base tools").add_subparsers(title="kb commands")
    check = kb.add_parser("check", help="validate the knowledge base")
    check.add_argument("--kb", help="knowledge base directory (default: KB_DIR)")
    check.set_defaults(handler=_kb_check)
    match = kb.add_parser("match", help="match questions (one per line on stdin)")
    match.add_argument("--kb", help="knowledge base directory (default: KB_DIR)")
    match.add_argument("--json", action="store_true", help="one JSON object per line")
    match.set_defaults(handler=_kb_match)
    test = kb.add_parser("test", help="run the KB regression cases (question -> expected entry or escalate)")
    test.add_argument("--kb", help="knowledge base directory (default: KB_DIR)")
    test.add_argument("--cases", help="cases file (default: <KB_DIR>/cases.yaml)")
    test.set_defaults(handler=_kb_test)
    oncall = commands.add_parser("oncall", help="who is on call now and next, per department and layer")
    oncall.add_argument("--department", help="one department id (default: all)")
    oncall.add_argument("--at", type=_instant, help="ISO 8601 time with offset, e.g. 2026-12-24T10:00+01:00 (default: now)")
    oncall.add_argument("--json", action="store_true", help="print JSON")
    oncall.add_argument("--kb", help="knowledge base directory (default: KB_DIR)")
    oncall.set_defaults(handler=_oncall)
    return parser


if __name__ == "__main__":
    sys.exit(main())
