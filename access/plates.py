"""The car plate rule, in one place: what a typed or camera-read plate normalizes to,
whether it is a Chinese plate, and the vehicle class it tells by itself.

Every caller reads these names — the visitor pass's plate step, the resident's plate
registration, the gate API's plate reader, the staff's black and white lists — so a
plate typed as ``沪a·123 45`` in the chat and read as ``沪A12345`` by a camera are the
same plate everywhere.

**Normalizing** (:func:`normalize_plate`): full-width letters and digits become ASCII
(``ＡＢ１２`` → ``AB12``, Unicode NFKC), spaces, dots, middle dots and dashes go, and
letters become capitals. After the province and the letter, ``I`` and ``O`` become
``1`` and ``0``: Chinese plates never use those two letters there, and cameras and
people confuse them with the digits.

**Valid** (:func:`valid_plate`, GA 36-2018):

- the province character (one of the 31 of :data:`PROVINCES`), then the issuing
  office's letter (``A``–``Z`` without ``I`` and ``O``);
- an ordinary plate: then 5 letters or digits — 7 characters (``沪A12345``); the last
  may be a special-use character (``学`` learner, ``警`` police, ``挂`` trailer,
  ``港``/``澳`` cross-border, ``领`` consulate);
- a new-energy plate: 8 characters, ``D`` (electric) or ``F`` (hybrid) first then a
  letter or digit and 4 digits (a small car: ``粤BD12345``), or 5 digits then ``D``
  or ``F`` (a large vehicle: ``粤B12345D``).
"""

from __future__ import annotations

import enum
import re
import unicodedata

#: The 31 province abbreviations a plate starts with.
PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
#: An ordinary plate's length and a new-energy plate's.
PLATE_LEN = 7
NEW_ENERGY_PLATE_LEN = 8
#: The most characters of raw input looked at (a camera string, a typed line).
PLATE_INPUT_MAX_LEN = 32

_LETTER = "A-HJ-NP-Z"  # no I, no O
_HEAD = rf"[{PROVINCES}][{_LETTER}]"
_ORDINARY = re.compile(rf"{_HEAD}[{_LETTER}0-9]{{4}}[{_LETTER}0-9学警挂港澳领]")
_NEW_ENERGY_SMALL = re.compile(rf"{_HEAD}[DF][{_LETTER}0-9][0-9]{{4}}")
_NEW_ENERGY_LARGE = re.compile(rf"{_HEAD}[0-9]{{5}}[DF]")
_DROPPED = re.compile(r"[\s·•・.\-_]")


class VehicleClass(enum.StrEnum):
    """What a vehicle pays and how it is counted: by size, and new energy apart."""

    SMALL = "small"
    LARGE = "large"
    NEW_ENERGY = "new_energy"


def normalize_plate(raw: str | None) -> str | None:
    """The plate as typed or read, normalized (see the module docstring); None when
    nothing is left or the input is far longer than any plate."""
    if raw is None or len(raw) > PLATE_INPUT_MAX_LEN:
        return None
    plate = _DROPPED.sub("", unicodedata.normalize("NFKC", raw)).upper()
    if len(plate) > 2:
        plate = plate[:2] + plate[2:].replace("I", "1").replace("O", "0")
    return plate or None


def is_new_energy(plate: str) -> bool:
    """Whether a valid plate is a new-energy one (8 characters)."""
    return len(plate) == NEW_ENERGY_PLATE_LEN


def valid_plate(raw: str | None) -> str | None:
    """The normalized plate, or None when the text is not a Chinese plate number."""
    plate = normalize_plate(raw)
    if plate is None:
        return None
    if len(plate) == PLATE_LEN and _ORDINARY.fullmatch(plate):
        return plate
    if len(plate) == NEW_ENERGY_PLATE_LEN and (
        _NEW_ENERGY_SMALL.fullmatch(plate) or _NEW_ENERGY_LARGE.fullmatch(plate)
    ):
        return plate
    return None


def plate_class(plate: str) -> VehicleClass | None:
    """The class a valid plate tells by itself (new energy), or None: ask the owner."""
    return VehicleClass.NEW_ENERGY if is_new_energy(plate) else None
