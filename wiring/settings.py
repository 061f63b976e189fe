"""Settings from the environment (and a .env file, loaded by the CLI)."""
from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.daytime import DAYTIME, Daytime, parse_hours

EXAMPLE_KB_DIR = Path(__file__).resolve().parent.parent / "kb" / "example"
DEFAULT_API_URL = "https://slack.com/api/"


class SettingsError(ValueError):
    """A setting is missing or malformed."""


@dataclass(frozen=True)
class Settings:
    """Everything the bot reads from its environment."""

    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None  # set (xapp-…) to use Socket Mode instead of HTTP
    slack_api_url: str = DEFAULT_API_URL
    database_url: str = "sqlite:///helploop.db"
    kb_dir: Path = EXAMPLE_KB_DIR
    port: int = 3000
    tick_seconds: float = 15.0
    kb_reload_seconds: float = 10.0
    admin_channel: str | None = None  # where KB reload errors are reported
    help_channels: tuple[str, ...] = ()  # channels where every top-level message is a request
    help_reactions: tuple[str, ...] = ("sos",)  # emoji that turn a message into a request
    slack_timeout_seconds: float = 10.0  # one Web API call; a post that times out is looked up before a retry
    inbox_lease_seconds: float = 20.0    # a stored Slack request a dead worker held is taken again after this
    inbox_workers: int = 8               # threads processing stored Slack requests (per worker process)
    delivery_lease_seconds: float = 60.0  # a Slack write a dead sender held is sent (looked up first) after this
    sweep_seconds: float = 2.0           # how often unsent deliveries and unprocessed requests are looked for
    admins: tuple[str, ...] = ()        # Slack user ids allowed to use admin commands (/helploop status)
    frontline_users: tuple[str, ...] = ()  # FRONTLINE_USERS: their requests come first in the staff queue
    note_prefix: str = "//"             # a staff message in a triage thread starting with this is an internal note
    survey_seed: str = "helploop"       # seeds who is sampled for ratings and pulse surveys (deterministic)
    log_level: str = "INFO"
    log_format: str = "text"             # or "json": one object per line
    log_text: bool = False               # LOG_TEXT=1 adds message text to request log lines (off: privacy)
    default_language: str = "en"         # for people whose Slack locale and question do not tell (en, vi, pl)
    spike_people: int = 5               # SPIKE_PEOPLE: this many people asking the same unanswered thing alert; 0: off
    spike_window_minutes: int = 120     # SPIKE_WINDOW_MINUTES: ... within this window
    past_cases: int = 3                 # PAST_CASES: similar resolved requests shown under a triage post; 0: off
    kb_drafts_dir: Path | None = None   # KB_DRAFTS_DIR: where "Save as answer" writes (default: drafts_dir())
    worker_process: bool = True          # `helploop run` acks in one process and works in a child (wiring/worker.py)
    worker_nice: int = 10                # the child's CPU priority below the acks (0-19)
    web_processes: int = 2               # processes acknowledging HTTP requests on the one port (wiring/worker.py)
    requester_hours: Daytime = DAYTIME   # REQUESTER_HOURS: follow-ups, re-checks, pulses reach people 9-18 (or off)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read settings from `env` (default: os.environ); empty values count as unset."""
        env = os.environ if env is None else env

        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        try:
            port = int(get("PORT") or 3000)
            tick = float(get("SCHEDULER_TICK_SECONDS") or 15)
            reload_every = float(get("KB_RELOAD_SECONDS") or 10)
            slack_timeout = float(get("SLACK_TIMEOUT_SECONDS") or 10)
            lease = float(get("INBOX_LEASE_SECONDS") or 20)
            delivery_lease = float(get("DELIVERY_LEASE_SECONDS") or 60)
            sweep = float(get("SWEEP_SECONDS") or 2)
            nice = int(get("WORKER_NICE") or 10)
            web_processes = int(get("WEB_PROCESSES") or 2)
            inbox_workers = max(1, int(get("INBOX_WORKERS") or 8))
        except ValueError as error:
            raise SettingsError(f"PORT, WORKER_NICE, WEB_PROCESSES, INBOX_WORKERS and the *_SECONDS settings must be numbers: {error}") from None
        capture = _capture(get)
        api_url = get("SLACK_API_URL") or DEFAULT_API_URL
        return cls(
            slack_bot_token=get("SLACK_BOT_TOKEN"),
            slack_signing_secret=get("SLACK_SIGNING_SECRET"),
            slack_app_token=get("SLACK_APP_TOKEN"),
            slack_api_url=api_url if api_url.endswith("/") else api_url + "/",
            database_url=get("DATABASE_URL") or "sqlite:///helploop.db",
            kb_dir=Path(get("KB_DIR") or EXAMPLE_KB_DIR),
            port=port,
            tick_seconds=tick,
            kb_reload_seconds=reload_every,
            admin_channel=get("ADMIN_CHANNEL"),
            help_channels=_names(get("HELP_CHANNELS")),
            help_reactions=_names(get("HELP_REACTIONS")) or ("sos",),
            slack_timeout_seconds=slack_timeout,
            inbox_lease_seconds=lease,
            inbox_workers=inbox_workers,
            delivery_lease_seconds=max(delivery_lease, 3 * slack_timeout + 3),
            sweep_seconds=sweep,
            log_level=_choice("LOG_LEVEL", (get("LOG_LEVEL") or "INFO").upper(),
                              ("DEBUG", "INFO", "WARNING", "ERROR")),
            log_format=_choice("LOG_FORMAT", (get("LOG_FORMAT") or "text").lower(), ("text", "json")),
            log_text=get("LOG_TEXT") in ("1", "true", "yes"),
            note_prefix=get("NOTE_PREFIX") or "//",
            survey_seed=get("SURVEY_SEED") or "helploop",
            admins=_names(get("ADMINS")),
            frontline_users=_names(get("FRONTLINE_USERS")),
            default_language=_choice("DEFAULT_LANGUAGE", (get("DEFAULT_LANGUAGE") or "en").lower(), ("en", "vi", "pl")),
            **capture,
            worker_process=get("WORKER_PROCESS") not in ("0", "false", "no"),
            worker_nice=min(max(nice, 0), 19),
            web_processes=min(max(web_processes, 1), 16),
            requester_hours=_hours(get("REQUESTER_HOURS")),
        )

    def drafts_dir(self) -> Path:
        """Where draft KB entries go: KB_DRAFTS_DIR, else `kb_drafts/` next to the KB (in the current directory
        for the shipped example KB, which lives inside the installed package)."""
        if self.kb_drafts_dir is not None:
            return self.kb_drafts_dir
        return Path("kb_drafts") if self.kb_dir.resolve() == EXAMPLE_KB_DIR else self.kb_dir.parent / "kb_drafts"

    def missing_credentials(self) -> list[str]:
        """Names of the Slack credentials that are not set."""
        missing = []
        if not self.slack_bot_token:
            missing.append("SLACK_BOT_TOKEN")
        if not self.slack_signing_secret and not self.slack_app_token:
            missing.append("SLACK_SIGNING_SECRET")  # HTTP mode verifies every request with it
        return missing


