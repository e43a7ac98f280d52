"""The audit filter as managers type it after /audit, and every action named."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from core.audit_filter import KNOWN_ACTIONS, AuditFilter, AuditFilterError, parse_filter

D1, D3 = date(2026, 12, 1), date(2026, 12, 3)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("", AuditFilter()),
        ("fees 2026-12-01..2026-12-03", AuditFilter(action="fees", since=D1, until=D3)),
        ("2026-12-01..2026-12-03 Fees.", AuditFilter(action="fees", since=D1, until=D3)),
        ("fees.refund 2026-12-1", AuditFilter(action="fees.refund", since=D1, until=D1)),
        ("..2026-12-03", AuditFilter(until=D3)),
        ("2026-12-01..", AuditFilter(since=D1)),
        ("@Li_Ming", AuditFilter(person="@Li_Ming")),
        ("123456789 access", AuditFilter(person="123456789", action="access")),
        ("Wang  Fang tickets", AuditFilter(person="Wang Fang", action="tickets")),
        ("王芳 2026-12-03", AuditFilter(person="王芳", since=D3, until=D3)),
        # "fee" is no area: it is (part of) a name.
        ("fee", AuditFilter(person="fee")),
    ],
)
def test_filters_people_type(typed: str, expected: AuditFilter) -> None:
    parsed = parse_filter(typed)
    assert parsed == expected
    assert parse_filter(parsed.text()) == parsed  # the listing's header reads back


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("2026-13-01", "bad_date"),
        ("12-01", "bad_date"),
        ("2026-12-01...2026-12-03", "bad_date"),
        ("2026-12-03..2026-12-01", "bad_range"),
        ("2026-12-01 2026-12-02", "two_dates"),
        ("fees tickets", "two_actions"),
        ("@li ming", "bad_person"),
        ("@li-ming", "bad_person"),
        ("名" * 61, "long_person"),
    ],
)
def test_bad_filters_say_what_is_wrong(typed: str, code: str) -> None:
    with pytest.raises(AuditFilterError) as caught:
        parse_filter(typed)
    assert caught.value.code == code


ROOT = Path(__file__).resolve().parents[2]
_RECORDED = re.compile(
    r"(?:record_(?:audit|refusal)\(\s*\w+,|refuse_foreign\((?:\s*\w+,){3})\s*f?\"([^\"]+)\""
)


def test_every_recorded_action_is_known_and_named() -> None:
    """A new record_audit("area.verb") belongs in core.audit.RECORDED_ACTIONS, and
    every action the log can hold has a label (else /audit shows its code)."""
    from handlers.audit.labels import ACTION_LABELS

    recorded = set()
    for package in ("core", "access", "bot", "handlers"):
        for path in (ROOT / package).rglob("*.py"):
            for action in _RECORDED.findall(path.read_text(encoding="utf-8")):
                if "{" in action:  # handover.{direction.value}
                    action = action.split("{")[0] + "*"
                recorded.add(action)
    assert recorded, "the pattern found no record_audit calls"
    for action in recorded:
        if action.endswith("*"):
            assert any(a.startswith(action[:-1]) for a in KNOWN_ACTIONS), action
        else:
            assert action in KNOWN_ACTIONS, action
    assert set(KNOWN_ACTIONS) <= set(ACTION_LABELS), set(KNOWN_ACTIONS) - set(ACTION_LABELS)
