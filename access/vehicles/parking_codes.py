"""The code an exit terminal shows for a stay's temporary parking, and how long the
exit stays open after a payment.

The code is derived from the stay (HMAC-SHA256 with the deployment's key), so the
terminal shows the same one at every try; the stay keeps only its keyed hash, which is
how the bot finds the stay when someone sends the code. It lets anyone *pay* for that
stay — nothing else — so 8 digits are enough.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

#: After a payment the fee stops this long: time to drive to the barrier.
EXIT_GRACE = timedelta(minutes=15)
PAY_CODE_DIGITS = 8


def pay_code(secret_key: str, stay_id: int) -> str:
    digest = hmac.new(secret_key.encode(), f"parking:{stay_id}".encode(), hashlib.sha256)
    return str(int.from_bytes(digest.digest()[:8], "big") % 10**PAY_CODE_DIGITS).zfill(
        PAY_CODE_DIGITS
    )
