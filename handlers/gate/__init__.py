"""The gate in the chat: visitor, worker, delivery and daily-help passes, remote
opening, and the gate staff's commands in the admin group.

Resident side (private chat), in routing order — a flow's catch-all re-asks come
before the entry commands of the flows after it, as they always have:
``invite`` → ``invite_pass`` → ``pass_steps`` (start, home, cancel) → ``gate_step``
(gates, confirm) → ``my_passes`` → ``remote_open`` → ``resident_qr`` (the resident's
own gate QR) → ``worker_request`` → ``worker_schedule`` → ``delivery`` →
``daily_help`` → ``help_renewal`` → ``vehicle_register`` → ``parking_pay``; ``visitor_link`` and
``help_households`` (a daily-help invitation) go before every area
(``link_feature``), so a forwarded link opens mid-conversation, and so does
``parking_checkout`` (``parking_payments``). Admin group: ``worker_decision``,
``vehicle_decision``, ``vehicle_staff``, ``parking_refund``, ``staff_open``, ``staff_log``,
``presence`` (who is inside), ``emergency``, ``walkin_desk``; the household's answer to a walk-in
or intercom call: ``walkin_answer``, and turning gate calls off for a while:
``walkin_mute``. Outside updates: ``notifier`` (the gate runtime's alerts) and ``jobs``
(expiry, overstays, walk-ins without an answer, the gate terminal API).
"""

from __future__ import annotations

from bot.context import AppContext
from handlers.gate import (
    daily_help,
    delivery,
    emergency,
    gate_step,
    help_households,
    help_renewal,
    invite,
    invite_pass,
    my_passes,
    parking_checkout,
    parking_pay,
    parking_refund,
    pass_steps,
    presence,
    remote_open,
    resident_qr,
    staff_log,
    staff_open,
    vehicle_decision,
    vehicle_register,
    vehicle_staff,
    visitor_link,
    walkin_answer,
    walkin_desk,
    walkin_mute,
    worker_decision,
    worker_request,
    worker_schedule,
)
from handlers.gate.jobs import gate_api_service, register_jobs
from handlers.gate.notifier import ChatNotifier
from handlers.gate.walkin_notifier import ChatWalkinNotifier
from handlers.kit import Feature


def _alerts_to_chat(ctx: AppContext) -> None:
    """The gate runtime's alerts go to the admin group and to hosts."""
    ctx.gate.notifier = ChatNotifier(ctx)
    if ctx.gate.walkins is not None:
        ctx.gate.walkins.notifier = ChatWalkinNotifier(ctx)


# A forwarded pass link opens whatever conversation its reader is in (another flow's
# catch-all would otherwise take the /start link as its answer): it goes first.
link_feature = Feature(
    "gate.links", (visitor_link.router, help_households.router), domain="access", first=True
)

# Parking payments are recorded even in the middle of another conversation (as fees').
parking_payments = Feature(
    "gate.parking_payments", (parking_checkout.router,), domain="access", first=True
)
feature = Feature(
    "gate",
    (
        invite.router,
        invite_pass.router,
        pass_steps.router,
        gate_step.router,
        my_passes.router,
        remote_open.router,
        resident_qr.router,
        worker_request.router,
        worker_schedule.router,
        delivery.router,
        daily_help.router,
        help_renewal.router,
        vehicle_register.router,
        parking_pay.router,
        worker_decision.router,
        vehicle_decision.router,
        vehicle_staff.router,
        parking_refund.router,
        staff_open.router,
        staff_log.router,
        presence.router,
        emergency.router,
        walkin_answer.router,
        walkin_desk.router,
        walkin_mute.router,
    ),
    jobs=register_jobs,
    services=(gate_api_service,),
    attach=_alerts_to_chat,
    domain="access",
)
