"""A durable spool for Telegram payments the database could not take.

Telegram reports a completed payment once, with a ``successful_payment`` message.
If recording it fails (the database is down, a migration is half-way, a disk is
full), nobody would deliver it again: polling has already confirmed the update, and
the webhook answered 200 (the error handler apologised). The money has moved, so the
record must not be lost. The handler writes the payment here instead — one small
JSON file per payment, written to a temporary name, synced and renamed into place,
so a file is either whole or absent — and a scheduled job records spooled payments
once the database answers again, then removes them.

Recording is idempotent (the Telegram charge id is unique in the ledger), so a
payment spooled twice, or recorded and then replayed from the spool after a crash
between the two steps, is still recorded exactly once.

The spool is a local directory: it is the fallback for the moments the shared
database is unavailable. In a deployment of several processes each replays its own.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

log = logging.getLogger(__name__)

PAYMENTS = "payments"


@dataclass(frozen=True, slots=True)
class SpooledPayment:
    """What Telegram reported (everything :func:`core.fees.payments.
    record_successful_payment` needs), who paid, and where to answer."""

    payload: str
    currency: str
    total_amount: int
    telegram_payment_charge_id: str
    provider_payment_charge_id: str | None
    payer_telegram_id: int | None
    chat_id: int
    received_at: datetime
    locale: str | None = None

    def to_json(self) -> str:
        data = asdict(self)
        data["received_at"] = self.received_at.isoformat()
        return json.dumps(data, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> SpooledPayment:
        data = json.loads(text)
        data["received_at"] = datetime.fromisoformat(data["received_at"])
        return cls(**data)


class PaymentSpool:
    """The directory of spooled payments (created when first needed)."""

    def __init__(self, root: Path) -> None:
        self.directory = root / PAYMENTS

    def _path(self, charge_id: str) -> Path:
        # Charge ids are Telegram's strings: a fixed, safe file name per payment.
        digest = hashlib.sha256(charge_id.encode("utf-8")).hexdigest()[:32]
        return self.directory / f"{digest}.json"

    def put(self, payment: SpooledPayment) -> Path:
        """Write ``payment`` durably; returns its file. Blocking: call in a thread."""
        self.directory.mkdir(parents=True, exist_ok=True)
        target = self._path(payment.telegram_payment_charge_id)
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".incoming-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(payment.to_json())
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _sync_directory(self.directory)
        return target

    def pending(self) -> list[tuple[Path, SpooledPayment]]:
        """Spooled payments, oldest first. A file that cannot be read is left where
        it is and logged: it holds money we must not drop silently."""
        if not self.directory.is_dir():
            return []
        found: list[tuple[Path, SpooledPayment]] = []
        for path in self.directory.glob("*.json"):
            try:
                found.append((path, SpooledPayment.from_json(path.read_text("utf-8"))))
            except (OSError, ValueError, TypeError, KeyError):
                log.error("unreadable spooled payment", extra={"fields": {"file": str(path)}})
        found.sort(key=lambda item: item[1].received_at)
        return found

    def remove(self, path: Path) -> None:
        path.unlink(missing_ok=True)
        _sync_directory(self.directory)


def _sync_directory(directory: Path) -> None:
    """Make a rename or removal in ``directory`` itself durable."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse to sync a directory; the file itself is synced
    finally:
        os.close(fd)
