"""``/privacy``: see everything we keep about you, download it, delete it.

1. What we keep: name, phone, language, homes, applications and how long their
   documents are kept, the agreements accepted and when.
2. "Download my data": one JSON file with every area's section.
3. "Delete my data": what is deleted and what the law makes us keep; "Yes,
   delete everything" or Back. Staff must be removed by a manager first.
4. After the erasure the person is moved out of every home, and staff get a card
   to collect keys and access card for each.
"""

from __future__ import annotations

import html
import json

from aiogram import F
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from core.formatting import fmt_short_datetime
from core.identity import Identity
from core.movein.office import residency_card
from core.movein_models import AgreementKind
from core.residents import ResidentsError, erase_personal_data, personal_data, personal_export
from handlers.kit import (
    answer_query,
    commit_before_send,
    private_command,
    private_router,
    reply,
)
from handlers.movein.handover import ask_for_keys_back
from handlers.movein.texts import status_label
from handlers.movein.views import current_locale, show
from handlers.profile.views import PrCb, ask_to_confirm, button
from handlers.start.language import LANGUAGE_NAMES

router = private_router("profile.privacy")

private_command("privacy", __("See, download or delete my data"), order=85)


def _agreement_name(kind: AgreementKind) -> str:
    return {
        AgreementKind.RULES: _("community rules"),
        AgreementKind.CONTRACT: _("property service contract"),
    }[kind]


async def _privacy(session: AsyncSession, app: AppContext, identity: Identity) -> str:
    assert identity.person_id is not None
    data = await personal_data(session, identity.person_id)
    locale = current_locale()
    lines = [
        _("🔒 <b>What we keep about you</b>"),
        _("Name: {name}").format(name=html.escape(data.full_name or "—")),
        _("Phone: {phone}").format(phone=html.escape(data.phone or "—")),
        _("Telegram username: {username}").format(
            username=html.escape(f"@{data.username}" if data.username else "—")
        ),
        _("Language: {language}").format(language=LANGUAGE_NAMES.get(data.locale or "", "—")),
        _("Homes (current and past): {n}").format(n=len(data.residencies)),
    ]
    zones = {r.community_name: r.timezone for r in data.residencies}
    for a in data.applications:
        tz = zones.get(a.community_name, app.settings.timezone)
        if a.documents and a.purge_after is not None:
            held = _("{n} document photos, deleted on {date}").format(
                n=a.documents, date=fmt_short_datetime(a.purge_after, tz, locale)
            )
        elif a.documents:
            held = _("{n} document photos, deleted a set number of days after the decision").format(
                n=a.documents
            )
        else:
            held = _("no documents kept")
        lines.append(
            _("Application #{id} ({unit}, {status}): {held}").format(
                id=a.application_id,
                unit=html.escape(a.unit_label),
                status=status_label(a.status),
                held=held,
            )
        )
    for x in data.acceptances:
        lines.append(
            _("Accepted the {document} (version {version}) on {date}").format(
                document=_agreement_name(x.document),
                version=html.escape(x.version),
                date=fmt_short_datetime(x.accepted_at, app.settings.timezone, locale),
            )
        )
    lines.append("")
    lines.append(
        _(
            "ID and ownership documents stay on Telegram's servers; we keep only a "
            "reference to them, deleted after the review period. The download also has "
            "your repair tickets, passes and gate records, payments and face data."
        )
    )
    return "\n".join(lines)


def _privacy_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [button(_("📥 Download my data"), "export")],
            [button(_("🗑 Delete my data"), "erase")],
        ]
    )


@router.message(Command("privacy"), StateFilter("*"))
async def privacy_command(
    message: Message, state: FSMContext, session: AsyncSession, app: AppContext, identity: Identity
) -> None:
    await state.clear()
    await reply(message, await _privacy(session, app, identity), reply_markup=_privacy_keyboard())


@router.callback_query(PrCb.filter(F.action == "privacy"), StateFilter("*"))
async def privacy_button(
    query: CallbackQuery, session: AsyncSession, app: AppContext, identity: Identity
) -> None:
    await reply(query, await _privacy(session, app, identity), reply_markup=_privacy_keyboard())


@router.callback_query(PrCb.filter(F.action == "export"), StateFilter("*"))
async def export(query: CallbackQuery, session: AsyncSession, identity: Identity) -> None:
    assert identity.person_id is not None and isinstance(query.message, Message)
    data = await personal_export(session, identity.person_id)
    await answer_query(query)
    await query.message.answer_document(
        BufferedInputFile(
            json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8"),
            filename="courtyard-my-data.json",
        ),
        caption=_("Everything Courtyard keeps about you."),
    )


@router.callback_query(PrCb.filter(F.action.in_({"erase", "erasey"})), StateFilter("*"))
async def erase(
    query: CallbackQuery,
    callback_data: PrCb,
    session: AsyncSession,
    app: AppContext,
    identity: Identity,
) -> None:
    if callback_data.action == "erase":
        await ask_to_confirm(
            query,
            _(
                "Delete your data? You will be moved out of every home (passes and face "
                "access revoked), open applications are withdrawn, and your name, phone and "
                "documents are deleted, as are your visitors' and workers' details and what "
                "you wrote in finished repair tickets. Payments and gate entry records are "
                "kept, as the law requires; the audit log keeps that these things happened, "
                "without your name. This cannot be undone."
            ),
            button(_("Yes, delete everything"), "erasey"),
            button(_("⬅ Back"), "privacy"),
        )
        return
    assert identity.person_id is not None
    ended = list(identity.units)
    try:
        await erase_personal_data(session, identity.person_id, clock=app.clock)
    except ResidentsError as exc:
        if exc.code == "is_staff":
            await reply(
                query,
                _("You are staff of a community: ask a manager to remove you first."),
                alert=True,
            )
            return
        raise
    # Staff log "keys returned" on the cards posted below: they must not outlive an
    # erasure that rolled back.
    await commit_before_send(session)
    await show(query, _("Your data is deleted. Goodbye — you are welcome back any time."))
    for membership in ended:
        card = await residency_card(session, membership.residency_id)
        if card is not None:
            # The name is gone with the rest of their data.
            await ask_for_keys_back(app, session, card, "—", membership.unit_label)