def _names(value: str | None) -> tuple[str, ...]:
    """A comma-separated list ("C1, C2" or ":sos:,ticket") as clean names."""
    return tuple(name.strip().strip(":") for name in (value or "").split(",") if name.strip().strip(":"))


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise SettingsError(f"{name} must be one of {', '.join(allowed)} (got {value!r})")
    return value


def _hours(value: str | None) -> Daytime:
    try:
        return parse_hours(value)
    except ValueError:
        raise SettingsError(f"REQUESTER_HOURS must be like 9-18 (whole hours, 0-24), or off (got {value!r})") \
            from None


def _capture(get: Callable[[str], str | None]) -> dict[str, Any]:
    """The knowledge-capture settings (SPIKE_PEOPLE, SPIKE_WINDOW_MINUTES, PAST_CASES, KB_DRAFTS_DIR)."""
    try:
        people, window, past = (int(get(name) or default) for name, default in
                                (("SPIKE_PEOPLE", 5), ("SPIKE_WINDOW_MINUTES", 120), ("PAST_CASES", 3)))
    except ValueError as error:
        raise SettingsError(f"SPIKE_PEOPLE, SPIKE_WINDOW_MINUTES and PAST_CASES must be whole numbers: {error}") \
            from None
    if people < 0 or window < 1 or past < 0:
        raise SettingsError("SPIKE_PEOPLE and PAST_CASES must be 0 or more, SPIKE_WINDOW_MINUTES 1 or more")
    drafts = get("KB_DRAFTS_DIR")
    return {"spike_people": people, "spike_window_minutes": window, "past_cases": min(past, 10),
            "kb_drafts_dir": Path(drafts) if drafts else None}
