"""Face access in the chat: consent, enrollment by selfie, deletion, household members,
and the enrolled count for staff.

A resident opens "🙂 Face access" (or /face) — ``home`` — and from there:

1. **Consent first** (``consent``), separate and explicit, recorded with the text's
   version, the SHA-256 of exactly the text shown, the language and the time.
2. **The photos** (``enroll``): each checked in memory by the engine, accepted or
   refused with what to fix; "Done" swaps the person's templates for the new ones in
   one transaction, and the gate's index follows at once.
3. **"Delete my face data"** (``delete``) deletes at once and says so.

An owner may enroll household members of their unit (``family``): a child with their
own guardian consent; an adult without Telegram after confirming the adult agreed; an
adult with Telegram only after that person agreed in their own chat.

In the admin group, ``/faces`` (``staff``) shows staff how many residents are
enrolled — never whose templates, never a photo — and ``/liveness``
(``gate_liveness``) lets a manager choose each gate's live-person check. ``jobs`` purges abandoned
enrollments. Shared pieces: ``views`` (button data, states, keyboards) and ``texts``.

What the area adds to the home menu and to the command lists is declared here, with
its routers.
"""

from __future__ import annotations

from aiogram.utils.i18n import lazy_gettext as __

from handlers.faces import consent, delete, enroll, family, gate_liveness, home, staff
from handlers.faces.jobs import register_jobs
from handlers.kit import Feature, group_command, menu_entry, private_command, residents

menu_entry("faces", __("🙂 Face access"), residents, order=35)
private_command("face", __("Face access: enroll or delete my face"), order=35)
group_command("faces", __("How many residents use face access"), order=60)
group_command("liveness", __("Live-person check at the gates (managers)"), order=61)

feature = Feature(
    "faces",
    (
        home.router,
        consent.router,
        enroll.router,
        delete.router,
        family.router,
        staff.router,
        gate_liveness.router,
    ),
    jobs=register_jobs,
    domain="faces",
)
