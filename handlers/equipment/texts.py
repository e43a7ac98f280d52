"""Equipment texts shared by the commands, the task card and the jobs."""

from __future__ import annotations

from html import escape

from aiogram.utils.i18n import gettext as _

from core.equipment.models import Equipment, Frequency, MaintenanceTask, TaskStatus
from core.formatting import fmt_date


def frequency_label(frequency: Frequency) -> str:
    return {
        Frequency.WEEKLY: _("weekly"),
        Frequency.MONTHLY: _("monthly"),
        Frequency.QUARTERLY: _("quarterly"),
        Frequency.YEARLY: _("yearly"),
    }[frequency]


FREQUENCY_WORDS = {
    "weekly": Frequency.WEEKLY,
    "每周": Frequency.WEEKLY,
    "monthly": Frequency.MONTHLY,
    "每月": Frequency.MONTHLY,
    "quarterly": Frequency.QUARTERLY,
    "每季度": Frequency.QUARTERLY,
    "yearly": Frequency.YEARLY,
    "每年": Frequency.YEARLY,
}


def item_line(item: Equipment) -> str:
    where = " · ".join(escape(p) for p in (item.building, item.place) if p)
    line = f"#{item.id} <b>{escape(item.name)}</b> ({escape(item.kind)})"
    return f"{line} — {where}" if where else line


def task_card(task: MaintenanceTask, locale: str, done_by: str | None = None) -> str:
    item = task.equipment
    lines = [
        _("🛠 Maintenance: {item}").format(item=item_line(item)),
        _("Due by {day}").format(day=fmt_date(task.due_on, locale)),
        _("Checklist:"),
        *(f"☐ {escape(entry)}" for entry in task.checklist),
    ]
    if task.status == TaskStatus.DONE:
        lines.append("")
        lines.append(_("✅ Done by {name}.").format(name=escape(done_by or "—")))
        if task.notes:
            lines.append(_("Notes: {notes}").format(notes=escape(task.notes)))
        if task.photo_file_id:
            lines.append(_("📷 Photo attached."))
    return "\n".join(lines)
