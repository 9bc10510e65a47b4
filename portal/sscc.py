"""SSCC-18: the Serial Shipping Container Code a pack carries on its GS1-128 label (AI 00).

Eighteen digits: an extension digit, the GS1 company prefix, a serial reference, and a mod-10
check digit (GS1 General Specifications §7.9.1). The write path only checks that a pack's SSCC
is 18 digits; the portal also verifies the check digit, because a label scanned at the dock
with a wrong one is refused by the buyer's receiving system long after the ship notice was sent.

No Django imports: the label printer and the CSV reader use it as plain functions.
"""

from __future__ import annotations


class SSCCError(ValueError):
    """An SSCC that cannot be used, with the reason in words a supplier can act on."""


def check_digit(digits: str) -> int:
    """The GS1 mod-10 check digit of ``digits`` (17 for an SSCC): weights 3,1,3,… from the right."""
    if not digits.isdigit():
        raise SSCCError(f"{digits!r} must be digits only")
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return (10 - total % 10) % 10


def sscc_make(*, extension: int, company_prefix: str, serial: int) -> str:
    """The SSCC for ``serial`` under ``company_prefix`` (7 to 10 digits), check digit appended."""
    if not 0 <= extension <= 9:
        raise SSCCError("the extension digit must be 0 to 9")
    if not (company_prefix.isdigit() and 7 <= len(company_prefix) <= 10):
        raise SSCCError("a GS1 company prefix is 7 to 10 digits")
    width = 16 - len(company_prefix)
    if not 0 <= serial < 10**width:
        raise SSCCError(f"serial reference {serial} does not fit in {width} digits after this company prefix")
    body = f"{extension}{company_prefix}{serial:0{width}d}"
    return body + str(check_digit(body))


def sscc_verify(code: str) -> str:
    """``code`` without spaces or the "(00)" prefix, if it is a valid SSCC-18; else ``SSCCError`` saying why."""
    cleaned = code.replace(" ", "").strip()
    if cleaned.startswith("(00)"):
        cleaned = cleaned[4:]
    if not cleaned.isdigit():
        raise SSCCError(f"SSCC {code!r} must be digits only")
    if len(cleaned) != 18:
        raise SSCCError(f"SSCC {code!r} has {len(cleaned)} digits; an SSCC has 18")
    expected = check_digit(cleaned[:17])
    if int(cleaned[17]) != expected:
        raise SSCCError(f"SSCC {cleaned} ends in check digit {cleaned[17]}; for these digits it must be {expected}")
    return cleaned


def sscc_human(code: str) -> str:
    """The human-readable line under the barcode: ``(00) 0 0614141 123456789 0``-style spacing."""
    return f"(00) {code[0]} {code[1:8]} {code[8:17]} {code[17]}"
