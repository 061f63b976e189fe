"""The `helploop` command: run the bot, run the local demo, check and try the knowledge base, show on-call."""
from __future__ import annotations

import argparse
import logging
import sys
import threading
from pathlib import Path

from dotenv import find_dotenv, load_dotenv

from wiring.settings import Settings, SettingsError

README_HINT = "See README.md, section \"Create the Slack app\"."


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    load_dotenv(find_dotenv(usecwd=True), override=False)  # the .env where the admin runs it
    quiet = args.handler is not _run  # the demo and tools print their own output
    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # a line per tick is noise
    try:
        return args.handler(args)
    except SettingsError as error:
        print(f"helploop: {error}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    missing = settings.missing_credentials()
    if missing:
        print(f"helploop run: missing {', '.join(missing)}. Set them in the environment or in .env "
              f"(see .env.example). {README_HINT}\nTo try helploop without Slack: helploop demo",
              file=sys.stderr)
        return 2
    from wiring.app import build
    from wiring.scheduler import start_scheduler
    from wiring.server import Server
    from kb import KbError

    try:
        helploop = build(settings)
    except KbError as error:
        print(f"helploop run: the knowledge base in {settings.kb_dir} is invalid:\n{error}", file=sys.stderr)
        return 1
    scheduler = start_scheduler(helploop.tick, settings.tick_seconds, helploop.sweep, settings.sweep_seconds,
                                helploop.kb_source.reload_if_changed, settings.kb_reload_seconds)
    try:
        if settings.slack_app_token:
            logging.getLogger("helploop").info("connecting to Slack in Socket Mode")
            helploop.serve_socket_mode(threading.Event())
        else:
            server = Server(helploop.wsgi, host=args.host, port=settings.port)
            logging.getLogger("helploop").info("listening on %s/slack/events (health: /health)", server.url)
            server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        scheduler.shutdown(wait=False)
        helploop.close()
    return 0


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
