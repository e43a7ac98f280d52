"""Patrols: checkpoints with printed QR codes, routes walked in rounds on a schedule,
alerts for missed points and the daily report — the office's own work, recorded.

Private chat: :mod:`.scan` (a staff member scans a checkpoint's QR), then for a
fire lane :mod:`.lane_check` (clear or blocked). Admin group: :mod:`.setup`
(``/checkpoint_add``, ``/route_add``), :mod:`.duty` (``/route_guard``,
``/routes``), :mod:`.lanes` (``/firelane_add``,
``/firelane_report``), :mod:`.sheet`
(``/checkpoints``, the PDF sheet), :mod:`.report` (``/patrol_report``). Jobs:
:mod:`.jobs`. Texts shared by them: :mod:`.texts`. The domain is in
:mod:`core.patrols`.
"""

from __future__ import annotations

from handlers.kit import Feature
from handlers.patrols import duty, lane_check, lanes, report, scan, setup, sheet
from handlers.patrols.jobs import register_jobs

# A guard scans a checkpoint whatever conversation they are in (another flow's
# catch-all would otherwise take the /start link): the scan goes before every flow.
scan_feature = Feature(
    "patrols.scan", (scan.router, lane_check.router), domain="office", first=True
)
feature = Feature(
    "patrols",
    (
        setup.router,
        duty.router,
        lanes.router,
        sheet.router,
        report.router,
    ),
    jobs=register_jobs,
    domain="office",
)
