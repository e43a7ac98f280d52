"""The staff table (core.permissions) and the handlers that name its actions."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from core.models import StaffRole
from core.permissions import ANY_STAFF, STAFF_ACTIONS, may, ordered, roles_for

ROOT = Path(__file__).resolve().parents[2]


def _flagged_actions() -> dict[str, str]:
    """Every literal ``flags={"staff": "<action>"}`` in handlers/, action -> where."""
    found = {}
    for path in sorted((ROOT / "handlers").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.keyword) and node.arg == "flags"):
                continue
            if not isinstance(node.value, ast.Dict):
                continue
            for key, value in zip(node.value.keys, node.value.values, strict=True):
                if isinstance(key, ast.Constant) and key.value == "staff":
                    if isinstance(value, ast.Constant) and isinstance(value.value, str):
                        rel = path.relative_to(ROOT).as_posix()
                        found[value.value] = f"{rel}:{node.value.lineno}"
    return found


def test_every_flagged_action_is_in_the_table() -> None:
    flagged = _flagged_actions()
    assert flagged, "no handler declares a staff action: the scan is broken"
    unknown = {action: where for action, where in flagged.items() if action not in STAFF_ACTIONS}
    assert not unknown, f"staff actions missing from core.permissions.STAFF_ACTIONS: {unknown}"


def test_the_table() -> None:
    assert roles_for("fees.refund") == {StaffRole.MANAGER, StaffRole.ACCOUNTANT}
    assert roles_for("staff.list") == ANY_STAFF
    assert may(StaffRole.GUARD, "access.open")
    assert not may(StaffRole.TECHNICIAN, "access.open")
    assert not may(None, "staff.list")
    with pytest.raises(KeyError):
        roles_for("fees.refnud")
    # Messages and audit rows list roles manager first, as before the table.
    assert ordered(roles_for("tickets.take")) == [
        StaffRole.MANAGER,
        StaffRole.TECHNICIAN,
        StaffRole.GUARD,
    ]
