"""Small hand-written X12 inputs for the unit tests."""

from __future__ import annotations


def isa(
    e: str = "*",
    c: str = ">",
    isa11: str = "U",
    isa12: str = "00401",
    isa13: str = "000000001",
    sender: str = "SENDER",
    receiver: str = "RECEIVER",
) -> str:
    """A fixed-width (106 characters with terminator) ISA without its terminator."""
    fields = [
        "ISA",
        "00",
        " " * 10,
        "00",
        " " * 10,
        "ZZ",
        sender.ljust(15),
        "ZZ",
        receiver.ljust(15),
        "260102",
        "1200",
        isa11,
        isa12,
        isa13,
        "0",
        "P",
        c,
    ]
    return e.join(fields)


PO_BODY = [
    "GS*PO*SENDER*RECEIVER*20260102*1200*7*X*004010",
    "ST*850*0001",
    "BEG*00*SA*PO-1001**20260102",
    "CUR*BY*USD",
    "N1*ST*PLANT ONE*92*P1",
    "PO1*1*10*EA*2.5**BP*PART-1",
    "DTM*002*20260301",
    "PO1*2*4*EA*10**BP*PART-2",
    "CTT*2",
    "SE*9*0001",
    "GE*1*7",
    "IEA*1*000000001",
]


def interchange(
    body: list[str] | None = None,
    e: str = "*",
    c: str = ">",
    t: str = "~",
    suffix: str = "\n",
    **isa_kw: str,
) -> str:
    """An interchange with ``body`` written with the given delimiters (``*`` replaced by ``e``)."""
    segs = [isa(e, c, **isa_kw)] + [s.replace("*", e) for s in (PO_BODY if body is None else body)]
    return "".join(s + t + suffix for s in segs)
