"""Logging set-up: readable text on a terminal, one JSON object per line otherwise."""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Literal

# Attributes every LogRecord has; anything else on a record came in through `extra=`. Uvicorn's
# `color_message` repeats the message with terminal colour codes: noise in a JSON line.
_STANDARD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName", "color_message"}

_TEXT_FORMAT = "%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object: time, level, logger, process id, message and any `extra` fields."""

    def format(self, record: logging.LogRecord) -> str:
        """Renders the record.

        Args:
            record: the record.

        Returns:
            One line of JSON.
        """
        entry: dict[str, object] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            # Which worker: with several, their lines are otherwise alike (a reload refused by one or by both).
            "pid": record.process,
            "message": record.getMessage(),
        }
        entry.update((k, v) for k, v in vars(record).items() if k not in _STANDARD_ATTRIBUTES)
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: str, log_format: Literal["auto", "json", "text"]) -> None:
    """Sends the root logger to stderr in the chosen format, replacing any earlier set-up.

    Args:
        level: a logging level name.
        log_format: `json`, `text`, or `auto` (text when stderr is a terminal).
    """
    use_json = log_format == "json" or (log_format == "auto" and not sys.stderr.isatty())
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter() if use_json else logging.Formatter(_TEXT_FORMAT)
    )
    logging.basicConfig(level=level, handlers=[handler], force=True)
    # The FHIR client's libraries log each request's URL (httpx at INFO, httpcore at DEBUG), and a FHIR search's
    # URL names the patient (`MedicationRequest?patient=...`): our log lines never name a patient.
    for client_library in ("httpx", "httpcore"):
        logging.getLogger(client_library).setLevel(logging.WARNING)
