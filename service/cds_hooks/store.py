"""The SQLite store of the CDS Hooks service: cards issued, feedback on them, cards shown at order-select.

One file shared by every worker (WAL mode, so readers never block the writer). Feedback is committed
with `synchronous=FULL` before the call is answered, so nothing acknowledged is lost across a crash
or restart; a feedback item is keyed by (card, outcome, outcomeTimestamp), so a retried call stores
nothing twice, and the report counts one outcome per card, its latest.
"""

from __future__ import annotations

import json
import os
import pathlib
import sqlite3
import time
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from service.cds_hooks.wire import FeedbackItem

_SCHEMA = """
CREATE TABLE IF NOT EXISTS card (
    uuid TEXT PRIMARY KEY, kind TEXT NOT NULL, service TEXT NOT NULL, hook_instance TEXT NOT NULL,
    issued_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS feedback (
    card TEXT NOT NULL, outcome TEXT NOT NULL, outcome_timestamp TEXT NOT NULL, service TEXT NOT NULL,
    reason_system TEXT, reason_code TEXT, reason_display TEXT, comment TEXT, accepted TEXT,
    received_at REAL NOT NULL, PRIMARY KEY (card, outcome, outcome_timestamp));
CREATE TABLE IF NOT EXISTS shown (
    user_id TEXT NOT NULL, patient_id TEXT NOT NULL, encounter_id TEXT NOT NULL, fingerprint TEXT NOT NULL,
    shown_at REAL NOT NULL, PRIMARY KEY (user_id, patient_id, encounter_id, fingerprint));
"""

_LATEST_OUTCOMES = """
SELECT COALESCE(card.kind, 'unknown'), latest.outcome,
       COALESCE(latest.reason_display, latest.reason_code, '(none given)')
FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY card, service ORDER BY julianday(outcome_timestamp) DESC,
                                                           received_at DESC) AS n
      FROM feedback) AS latest
LEFT JOIN card ON card.uuid = latest.card AND card.service = latest.service
WHERE latest.n = 1
"""
"""Each card's latest outcome at each service, with its kind and override reason."""


def default_path() -> pathlib.Path:
    """$XDG_STATE_HOME/dosecheck/cds-hooks.sqlite3, else ~/.local/state/dosecheck/cds-hooks.sqlite3."""
    state = os.environ.get("XDG_STATE_HOME") or str(pathlib.Path.home() / ".local" / "state")
    return pathlib.Path(state) / "dosecheck" / "cds-hooks.sqlite3"


class Issued(NamedTuple):
    """A card as recorded when issued."""

    uuid: str
    kind: str
    fingerprint: str


class KindReport(NamedTuple):
    """Outcomes of one kind of card."""

    kind: str
    issued: int
    accepted: int
    overridden: int
    reasons: tuple[tuple[str, int], ...]
    """Override reasons (display, else code) by how often they were given, most often first."""

    @property
    def override_rate(self) -> float | None:
        """Overridden over all outcomes reported; None without any."""
        answered = self.accepted + self.overridden
        return self.overridden / answered if answered else None


class Store:
    """The database; open it in the process that uses it (a connection must not cross a fork)."""

    def __init__(self, path: pathlib.Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, timeout=5.0, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        """Closes the connection."""
        self._db.close()

    def record_issued(self, service: str, hook_instance: str, cards: Iterable[Issued]) -> None:
        """Remembers the cards of a call, so that feedback can be attributed to their kind."""
        now = time.time()
        rows = [(c.uuid, c.kind, service, hook_instance, now) for c in cards]
        if rows:
            with self._transaction():
                self._db.executemany("INSERT OR IGNORE INTO card VALUES (?, ?, ?, ?, ?)", rows)

    def remember_shown(self, user_id: str, patient_id: str, encounter_id: str, fingerprints: Iterable[str]) -> None:
        """Cards shown at order-select, for order-sign to filter out when the caller asks (PDDI-CDS)."""
        now = time.time()
        rows = [(user_id, patient_id, encounter_id, f, now) for f in fingerprints]
        if rows:
            with self._transaction():
                self._db.executemany("INSERT OR REPLACE INTO shown VALUES (?, ?, ?, ?, ?)", rows)

    def already_shown(self, user_id: str, patient_id: str, encounter_id: str, fingerprints: Sequence[str]) -> set[str]:
        """Which of `fingerprints` were shown to this clinician for this patient and encounter."""
        if not fingerprints:
            return set()
        marks = ",".join("?" * len(fingerprints))
        rows = self._db.execute(
            f"SELECT fingerprint FROM shown WHERE user_id = ? AND patient_id = ? AND encounter_id = ? "
            f"AND fingerprint IN ({marks})", (user_id, patient_id, encounter_id, *fingerprints))
        return {row[0] for row in rows}

    def issuers(self, cards: Sequence[str]) -> dict[str, str]:
        """The service that issued each of `cards` this database knows."""
        if not cards:
            return {}
        marks = ",".join("?" * len(cards))
        return dict(self._db.execute(f"SELECT uuid, service FROM card WHERE uuid IN ({marks})", tuple(cards)))

    def record_feedback(self, service: str, items: Iterable[FeedbackItem]) -> int:
        """Stores feedback durably; returns how many items were new (a retry stores nothing again)."""
        now = time.time()
        rows = []
        for item in items:
            reason: dict[str, Any] = (item.overrideReason.reason or {}) if item.overrideReason else {}
            accepted = [s.id for s in item.acceptedSuggestions or ()]
            rows.append((item.card, item.outcome, item.outcomeTimestamp, service,
                         _text(reason.get("system")), _text(reason.get("code")), _text(reason.get("display")),
                         item.overrideReason.userComment if item.overrideReason else None,
                         json.dumps(accepted) if accepted else None, now))
        self._db.execute("PRAGMA synchronous=FULL")
        try:
            with self._transaction():
                before = self._db.total_changes
                self._db.executemany("INSERT OR IGNORE INTO feedback VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
                return self._db.total_changes - before
        finally:
            self._db.execute("PRAGMA synchronous=NORMAL")

    def report(self) -> list[KindReport]:
        """Outcomes by card kind, one per card: its latest (by outcomeTimestamp, then arrival).

        A client may send a card's feedback several times, with a new outcomeTimestamp at each retry (the spec:
        "a CDS Service may receive feedback for the same card instance multiple times"); counting each would
        inflate the override rate. Feedback on a card this database never issued, or that another service issued,
        counts as `unknown`.
        """
        issued = dict(self._db.execute("SELECT kind, COUNT(*) FROM card GROUP BY kind").fetchall())
        outcomes: dict[str, dict[str, int]] = {}
        reasons: dict[str, dict[str, int]] = {}
        for kind, outcome, reason in self._db.execute(_LATEST_OUTCOMES):
            counted = outcomes.setdefault(kind, {})
            counted[outcome] = counted.get(outcome, 0) + 1
            if outcome == "overridden":
                given = reasons.setdefault(kind, {})
                given[reason] = given.get(reason, 0) + 1
        kinds = sorted(set(issued) | set(outcomes))
        return [KindReport(k, issued.get(k, 0), outcomes.get(k, {}).get("accepted", 0),
                           outcomes.get(k, {}).get("overridden", 0),
                           tuple(sorted(reasons.get(k, {}).items(), key=lambda r: (-r[1], r[0])))) for k in kinds]

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on error.

    The writer lock is taken up front, so two workers never deadlock upgrading read locks.
    """

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        self._db.execute("COMMIT" if kind is None else "ROLLBACK")


def _text(value: object) -> str | None:
    return value[:500] if isinstance(value, str) and value else None
