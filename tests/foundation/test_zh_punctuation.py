"""Chinese reads native (issue 21 item 21): no ASCII punctuation next to Chinese in
any zh_Hans message of any translation domain (``：，（）？！；`` belong there), and
residents are addressed as 您, never 你."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po

LOCALES = Path(__file__).resolve().parents[2] / "locales" / "zh_Hans" / "LC_MESSAGES"
CJK = r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]"
ASCII = r"[:,()?!;]"
NEXT_TO_CJK = re.compile(rf"{CJK} ?{ASCII}|{ASCII} ?{CJK}")


def zh_messages() -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for po in sorted(LOCALES.glob("*.po")):
        with po.open("rb") as f:
            catalog = read_po(f)
        for message in catalog:
            if not message.id:
                continue
            strings = message.string if isinstance(message.string, tuple) else [message.string]
            found.extend((po.stem, s) for s in strings if s)
    return found


def test_the_check_sees_every_domain_and_catches_a_bad_string():
    domains = {domain for domain, _ in zh_messages()}
    assert {"common", "access", "fees", "tickets", "movein", "faces", "audit"} <= domains
    assert NEXT_TO_CJK.search("例如 1栋, 2栋") and NEXT_TO_CJK.search("语言: 中文")
    assert not NEXT_TO_CJK.search("例如：1栋、2栋（08:30-17:30）")


def test_no_ascii_punctuation_next_to_chinese():
    hits = [(d, s) for d, s in zh_messages() if NEXT_TO_CJK.search(s)]
    assert hits == [], "use Chinese punctuation (：，（）？！；、) next to Chinese"


# A person's or a community's name runs into the Chinese around it ("由王小明负责",
# not "由 王小明 负责").
NAMES = r"\{(?:name|owner|staff|person|who|community|holder|visitor|resident)\}"
SPACED_NAME = re.compile(rf"{NAMES} (?=[\u4e00-\u9fff])|(?<=[\u4e00-\u9fff]) {NAMES}")


def test_no_spaces_around_names():
    assert [(d, s) for d, s in zh_messages() if SPACED_NAME.search(s)] == []


def test_residents_are_addressed_as_nin():
    assert [(d, s) for d, s in zh_messages() if "你" in s] == []
