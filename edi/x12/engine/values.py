"""Value and syntax-note checks for one element: type, length, code list, date, time.

Pure functions over the schema definitions; the walker calls them for each element.
"""

from __future__ import annotations

import re

from edi.x12.schemas import ElementDef, ElementUse, SyntaxNote
from edi.x12.tokenizer import is_digits

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def element_ref(use: ElementUse) -> str:
    """The data element number at ``use`` (AK402), empty for composites and unchecked ones."""
    return use.element.ref if isinstance(use.element, ElementDef) and use.element.ref != "-" else ""


def evaluate_note(note: SyntaxNote, flags: list[bool]) -> list[tuple[int, str, str]]:
    """Violations of ``note`` given presence ``flags`` (index = element position).

    Returns (position, AK403 code, message) for each element the note says is wrong.
    """
    ps = note.positions
    n = len(flags)
    have = [p < n and flags[p] for p in ps]
    if not any(have):
        return [(ps[0], "2", f"at least one required ({note.text})")] if note.kind == "R" else []
    text = note.text
    if note.kind == "P" and not all(have):
        return [(p, "2", f"paired with others ({text})") for p, h in zip(ps, have, strict=True) if not h]
    if note.kind == "E" and sum(have) > 1:
        second = [p for p, h in zip(ps, have, strict=True) if h][1]
        return [(second, "10", f"mutually exclusive ({text})")]
    if note.kind == "C" and have[0] and not all(have[1:]):
        return [(p, "2", f"required by {ps[0]:02d} ({text})") for p, h in zip(ps[1:], have[1:], strict=True) if not h]
    if note.kind == "L" and have[0] and not any(have[1:]):
        return [(ps[1], "2", f"one of these required by {ps[0]:02d} ({text})")]
    return []


def check_value(value: str, edef: ElementDef, old_dates: bool = False) -> tuple[str, str]:
    """(AK403 code, message) for one simple value, or ``("", "")`` when it is valid."""
    typ = edef.type
    if typ == "DT":
        return ("", "") if _valid_date(value, old_dates) else ("8", f"invalid date {value!r}")
    if typ == "TM":
        return ("", "") if _valid_time(value) else ("9", f"invalid time {value!r}")
    if typ[0] == "N":
        if not is_digits(value.removeprefix("-")):
            return "6", f"{value!r} is not numeric"
        size = len(value.lstrip("-"))
    elif typ == "R":
        if not is_decimal(value):
            return "6", f"{value!r} is not a decimal number"
        size = sum(ch.isdigit() for ch in value.split("E")[0])
        if "E" in value and not _exponent_fits(value, edef.max):
            return "6", f"{value[:40]!r} has an exponent out of range"
    else:
        if _CONTROL.search(value):
            return "6", "control character in data"
        size = len(value)
    if size < edef.min:
        return "4", f"shorter than {edef.min}"
    if size > edef.max:
        return "5", f"longer than {edef.max}"
    if edef.codes is not None and value not in edef.codes:
        return "7", f"{value!r} is not a valid code"
    return "", ""


def is_decimal(value: str) -> bool:
    """An R value: ``-?`` then digits with at most one decimal point (``5``, ``5.``, ``.5``, ``5.25``),
    then optionally ``E-?digits``.

    Split at its separators and each part checked once, in time linear in the value's length: the
    regular expression this replaces backtracked over a long run of digits (quadratic time, minutes
    of a worker for one element of a few hundred kilobytes).
    """
    mantissa, e, exponent = value.partition("E")
    if e and not is_digits(exponent.removeprefix("-")):
        return False
    whole, _, fraction = mantissa.removeprefix("-").partition(".")
    if not whole and not fraction:
        return False
    return (not whole or is_digits(whole)) and (not fraction or is_digits(fraction))


def _exponent_fits(value: str, most: int) -> bool:
    """An R value with an exponent (already ``is_decimal``) still fits the element when written out
    without it: its digits, shifted by the exponent, at most ``most`` of them.

    ``1E999999`` is a valid shape but no amount a partner means (nor one a database column takes);
    the exponent's digits are counted before they are converted, so thousands of them cost no
    ``int()`` (which refuses strings over 4,300 digits).
    """
    mantissa, _, exponent = value.partition("E")
    negative = exponent.startswith("-")
    digits = exponent.removeprefix("-").lstrip("0")
    if len(digits) > len(str(most)):
        return False
    shift = -int(digits or "0") if negative else int(digits or "0")
    whole, _, fraction = mantissa.removeprefix("-").partition(".")
    written = max(len(whole) + shift, 0) + max(len(fraction) - shift, 0)
    return written <= most


def _valid_date(value: str, old_dates: bool) -> bool:
    if not is_digits(value):
        return False
    if len(value) == 6 and old_dates:
        value = ("19" if value[:2] > "50" else "20") + value
    if len(value) != 8:
        return False
    year, month, day = int(value[:4]), int(value[4:6]), int(value[6:])
    if not 1 <= month <= 12 or day < 1:
        return False
    days = [31, 29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    return day <= days[month - 1]


def _valid_time(value: str) -> bool:
    """HHMM, HHMMSS, HHMMSSD or HHMMSSDD (five digits is none of them)."""
    if not is_digits(value) or len(value) not in (4, 6, 7, 8):
        return False
    hh, mm = int(value[:2]), int(value[2:4])
    ss = int(value[4:6]) if len(value) >= 6 else 0
    return hh < 24 and mm < 60 and ss < 60
