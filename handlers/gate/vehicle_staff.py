"""The vehicles for staff in the admin group: who is inside, the in/out log, and the
community's black and white lists of plates.

1. ``/cars`` (``vehicles.view``): the vehicles inside now, with since when and for
   how long; ``/cars log``: the latest stays, in and out, with their dwell time.
2. ``/plateblock PLATE [note]`` and ``/plateallow PLATE [note]`` (``vehicles.list``):
   the plate goes on the black list (never opens) or the white list (opens the vehicle
   gates without a registration or a pass); putting it on one list takes it off the
   other. ``/plateunlist PLATE`` takes it off. ``/platelists`` shows both lists.
   Every change is audited; a text that is no plate gets the plate rule's answer.
3. ``/plateend PLATE`` (``vehicles.end``): a resident's registration ends (a car sold,
   or the plate another home asked for); the plate no longer opens for that home.
4. ``/parkingfees`` (``vehicles.view``) shows the temporary parking tariff;
   ``/setparkingfees free=MIN small=RATE/CAP large=… new_energy=…`` (yuan) or ``off``
   sets it (``vehicles.tariff``, audited); anything else gets the format.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from access.vehicles.lists import listed_plates, set_listed, unlist
from access.vehicles.models import ListKind
from access.vehicles.presence import Stay, recent_stays, vehicles_inside
from access.vehicles.registry import VehicleError, end_registration
from access.vehicles.tariff import ParkingTariff, TariffError, read_tariff, set_tariff
from bot.context import AppContext
from core.formatting import fmt_money, fmt_short_datetime
from core.identity import Identity
from core.models import Community
from handlers.gate.audit import audit
from handlers.gate.texts import reason_label
from handlers.gate.vehicle_views import class_labels, vehicle_error_text
from handlers.kit import admin_router, commit_before_send, group_command

router = admin_router("gate.vehicle_staff")

group_command("cars", __("Vehicles inside now: /cars [log]"), order=43)
group_command("plateblock", __("Black-list a plate: /plateblock PLATE [note]"), order=44)
group_command("plateallow", __("White-list a plate: /plateallow PLATE [note]"), order=45)
group_command("plateunlist", __("Take a plate off the lists: /plateunlist PLATE"), order=46)
group_command("platelists", __("The black and white lists of plates"), order=47)
group_command("parkingfees", __("The temporary parking fees"), order=49)
group_command("setparkingfees", __("Set them: /setparkingfees free=30 small=5/30 …"), order=50)
group_command("plateend", __("End a resident's plate registration: /plateend PLATE"), order=48)


def _stay_line(stay: Stay, community: Community, now: datetime) -> str:
    tz, locale = community.timezone, community.locale
    whose = escape(stay.unit_label) or reason_label(stay.reason)
    line = f"🚗 {escape(stay.plate)} · {whose} · {fmt_short_datetime(stay.entered_at, tz, locale)}"
    if not stay.inside and stay.exited_at is not None:
        line += f" → {fmt_short_datetime(stay.exited_at, tz, locale)}"
    dwell = stay.dwell(now)
    if dwell is None:
        return line + " · " + _("exit not seen")
    minutes = int(dwell.total_seconds()) // 60
    return (
        line
        + " · "
        + _("{hours} h {minutes} min").format(hours=minutes // 60, minutes=minutes % 60)
    )


@router.message(Command("cars"), flags={"staff": "vehicles.view"})
async def cars(
    message: Message,
    command: CommandObject,
    community: Community,
    session: AsyncSession,
    app: AppContext,
) -> None:
    log = (command.args or "").strip().casefold() in ("log", "日志")
    stays = await (recent_stays if log else vehicles_inside)(session, community.id)
    now = app.clock.now()
    if not stays:
        await message.reply(_("No vehicle stays yet.") if log else _("No vehicles inside now."))
        return
    title = (
        _("🚗 The latest vehicle stays:")
        if log
        else _("🚗 Vehicles inside now ({count}):").format(count=len(stays))
    )
    await message.reply("\n".join([title, *(_stay_line(s, community, now) for s in stays)]))


@router.message(Command("plateblock", "plateallow"), flags={"staff": "vehicles.list"})
async def plate_list(
    message: Message,
    command: CommandObject,
    community: Community,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
) -> None:
    """/plateblock or /plateallow PLATE [note]: onto the black or the white list."""
    kind = ListKind.BLOCK if command.command.lower() == "plateblock" else ListKind.ALLOW
    plate, _sep, note = (command.args or "").strip().partition(" ")
    action = "vehicles.list"
    try:
        entry = await set_listed(
            session,
            now=app.clock.now(),
            community_id=community.id,
            plate=plate,
            kind=kind,
            note=note,
            staff_person_id=identity.person_id,
        )
    except VehicleError as exc:
        await message.reply(vehicle_error_text(exc))
        return
    details = {"plate": entry.plate, "kind": kind.value}
    await audit(session, action, community, identity, target=("plate", entry.id), details=details)
    await commit_before_send(session)  # the gate decides by it the moment staff read this
    text = (
        _("⛔ {plate} is on the black list: it will not open the vehicle gates.")
        if kind == ListKind.BLOCK
        else _("✅ {plate} is on the white list: it opens the vehicle gates.")
    )
    await message.reply(text.format(plate=escape(entry.plate)))


@router.message(Command("plateunlist"), flags={"staff": "vehicles.list"})
async def plate_unlist(
    message: Message,
    command: CommandObject,
    community: Community,
    session: AsyncSession,
    identity: Identity,
) -> None:
    try:
        plate = await unlist(session, community_id=community.id, plate=command.args or "")
    except VehicleError as exc:
        await message.reply(vehicle_error_text(exc))
        return
    details = {"plate": plate, "kind": "none"}
    await audit(session, "vehicles.list", community, identity, details=details)
    await commit_before_send(session)  # the gate decides by it the moment staff read this
    await message.reply(_("{plate} is off the lists.").format(plate=escape(plate)))


def _listed_line(kind: ListKind, plate: str, note: str) -> str:
    mark = "⛔" if kind == ListKind.BLOCK else "✅"
    return f"{mark} {escape(plate)} · {escape(note)}" if note else f"{mark} {escape(plate)}"


@router.message(Command("platelists"), flags={"staff": "vehicles.view"})
async def plate_lists(message: Message, community: Community, session: AsyncSession) -> None:
    lines = [
        _listed_line(e.kind, e.plate, e.note) for e in await listed_plates(session, community.id)
    ]
    title = _("Black (⛔) and white (✅) lists:") if lines else _("Both lists are empty.")
    await message.reply("\n".join([title, *lines]))


@router.message(Command("plateend"), flags={"staff": "vehicles.end"})
async def plate_end(
    message: Message,
    command: CommandObject,
    community: Community,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
) -> None:
    try:
        row = await end_registration(
            session, now=app.clock.now(), community_id=community.id, plate=command.args or ""
        )
    except VehicleError as exc:
        await message.reply(vehicle_error_text(exc))
        return
    details = {"plate": row.plate, "unit_id": row.unit_id}
    await audit(
        session, "vehicles.end", community, identity, target=("vehicle", row.id), details=details
    )
    await commit_before_send(session)  # the gate decides by it the moment staff read this
    await message.reply(
        _(
            "{plate} is no longer registered: it no longer opens the vehicle gates for that home."
        ).format(plate=escape(row.plate))
    )


def _tariff_text(tariff: ParkingTariff | None, community: Community) -> str:
    if tariff is None:
        return _("🅿️ No temporary parking is billed.")
    labels = class_labels()
    lines = [
        _("🅿️ Temporary parking: {minutes} minutes free, then:").format(minutes=tariff.free_min)
    ]
    for klass, rate in tariff.hourly.items():
        money = {
            "rate": fmt_money(rate, community.currency, community.locale),
            "cap": fmt_money(tariff.daily_cap[klass], community.currency, community.locale),
        }
        line = (
            _("{rate} an hour, at most {cap} a day")
            if tariff.daily_cap[klass]
            else _("{rate} an hour")
        )
        lines.append(f"{labels[klass]}: " + line.format(**money))
    return "\n".join(lines)


@router.message(Command("parkingfees"), flags={"staff": "vehicles.view"})
async def parking_fees(message: Message, community: Community) -> None:
    try:
        current = ParkingTariff.of(community.config)
    except TariffError:
        current = None
    await message.reply(_tariff_text(current, community))


@router.message(Command("setparkingfees"), flags={"staff": "vehicles.tariff"})
async def set_parking_fees(
    message: Message,
    command: CommandObject,
    community: Community,
    session: AsyncSession,
    identity: Identity,
) -> None:
    try:
        tariff = read_tariff((command.args or "").strip())
    except TariffError:
        await message.reply(
            _("Please write it like: /setparkingfees free=30 small=5/30 large=10/60 "
              "new_energy=3/20 (minutes free; per hour / at most per day, in yuan), or "
              "/setparkingfees off.")
        )  # fmt: skip
        return
    await set_tariff(session, community, tariff)
    details = tariff.to_config() if tariff is not None else {"off": True}
    await audit(session, "vehicles.tariff", community, identity, details=details)
    await commit_before_send(session)  # the gate decides by it the moment staff read this
    await message.reply(_tariff_text(tariff, community))
