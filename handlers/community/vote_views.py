"""What an owners' vote looks like: its card with the rules, the messages the vote
sends (opening, reminder, result), and the turnout staff see, with text bars
against the ⅔ lines. Built in the reader's current locale."""

from __future__ import annotations

from decimal import Decimal
from html import escape

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _

from core.community.models import NoticeKind, Vote, VoteChoice, VoteMatter, VoteStatus
from core.community.tally import Tally
from core.formatting import fmt_short_datetime
from handlers.community.callbacks import VoteCb

BAR = 20  # characters of a full bar


def matter_label(matter: VoteMatter) -> str:
    return {
        VoteMatter.ORDINARY: _("Ordinary matter"),
        VoteMatter.SPECIAL: _("Special matter (maintenance fund, rebuilding, use of common parts)"),
        VoteMatter.RENOVATION: _("Starting an old-community renovation"),
    }[matter]


def rule_text(matter: VoteMatter) -> str:
    """The rule applied, as voters and staff read it (Civil Code art. 278)."""
    quorum = _(
        "Valid when owners holding at least ⅔ of the floor area and at least ⅔ of the "
        "owners take part (one unit, one owner)."
    )
    if matter == VoteMatter.RENOVATION:
        return _("Passes only if every household concerned agrees (100%).")
    if matter == VoteMatter.SPECIAL:
        return (
            quorum
            + "\n"
            + _(
                "Passes with at least ¾ of the participating area and ¾ of the participating "
                "owners agreeing."
            )
        )
    return (
        quorum
        + "\n"
        + _(
            "Passes with more than half of the participating area and more than half of the "
            "participating owners agreeing."
        )
    )


def choice_label(choice: VoteChoice) -> str:
    return {
        VoteChoice.AGREE: _("✅ Agree"),
        VoteChoice.AGAINST: _("❌ Against"),
        VoteChoice.ABSTAIN: _("⚪ Abstain"),
    }[choice]


def vote_card(vote: Vote, tz: str) -> str:
    locale = get_i18n().current_locale
    ballot = _("Secret ballot") if vote.secret else _("Open ballot")
    lines = [
        _("🗳 Owners' vote #{id}").format(id=vote.id),
        f"<b>{escape(vote.question)}</b>",
        "",
        f"{matter_label(vote.matter)} · {ballot}",
        rule_text(vote.matter),
        _("One ballot per unit, cast by an owner; it cannot be changed."),
    ]
    if vote.status == VoteStatus.OPEN:
        lines.append(
            _("Voting closes {time}.").format(time=fmt_short_datetime(vote.deadline, tz, locale))
        )
    else:
        lines.append(_("This vote is closed."))
    return "\n".join(lines)


def vote_button(vote_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=_("🗳 Vote now"),
                    callback_data=VoteCb(action="open", vote_id=vote_id).pack(),
                )
            ]
        ]
    )


def vote_message(vote: Vote, kind: NoticeKind, tz: str) -> tuple[str, InlineKeyboardMarkup | None]:
    """The text (and button) of a vote's message to an owner."""
    locale = get_i18n().current_locale
    if kind == NoticeKind.VOTE_REMINDER:
        text = _("⏰ Your unit has not voted yet on “{question}”. Voting closes {time}.").format(
            question=escape(vote.question),
            time=fmt_short_datetime(vote.deadline, tz, locale),
        )
        return text, vote_button(vote.id)
    if kind == NoticeKind.VOTE_RESULT and vote.result is not None:
        return result_text(vote, Tally.from_dict(vote.result)), None
    return vote_card(vote, tz), vote_button(vote.id)


def _share(part: Decimal | int, whole: Decimal | int) -> str:
    if not whole:
        return "0%"
    return f"{Decimal(part) * 100 / Decimal(whole):.1f}%"


def _bar(part: Decimal | int, whole: Decimal | int) -> str:
    """A text bar with a mark at ⅔: ``▓▓▓▓░░░░|░░``."""
    filled = int(Decimal(part) * BAR / Decimal(whole)) if whole else 0
    cells = ["▓" if i < filled else "░" for i in range(BAR)]
    cells.insert(BAR * 2 // 3, "|")
    return "".join(cells)


def turnout_lines(t: Tally) -> list[str]:
    return [
        _("Turnout by area: {voted} of {total} m² ({share})").format(
            voted=t.voted_area, total=t.eligible_area, share=_share(t.voted_area, t.eligible_area)
        ),
        _bar(t.voted_area, t.eligible_area),
        _("Turnout by owners: {voted} of {total} owners ({share})").format(
            voted=t.voted_owners,
            total=t.eligible_owners,
            share=_share(t.voted_owners, t.eligible_owners),
        ),
        _bar(t.voted_owners, t.eligible_owners),
        _("| marks the ⅔ needed."),
    ]


def count_lines(t: Tally) -> list[str]:
    return [
        _("{choice}: {owners} owners, {units} units, {area} m²").format(
            choice=choice_label(choice), owners=owners, units=units, area=area
        )
        for choice, owners, units, area in (
            (VoteChoice.AGREE, t.agree_owners, t.agree_units, t.agree_area),
            (VoteChoice.AGAINST, t.against_owners, t.against_units, t.against_area),
            (VoteChoice.ABSTAIN, t.abstain_owners, t.abstain_units, t.abstain_area),
        )
    ]


def result_text(vote: Vote, t: Tally) -> str:
    verdict = _("✅ PASSED") if t.passed else _("❌ NOT PASSED")
    lines = [
        _("🗳 Result of owners' vote #{id}: {verdict}").format(id=vote.id, verdict=verdict),
        f"<b>{escape(vote.question)}</b>",
        "",
        *turnout_lines(t),
        "",
        *count_lines(t),
        "",
        _("Rule applied: {rule}").format(rule=rule_text(vote.matter)),
    ]
    if vote.matter != VoteMatter.RENOVATION and not t.quorum:
        lines.append(_("Too few owners took part: the vote is not valid."))
    return "\n".join(lines)
