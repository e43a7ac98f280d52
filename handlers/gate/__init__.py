"""The gate in the chat: visitor and worker passes, remote opening, and the gate
staff's commands in the admin group.

Resident side (private chat), in routing order — a flow's catch-all re-asks come
before the entry commands of the flows after it, as they always have:
``invite`` → ``invite_pass`` → ``pass_steps`` (start, home, cancel) → ``gate_step``
(gates, confirm) →
``visitor_link`` → ``my_passes`` → ``remote_open`` → ``worker_request`` →
``worker_schedule`` → ``vehicle_register`` → ``parking_pay`` (``parking_checkout``
before every flow). Admin group: ``worker_decision``,
``vehicle_decision``, ``vehicle_staff``, ``staff_open``, ``staff_log``,
``emergency``. Outside updates: ``notifier`` (the gate runtime's alerts) and ``jobs``
(expiry, overstays, the gate terminal API).
"""

from __future__ import annotations

from bot.context import AppContext
from handlers.gate import (
    emergency,
    gate_step,
    invite,
    invite_pass,
    my_passes,
    parking_checkout,
    parking_pay,
    pass_steps,
    remote_open,
    staff_log,
    staff_open,
    vehicle_decision,
    vehicle_register,
    vehicle_staff,
    visitor_link,
    worker_decision,
    worker_request,
    worker_schedule,
)
from handlers.gate.jobs import gate_api_service, register_jobs
from handlers.gate.notifier import ChatNotifier
from handlers.kit import Feature


def _alerts_to_chat(ctx: AppContext) -> None:
    """The gate runtime's alerts go to the admin group and to hosts."""
    ctx.gate.notifier = ChatNotifier(ctx)


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
        visitor_link.router,
        my_passes.router,
        remote_open.router,
        worker_request.router,
        worker_schedule.router,
        vehicle_register.router,
        parking_pay.router,
        worker_decision.router,
        vehicle_decision.router,
        vehicle_staff.router,
        staff_open.router,
        staff_log.router,
        emergency.router,
    ),
    jobs=register_jobs,
    services=(gate_api_service,),
    attach=_alerts_to_chat,
    domain="access",
)
