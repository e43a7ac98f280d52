"""Prometheus metrics of every Courtyard process, defined once here.

Each metric is updated at exactly one place in the code:

- updates handled and their time: ``bot.middlewares.metrics`` (the first update
  middleware);
- messages sent, refused, 429s, undeliverable: ``bot.sender.OutgoingLimiter`` (every
  Bot API call passes it);
- gate decisions, their time, door failures: ``access.service.AccessRuntime.verify``;
- face images at the gate API: ``access.api``;
- periodic job runs and their time: ``core.scheduler.Scheduler``;
- outbox and spool depth: read when scraped (``bot.metrics``), by the processes that
  handle updates or run jobs.

They live in prometheus_client's default registry (with its process and Python
collectors: ``process_cpu_seconds_total``, ``process_resident_memory_bytes`` …);
``/metrics`` is served by :mod:`core.probes`. See docs/operations.md for the list
with suggested alerts (decision 0022).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

# Chat updates take milliseconds; a gate decision must stay far under a second.
_FAST_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_JOB_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0)

UPDATES = Counter(
    "courtyard_updates",
    "Telegram updates handled, by type (message, callback_query …) and outcome "
    "(handled, unhandled: no handler matched, duplicate: delivered again and skipped, "
    "error: a handler raised).",
    ["type", "outcome"],
)
UPDATE_SECONDS = Histogram(
    "courtyard_update_seconds",
    "Time to handle one update, including its commit.",
    ["type"],
    buckets=_FAST_BUCKETS,
)
MESSAGES = Counter(
    "courtyard_messages",
    "Bot API send calls (sendMessage, sendPhoto …) by outcome: sent, refused "
    "(Telegram answered an error), rate_limited (a 429 was given up on).",
    ["outcome"],
)
TELEGRAM_429 = Counter(
    "courtyard_telegram_429",
    "429 Too Many Requests answers from Telegram (each waited out and retried).",
)
UNDELIVERABLE = Counter(
    "courtyard_undeliverable",
    "Messages that cannot reach their recipient (blocked, deactivated, forbidden, "
    "chat_not_found), recorded for staff.",
    ["reason"],
)
GATE_DECISIONS = Counter(
    "courtyard_gate_decisions",
    "Gate decisions by method (code, qr, face, remote, staff) and outcome (granted, "
    "or the reason of a refusal).",
    ["method", "outcome"],
)
GATE_SECONDS = Histogram(
    "courtyard_gate_decision_seconds",
    "Time of one gate decision: its transaction and the door command.",
    ["method"],
    buckets=_FAST_BUCKETS,
)
DOOR_FAILURES = Counter(
    "courtyard_door_failures",
    "Doors that did not open after a granted decision, by driver.",
    ["driver"],
)
FACE_DECISIONS = Counter(
    "courtyard_face_decisions",
    "Face images at the gate API by outcome: granted, refused, or the problem with "
    "the image (no_face, several_faces …), or unavailable (face engine not ready).",
    ["outcome"],
)
JOB_RUNS = Counter(
    "courtyard_job_runs",
    "Periodic job runs by job and outcome (ok, failed).",
    ["job", "outcome"],
)
JOB_SECONDS = Histogram(
    "courtyard_job_seconds", "Duration of one periodic job run.", ["job"], buckets=_JOB_BUCKETS
)

# Depths are read from the database and the spool directory when scraped, only by
# the processes that see them (bot and scheduler), so they live in a registry of their
# own that those processes add to their /metrics.
DEPTHS = CollectorRegistry(auto_describe=True)
OUTBOX_PENDING = Gauge(
    "courtyard_outbox_pending",
    "Must-deliver messages (receipts, statements, alerts) waiting to be sent.",
    registry=DEPTHS,
)
SPOOL_PENDING = Gauge(
    "courtyard_spool_pending",
    "Payments waiting in the spool directory for the database to take them.",
    registry=DEPTHS,
)
