"""Serial (and lot) numbers of an end item, compared the way effectivity ranges read them.

Two numbers made only of digits compare as numbers: ``"0099" < "0100"`` (zero-padded to one
length, as most PLM systems export them) and also ``"99" < "100"`` when the padding differs.
Any other pair (letters, dashes: ``"SN-0099"``) compares as text, character by character, so
a range of such serials needs them at one length to read as the user means it. A range's empty
end is open. Both ends are inclusive.
"""

from __future__ import annotations

import re

DIGITS = re.compile(r"[0-9]+")


def serial_before(a: str, b: str) -> bool:
    """Whether serial ``a`` comes strictly before serial ``b``."""
    if DIGITS.fullmatch(a) and DIGITS.fullmatch(b):
        return int(a) < int(b)
    return a < b


def serial_in_range(serial: str, first: str, last: str) -> bool:
    """Whether ``serial`` lies in ``first``..``last`` (inclusive; an empty end is open)."""
    return not (first and serial_before(serial, first)) and not (last and serial_before(last, serial))
