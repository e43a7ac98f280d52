"""The sandbox page's own words (its chrome), translated through the ``sandbox`` domain.

The page asks ``/sandbox/api/i18n/<locale>`` for this table and looks strings up
by key; ``{name}`` placeholders are filled in by the page. What the bot says is
not here: the chat panes show the bot's own messages, in each person's language.

``_`` below only marks the English source text for extraction
(``python -m bot.i18n_tools update sandbox``); the translation happens per
request in :func:`ui_strings`.
"""

from __future__ import annotations

import gettext
import io
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from access.reason_texts import REASON_TEXTS
from bot.sandbox.strings_guide import GUIDE
from bot.sandbox.strings_vehicles import CAR_GUIDE, PLATE_READER

LOCALES_DIR = Path(__file__).resolve().parent.parent.parent / "locales"
DOMAIN = "sandbox"


def _(message: str) -> str:
    return message


UI: dict[str, str] = {
    # top bar
    "brand.sandbox": _("Sandbox"),
    "brand.title": _("Sandbox"),
    "guide.button": _("What to try"),
    "clock.label": _("Sandbox time"),
    "clock.forward": _("Move time forward"),
    "clock.menu_title": _("Move time forward to see deadlines and reminders fire"),
    "clock.plus_10m": _("+10 minutes"),
    "clock.plus_1h": _("+1 hour"),
    "clock.plus_4h": _("+4 hours"),
    "clock.plus_1d": _("+1 day"),
    "clock.plus_3d": _("+3 days"),
    "clock.ahead": _("{span} ahead"),
    "clock.moved": _("Time moved forward by {span}; scheduled jobs ran."),
    "unit.days": _("{n} d"),
    "unit.hours": _("{n} h"),
    "unit.minutes": _("{n} min"),
    # common
    "common.cancel": _("Cancel"),
    "common.close": _("Close"),
    "common.ok": _("OK"),
    # the chat pane
    "chat.kicker": _("Phone"),
    "chat.switch_person": _("Switch person"),
    "chat.bot": _("bot"),
    "chat.typing": _("typing…"),
    "chat.sending": _("sending a file…"),
    "chat.start": _("START"),
    "chat.menu": _("Commands"),
    "chat.attach": _("Attach"),
    "chat.keyboard": _("Show or hide the bot's keyboard"),
    "chat.send": _("Send"),
    "chat.placeholder": _("Message"),
    "chat.reply": _("Reply"),
    "chat.reply_to": _("Reply to {name}"),
    "chat.edited": _("edited"),
    "chat.empty_title": _("No messages here yet"),
    "chat.empty_text": _("Press START, or type /start, to talk to the bot."),
    "chat.empty_started": _("Send /start to see what the bot can do for this person."),
    "chat.open_menu": _("Send /start"),
    "chat.empty_new": _(
        "This person has never used the bot. Press START to begin, or open a letterbox "
        "invitation below as they would by scanning the letter's QR code."
    ),
    "chat.commands": _("Commands of this bot"),
    "chat.no_commands": _("The bot lists no commands here."),
    "chat.open_file": _("open"),
    "chat.show_at_gate": _("Show at the gate"),
    "chat.pay": _("Pay {amount}"),
    "chat.paying": _("Paying…"),
    "chat.paid": _("Paid ✓"),
    "chat.payment_done": _("Payment sent. The bot confirms it in the chat."),
    "chat.payment_declined": _("The payment did not go through"),
    "chat.payment_timeout": _("The bot did not confirm the checkout in time."),
    "chat.copied": _("Copied."),
    "chat.new_message_for": _("New message for {name}"),
    "chat.show": _("Show"),
    "attach.photo": _("Photo"),
    "attach.document": _("File"),
    "attach.contact": _("My phone number"),
    "attach.location": _("Location"),
    "snippet.photo": _("Photo"),
    "snippet.file": _("File"),
    "snippet.location": _("Location"),
    "snippet.contact": _("Contact"),
    "snippet.message": _("Message"),
    # service messages
    "service.topic_created": _("Topic “{name}” created"),
    "service.topic_renamed": _("Topic renamed to “{name}”"),
    "service.topic_edited": _("Topic changed"),
    "service.topic_closed": _("Topic closed"),
    "service.topic_reopened": _("Topic reopened"),
    "service.joined": _("{name} joined the group"),
    "service.left": _("{name} left the group"),
    "service.pinned": _("{name} pinned “{text}”"),
    "service.paid": _("{name} paid {amount}"),
    "service.refunded": _("Payment refunded"),
    "service.title": _("Group renamed to “{name}”"),
    "service.other": _("Service message"),
    # people
    "people.group.residents": _("Residents"),
    "people.group.visitors": _("Visitors"),
    "people.group.new": _("New people"),
    "people.group.staff": _("Staff (private chat)"),
    "people.add": _("New person…"),
    "people.new": _("new — not a resident yet"),
    "people.visitor": _("visitor"),
    "people.pending": _("applied for {units}"),
    "people.new_title": _("A new person"),
    "people.new_text": _(
        "Someone who has never talked to the bot: a new resident, a visitor, a worker."
    ),
    "people.name": _("Name in Telegram"),
    "people.language": _("Telegram language"),
    "people.default_name": _("Guest {n}"),
    "people.create": _("Create"),
    "role.owner": _("owner"),
    "role.tenant": _("tenant"),
    "role.family": _("family member"),
    "role.manager": _("manager"),
    "role.technician": _("technician"),
    "role.guard": _("guard"),
    "role.accountant": _("accountant"),
    # links
    "link.title": _("Open the link as…"),
    "link.text": _("The link opens the bot with “/start {payload}”. Who opens it?"),
    "link.text_plain": _("The link opens the bot. Who opens it?"),
    "link.new_sub": _("someone who has never used the bot"),
    "contact.title": _("Share a phone number"),
    "contact.text": _("Telegram shares the number of this account. Which number is it?"),
    "contact.phone": _("Phone number"),
    "contact.share": _("Share"),
    "location.title": _("Share a location"),
    "location.text": _("Telegram sends the point shown on the map; here you type it."),
    "location.latitude": _("Latitude"),
    "location.longitude": _("Longitude"),
    "location.share": _("Share"),
    # the group pane
    "group.kicker": _("Property office"),
    "group.acting_as": _("Act in the group as"),
    "group.general": _("General"),
    "group.placeholder": _("Message"),
    "group.placeholder_in": _("Message in {topic}"),
    "group.empty": _("Nothing in this topic yet."),
    "group.hint": _(
        "Each ticket gets its own topic. Messages there reach the resident; start a "
        "message with // to keep it inside the office."
    ),
    # the gate pane
    "gate.kicker": _("Gate terminal"),
    "gate.keypad": _("Keypad"),
    "gate.qr": _("QR code"),
    "gate.face": _("Face"),
    "gate.clear": _("Clear"),
    "gate.enter": _("OK"),
    "gate.qr_help": _(
        "Hold a visitor's QR code to the reader: press “Show at the gate” under the QR "
        "picture in the chat, or paste the token it carries."
    ),
    "gate.qr_placeholder": _("QR token"),
    "gate.scan": _("Scan"),
    "gate.face_help": _(
        "Look into the camera. At a gate asking for a blink / turn test (the default), open "
        "the webcam and press the test; where liveness is off (here: the vehicle gate), a "
        "photo is enough."
    ),
    "gate.face_upload": _("Upload a photo"),
    "gate.face_camera": _("Use the webcam"),
    "gate.capture": _("Capture"),
    "gate.challenge": _("Blink / turn test"),
    "challenge.blink": _("Blink"),
    "challenge.turn_left": _("Turn your head to your left"),
    "challenge.turn_right": _("Turn your head to your right"),
    "challenge.now": _("now, looking at the camera"),
    "liveness.challenge_required": _("one photo is not enough"),
    "liveness.challenge_invalid": _("the test expired: try again"),
    "liveness.identical_frames": _("the same picture again"),
    "liveness.face_lost": _("the face left the picture"),
    "liveness.identity_changed": _("not the same person throughout"),
    "liveness.wrong_action": _("the action asked was not seen"),
    "liveness.terminal_not_capable": _("this camera cannot tell a live face"),
    "gate.no_camera": _("No camera is available in this browser."),
    "gate.alarms": _("Terminal alarms"),
    "gate.alarm.door_forced": _("Door forced"),
    "gate.alarm.door_held_open": _("Door held open"),
    "gate.alarm.tamper": _("Tamper"),
    "gate.alarm_sent": _("The terminal reported it; the office is alerted."),
    "gate.cable": _("Cable to the server"),
    "gate.intercom": _("Intercom"),
    "gate.intercom_unit": _("Unit, e.g. 1-101"),
    "gate.intercom_name": _("Visitor's name (walk-in)"),
    "gate.intercom_purpose": _("Purpose"),
    "gate.intercom_call": _("📞 Call the unit"),
    "gate.intercom_photo": _("📷 Photo"),
    "gate.calling": _("Calling {unit}…"),
    "call.answer_within": _("The household has {s} s to answer in the chat"),
    "call.ringing": _("Still ringing"),
    "call.let_in": _("The household let you in"),
    "call.refused": _("The household declined"),
    "call.no_answer": _("No answer: the guard has been told"),
    "call.no_residents": _("Nobody lives there: please see the guard"),
    "call.muted": _("The household is not taking calls now"),
    "call.rate_limited": _("Too many calls to this home"),
    "call.refused_recently": _("The household just declined"),
    "call.wait_s": _("Please wait {s} s"),
    "call.unknown_unit": _("There is no such unit"),
    "gate.cable_cut": _("✂ Cut the cable"),
    "gate.cable_restore": _("Reconnect the cable"),
    "gate.cable_cut_done": _("The gate agent now decides on its own, from its copy of the passes."),
    "gate.cable_back_done": _("Reconnected: the agent reported what it decided (see the log)."),
    "gate.cable_offline": _("Offline · {n} waiting to be reported"),
    "gate.offline": _("decided at the gate, offline"),
    "gate.log": _("Recent decisions"),
    "gate.log.time": _("Time"),
    "gate.log.method": _("How"),
    "gate.log.who": _("Who"),
    "gate.log.result": _("Result"),
    "gate.log.empty": _("No one has come through yet."),
    "gate.log.granted": _("in"),
    "gate.out": _("out"),
    "gate.idle.keypad": _("Enter your code"),
    "gate.idle.qr": _("Show your QR code"),
    "gate.idle.face": _("Look into the camera"),
    **PLATE_READER,
    "gate.checking": _("Checking…"),
    "gate.checking_face": _("Looking…"),
    "gate.welcome": _("Welcome, {name}"),
    "gate.goodbye": _("Goodbye, {name}"),
    "gate.granted_out": _("Go ahead"),
    "gate.lane_in": _("Entry lane"),
    "gate.lane_out": _("Exit lane"),
    "gate.granted": _("Come in"),
    "gate.denied": _("Access denied"),
    "gate.locked": _("Too many wrong codes"),
    "gate.wait": _(
        "Keypad paused for {m} min. Show the QR code of your pass, or ask your host "
        "to open from the chat."
    ),
    "gate.bad_input": _("The terminal sent something the gate does not accept"),
    "gate.error": _("The gate did not answer"),
    "gate.api_down": _("The gate module is not running"),
    "gate.api_down_sub": _("This build of Courtyard serves no gate terminal API yet."),
    "gate.uses_left": _("{n} entries left"),
    "gate.door.released": _("The door opens"),
    "gate.door.held_open": _("The door is held open"),
    "gate.door.failed": _("The door did not respond; the office is alerted"),
    "gate.door.not_commanded": _("The door was not commanded"),
    "door.locked": _("Locked"),
    "door.released": _("Open"),
    "door.held_open": _("Held open"),
    "door.unknown": _("Unknown"),
    "door.locked_sub": _("Simulated door"),
    "door.closes_in": _("locks again in {s} s"),
    "door.held_sub": _("emergency mode: every gate stays open"),
    "door.unknown_sub": _("the gate module is not running"),
    "method.code": _("Code"),
    "method.qr": _("QR code"),
    "method.remote": _("Phone"),
    "method.staff": _("Staff"),
    "method.face": _("Face"),
    "method.plate": _("Plate"),
    "method.emergency": _("Emergency"),
    "pass.visitor": _("visitor"),
    "pass.worker": _("worker"),
    "face.no_face": _("No face in the picture"),
    "face.multiple_faces": _("More than one face: one person at a time"),
    "face.face_too_small": _("Come closer to the camera"),
    "face.too_dark": _("Too dark"),
    "face.too_bright": _("Too bright"),
    "face.too_blurry": _("Too blurry: hold still"),
    "face.spoof_suspected": _("That looks like a photo or a screen"),
    "gate.face_off": _("Face recognition is not set up at this gate"),
    "gate.face_unavailable": _("Face recognition is unavailable right now: use a code"),
    # invitations
    "invite.unit": _("Letterbox invitation · {unit}"),
    "invite.open": _("Open the link"),
    "invite.status.usable": _("used {uses} of {max} times"),
    "invite.status.used_up": _("used up"),
    "invite.status.revoked": _("revoked"),
    "invite.status.expired": _("expired"),
    # the guide
    **GUIDE,
    **CAR_GUIDE,
    "guide.cable.title": _("Cut the cable"),
    "guide.cable.text": _(
        "Under the gate, cut the cable to the server: a gate agent decides from its own "
        "copy of the passes (a used code stays used) — a resident's own gate QR "
        "(/gateqr in the chat) opens too. Reconnect it: what it decided appears in the "
        "log, and hosts are told late."
    ),
    "guide.patrol.title": _("Walk a patrol, check a fire lane"),
    "guide.patrol.text": _(
        "Every checkpoint has a printed QR code (/checkpoints in the admin group sends "
        "the sheet). As the guard, scan one below: the visit is recorded with the time, "
        "and the North gate also asks where you are. Scan the fire lane, send a photo and "
        "answer “⛔ Blocked”: a hazard ticket opens in its own topic with the photo. In the "
        "admin group, /patrol_report and /routes show the rounds and who is on duty."
    ),
    "guide.scan": _("Scan “{name}” as {guard}"),
    "guide.office.title": _("A maintenance task and the scorecard"),
    "guide.office.text": _(
        "The elevators' monthly task is due in the admin group with its checklist: as "
        "the technician press “✅ Done” and send a photo with a note. As the manager, "
        "/scorecard shows the month and /scorecard week the week. Residents open last "
        "month's scorecard, with a chart and a PDF, from “📊 Office scorecard” in the menu."
    ),
    # errors
    "error.generic": _("Something went wrong: {detail}"),
    "error.offline": _("The sandbox is not answering. Is it still running?"),
    "error.starting": _("The sandbox is still starting. Try again in a moment."),
    "error.gate_api_down": _("The gate module is not running in this build."),
    "error.unknown_gate": _("There is no such gate."),
    "error.bad_request": _("The sandbox did not understand the request."),
    "error.bad_name": _("Give the person a name of 1 to 64 characters."),
    "error.bad_language": _("Choose 中文 or English."),
    "error.too_many_people": _("That is enough new people for one sandbox."),
    "error.bad_step": _("Time moves forward by 1 minute to 7 days at once."),
    "error.forbidden_origin": _("Requests from other web sites are refused."),
    "error.no_qr": _("No QR code could be read from this picture."),
    "error.qr_unavailable": _("This installation cannot read QR codes."),
    "error.bad_image": _("Send a JPEG or PNG photo of at most 4 MB."),
    "error.unknown_file": _("That file is no longer available."),
    "error.button_unsupported": _("This kind of button is not available in the sandbox."),
}


@lru_cache(maxsize=8)
def _catalog(locale: str, domain: str = DOMAIN) -> gettext.NullTranslations:
    path = LOCALES_DIR / locale / "LC_MESSAGES" / f"{domain}.po"
    if not path.exists():
        return gettext.NullTranslations()
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def ui_strings(locale: str) -> dict[str, str]:
    """Every page string in ``locale`` (English where a translation is missing)."""
    translations = _catalog(locale)
    strings = {key: translations.gettext(text) for key, text in UI.items()}
    # A gate decision's reason in the same words as the chat's /log (one table).
    reasons = _catalog(locale, "access")
    strings.update({f"reason.{r}": reasons.gettext(t) for r, t in REASON_TEXTS.items()})
    return strings
