"""Every area of the bot, in routing order: the one list ``bot/`` reads.

One line per area. An area moved into its package (``handlers/<area>/``) is listed
as ``<area>.feature``; the rest are still flat modules, wrapped here until they move.
Routers of a ``first`` feature are included before all others (see
``handlers.kit.Feature``); the fallback stays last.
"""

from __future__ import annotations

from handlers import (
    admin,
    audit,
    community,
    equipment,
    faces,
    fees,
    gate,
    movein,
    patrols,
    profile,
    scorecard,
    shifts,
    start,
    surveys,
    tickets,
)
from handlers.kit import Feature

FEATURES: list[Feature] = [
    start.feature,
    fees.payments_feature,
    gate.parking_payments,
    patrols.scan_feature,
    gate.link_feature,
    admin.feature,
    audit.feature,
    movein.feature,
    profile.feature,
    community.feature,
    surveys.feature,
    tickets.feature,
    fees.feature,
    gate.feature,
    faces.feature,
    patrols.feature,
    equipment.feature,
    shifts.feature,
    scorecard.feature,
    start.fallback_feature,
]
