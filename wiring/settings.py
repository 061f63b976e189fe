"""Settings from the environment (and a .env file, loaded by the CLI)."""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

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
    delivery_lease_seconds: float = 60.0  # a Slack write a dead sender held is sent (looked up first) after this
    sweep_seconds: float = 2.0           # how often unsent deliveries and unprocessed requests are looked for
    admins: tuple[str, ...] = ()        # Slack user ids allowed to use admin commands (/helploop status)
    note_prefix: str = "//"             # a staff message in a triage thread starting with this is an internal note
    log_level: str = "INFO"
    log_format: str = "text"             # or "json": one object per line
    log_text: bool = False               # LOG_TEXT=1 adds message text to request log lines (off: privacy)

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
        except ValueError as error:
            raise SettingsError(f"PORT and the *_SECONDS settings must be numbers: {error}") from None
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
            delivery_lease_seconds=max(delivery_lease, 3 * slack_timeout + 3),
            sweep_seconds=sweep,
            log_level=_choice("LOG_LEVEL", (get("LOG_LEVEL") or "INFO").upper(),
                              ("DEBUG", "INFO", "WARNING", "ERROR")),
            log_format=_choice("LOG_FORMAT", (get("LOG_FORMAT") or "text").lower(), ("text", "json")),
            log_text=get("LOG_TEXT") in ("1", "true", "yes"),
            note_prefix=get("NOTE_PREFIX") or "//",
            admins=_names(get("ADMINS")),
        )

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
