"""Texts and languages the fees flows share: a refused action said in words, the
names of fee kinds and billing intervals, and which catalog a message is written in."""

from __future__ import annotations

import gettext
from collections.abc import Callable

from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _

from bot.context import AppContext
from core.fees.common import FeeError
from core.fees.models import FeeKind
from core.formatting import fmt_money
from core.models import Community, Person


def error_text(exc: FeeError, currency: str = "CNY") -> str:
    d = exc.details
    texts = {
        "bad_amount": _("That is not an amount of money (e.g. 1,234.50)."),
        "bad_period": _("That is not a period; write it as YYYY-MM, e.g. 2026-11."),
        "nothing_due": _("Nothing is due on this unit."),
        "more_than_due": _("That is more than is due ({amount}).").format(
            amount=fmt_money(int(d.get("due_minor", 0)), currency, None)
        ),
        "more_than_refundable": _("At most {amount} of this payment can be refunded.").format(
            amount=fmt_money(int(d.get("refundable_minor", 0)), currency, None)
        ),
        "no_such_payment": _("There is no payment #{id} in this community.").format(
            id=d.get("payment_id", "?")
        ),
        "no_such_bill": _("There is no such bill."),
        "below_zero": _("A bill cannot go below zero."),
        "refund_instead": _("This bill is already paid: record a refund instead of lowering it."),
        "reason_required": _("Please give a reason: it goes into the audit log."),
        "bad_category": _("Unknown category. Send the command alone to see the categories."),
        "unknown_units": _("Unknown units: {names}. Write them like 1栋-301.").format(
            names=", ".join(d.get("names", []))
        ),
        "unknown_buildings": _("Unknown buildings: {names}.").format(
            names=", ".join(d.get("names", []))
        ),
        "no_targets": _("Please name at least one."),
        "bad_quantity": _("A unit can have 1–99 parking spaces."),
        "no_such_item": _("There is no fee item #{id}.").format(id=d.get("item_id", "?")),
        "item_retired": _("Fee item #{id} is already retired.").format(id=d.get("item_id", "?")),
        "no_such_expense": _("There is no expense #{id}.").format(id=d.get("expense_id", "?")),
        "already_reversed": _("Expense #{id} was already reversed.").format(
            id=d.get("expense_id", "?")
        ),
        "bad_name": _("The name must be 1–80 characters."),
    }
    return texts.get(exc.code, _("That did not work ({code}).").format(code=exc.code))


def kind_names() -> dict[str, str]:
    return {
        FeeKind.PER_M2.value: _("per m² per month"),
        FeeKind.FIXED.value: _("fixed per month"),
        FeeKind.PARKING.value: _("per parking space per month"),
    }


def every_names() -> dict[int, str]:
    return {1: _("monthly"), 3: _("quarterly"), 6: _("half-yearly"), 12: _("yearly")}


def current_locale() -> str:
    """The language this update speaks (in the admin group: the group's)."""
    return get_i18n().current_locale


def money_of(community: Community) -> Callable[[int], str]:
    """Amounts in the community's currency, in this update's language."""
    locale = current_locale()
    return lambda minor: fmt_money(int(minor), community.currency, locale)


def translations(ctx: AppContext, locale: str) -> gettext.NullTranslations:
    """A catalog for services that write text themselves (receipts, statements)."""
    found = ctx.i18n.locales.get(locale)
    return found if found is not None else gettext.NullTranslations()


def locale_for(ctx: AppContext, person: Person | None, community: Community | None) -> str:
    """The language of a message sent outside an update: the person's, else the
    community's, else the default."""
    if person is not None and person.locale:
        return person.locale
    if community is not None and community.locale:
        return community.locale
    return ctx.settings.default_locale
