"""Logging for the service: LOG_LEVEL, LOG_FORMAT=text|json, quiet third-party noise, no message text."""
from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

NOISY = ("alembic", "apscheduler", "slack_bolt", "slack_sdk", "waitress", "urllib3", "sqlalchemy.engine")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_STANDARD = set(vars(logging.LogRecord("x", 0, "x", 0, "", (), None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and any `extra={...}` fields."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON (newlines in messages cannot forge log lines)."""
        line = {"time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
                "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        line.update({k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


class OneLineFormatter(logging.Formatter):
    """Text lines with control characters escaped, so a value cannot start a forged log line."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as text; extra fields appended as key=value."""
        extra = {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}
        text = super().format(record)
        if extra:
            text += " " + " ".join(f"{k}={v}" for k, v in extra.items())
        head, newline, trace = text.partition("\nTraceback")
        return head.replace("\n", "\\n").replace("\r", "\\r") + (newline + "Traceback" + trace if newline else "")


def configure(level: str = "INFO", fmt: str = "text") -> None:
    """Set up the root logger once for a command."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else OneLineFormatter(TEXT_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in NOISY:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
