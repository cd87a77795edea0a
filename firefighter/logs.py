"""JSON log lines that say which incident and which Slack request they are about."""

from __future__ import annotations

import contextvars
import json
import logging
import sys
from datetime import datetime
from typing import Any

# Set while a request or an outbox item is handled, so every log line can say which.
incident_id_var: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "incident_id", default=None
)
request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the incident and Slack request in hand."""

    def format(self, record: logging.LogRecord) -> str:
        """Render `record` as a JSON line."""
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created).astimezone().isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        incident = getattr(record, "incident_id", None) or incident_id_var.get()
        if incident is not None:
            line["incident_id"] = incident
        request = request_id_var.get()
        if request is not None:
            line["slack_request_id"] = request
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


class _DropBoltTokenNotice(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN from the environment even when handed a client built from
    it, and then warns that the token is unused: true of every deployment, so no news."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


def quiet_libraries() -> None:
    """Keep the libraries' chatter out of the operators' log."""
    bolt = logging.getLogger("slack_bolt.App")
    if not any(isinstance(f, _DropBoltTokenNotice) for f in bolt.filters):
        bolt.addFilter(_DropBoltTokenNotice())


def configure_logging(level: int = logging.INFO) -> None:
    """Log JSON lines to stderr (idempotent)."""
    quiet_libraries()
    root = logging.getLogger()
    if any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root.handlers = [handler]
    root.setLevel(level)
