"""The sandbox page's "What to try" guide: its steps, in the order the page shows them;
part of :data:`bot.sandbox.strings.UI`, in the ``sandbox`` translation domain."""

from __future__ import annotations


def _(message: str) -> str:
    return message


GUIDE = {
    "guide.title": _("What to try"),
    "guide.intro": _(
        "Everything here is the real bot, the real database and the real gate module; "
        "only Telegram and the door are simulated. Act as anyone: switch the person "
        "above each pane."
    ),
    "guide.chat_as": _("Chat as {name}"),
    "guide.act_as": _("Act as {name}"),
    "guide.to_gate": _("Go to the gate"),
    "guide.join.title": _("Move in with a letterbox invitation"),
    "guide.join.text": _(
        "Every flat gets a letter with a code and a QR link. Open one as a new person: "
        "the bot attaches them to the flat after they confirm their role, phone number "
        "and the community's rules. The office sees them arrive in the group."
    ),
    "guide.repair.title": _("Report a repair"),
    "guide.repair.text": _(
        "As a resident, open the menu with /start and report a problem: kind, place, a "
        "description, photos (upload from your computer) and how urgent it is."
    ),
    "guide.staff.title": _("Work the ticket in the office"),
    "guide.staff.text": _(
        "The ticket gets its own topic in the admin group. As the technician press Take, "
        "write to the resident in the topic, then On site and Resolved; the resident "
        "confirms and rates it."
    ),
    "guide.visitor.title": _("Invite a visitor"),
    "guide.visitor.text": _(
        "As a resident, invite a visitor from the menu. Open the share link the bot "
        "gives as a visitor: they receive an 8-digit code and a QR code."
    ),
    "guide.gate.title": _("Come in through the gate"),
    "guide.gate.text": _(
        "Type the visitor's code on the keypad (or press “Show at the gate” under the QR "
        "code). The door opens, the decision is logged, and the host is told."
    ),
    "guide.help.title": _("Daily help: in and out"),
    "guide.help.text": _(
        "As a resident, make a pass for a nanny with /dailyhelp (hours, weekdays), and "
        "share it with another household from 🧹 Daily help. At the gate, type its code in "
        "the entry lane, then switch to the exit lane and type it again: each household "
        "is told both times, and the office's /inside no longer lists her."
    ),
    "guide.bills.title": _("Pay a bill"),
    "guide.bills.text": _(
        "Residents have this month's property bill. Pay it in the chat: the checkout is "
        "checked by the bot, and a receipt with a PDF follows."
    ),
    "guide.notices.title": _("Read a notice, cast a vote"),
    "guide.notices.text": _(
        "Residents of the first building got a water outage notice: press “Got it”. "
        "Owners got an owners' vote: open it from “🗳 Votes” in the menu and cast the "
        "unit's ballot. In the admin group, /notice writes a new notice, /notices and "
        "/votes show delivery, read receipts and turnout."
    ),
    "guide.survey.title": _("Answer the yearly survey"),
    "guide.survey.text": _(
        "Every household got the yearly property-service survey: open “📝 Surveys” in the "
        "menu, rate security, cleaning, greening, repairs, fees and facilities, tick what "
        "should improve first and write a comment, signed or not. One answer counts per "
        "household. As the manager, /surveys in the admin group shows the results with a "
        "chart and a PDF for the owners' committee."
    ),
    "guide.events.title": _("Sign up for an event"),
    "guide.events.text": _(
        "Every resident was invited to a dumpling night: press “✍️ Sign up” under the "
        "invitation (or open “🎉 Events” in the menu) and choose how many people come. "
        "It holds 6: sign up a second resident for more than are left to be waitlisted, "
        "then cancel the first one's sign-up and the waitlisted one gets the places and "
        "is told. In the admin group, /events lists who signed up and messages them, "
        "/event posts a new one. Move the clock forward a day at a time: the reminder "
        "comes the day before."
    ),
    "guide.time.title": _("Let time pass"),
    "guide.time.text": _(
        "Deadlines, reminders and expiries run on the clock. Move the sandbox's time "
        "forward to see warnings and escalations arrive."
    ),
    "guide.walkin.title": _("Ring a home from the gate"),
    "guide.walkin.text": _(
        "At the gate, type a resident's unit under Intercom and press “Call the unit”; add "
        "a name (and a photo, as the gate camera would) to register a walk-in. The "
        "residents get the call in the chat with “Let in once” and “Refuse”: the first "
        "answer opens the door, and the display shows it. Nobody answers within a minute? "
        "The guards are told."
    ),
}
