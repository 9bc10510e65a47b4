"""Transaction set tables (heading, detail, summary flattened in position order).

One line per segment: ``ID REQ MAX``; ``ID loop MAX`` opens a loop whose segments are
indented below it (the loop's requirement is its first segment's). The tables hold every
segment and loop of the 004010 standard tables of these sets (a loop the gateway has no use
for, such as LM/LQ code sources, SPI specifications or LH1 hazardous materials, is still
read, checked and then listed as not used); where the standard brackets lead times with an
LS/LE loop, LS and LE are segments of the line around the LDT loop. The acknowledgments
(855, 865) have a line table of their own: their standard answers a line (ACK loop) right
after its carrier details, before the rest of the line item. The 005010 tables of
the purchasing sets keep the 004010 layout for the segments listed here; only some maximum
uses change (an 850's heading TD5, an invoice's TXI and SAC).
"""

from __future__ import annotations

_N1_LOOP = """
  N1 loop 200
    N1 O 1
    N2 O 2
    N3 O 2
    N4 O >1
    NX2 O >1
    REF O 12
    PER O >1
    SI O >1
    FOB O 1
    TD1 O 2
    TD5 O 12
    TD3 O 12
    TD4 O 5
    PKG O 200
"""

# Heading segments shared by 850, 855, 860 and 865 after their beginning segment.
# Heading loops of the 850 and 860 after the N1 loop: industry code sources (LM/LQ),
# specifications with their parties and conditions (SPI), advertising (ADV; the 855 and 865 have
# only this one).
_LM_LOOP = """
  LM loop >1
    LM O 1
    LQ M >1
"""
_SPI_LOOP = """
  SPI loop >1
    SPI O 1
    REF O 5
    DTM O 5
    MSG O 50
    N1 loop 20
      N1 O 1
      N2 O 2
      N3 O 2
      N4 O 1
      REF O 20
      G61 O 1
      MSG O 50
    CB1 loop >1
      CB1 O 1
      REF O 20
      DTM O 5
      LDT O 1
      MSG O 50
"""
_ADV_LOOP = """
  ADV loop >1
    ADV O 1
    DTM O >1
    MTX O >1
"""

_ORDER_HEADING = (
    """
  CUR O 1
  REF O >1
  PER O 3
  TAX O >1
  FOB O >1
  CTP O >1
  PAM O 10
  CSH O 5
  TC2 O >1
  SAC loop 25
    SAC O 1
    CUR O 1
  ITD O >1
  DIS O 20
  INC O 1
  DTM O 10
  LDT O 12
  LIN O 5
  SI O >1
  PID O 200
  MEA O 40
  PWK O 25
  PKG O 200
  TD1 O 2
  TD5 O 12
  TD3 O 12
  TD4 O 5
  MAN O 10
  PCT O >1
  CTB O 5
  TXI O >1
  AMT loop >1
    AMT O 1
    REF O >1
    DTM O 1
    PCT O >1
    FA1 loop >1
      FA1 O 1
      FA2 M >1
  N9 loop 1000
    N9 O 1
    DTM O >1
    MSG O 1000
"""
    + _N1_LOOP
)


def _indent(fragment: str, spaces: int) -> str:
    """A fragment written at loop level 0 (two spaces), moved ``spaces`` deeper."""
    return "".join(" " * spaces + line + "\n" for line in fragment.splitlines() if line)


# Fragments of a line item (850/860 PO1/POC and 855/865 PO1/POC loops), after its first segment.
# The order and the acknowledgments carry the same segments; their tables differ only in where
# the ACK loop and a few loops stand, so each body below writes only its order.
_ITEM_START = """
    LIN O >1
    SI O >1
    CUR O 1
    CN1 O 1
    PO3 O 25
    CTP loop >1
      CTP O 1
      CUR O 1
    PAM O 10
    MEA O 40
    PID loop 1000
      PID O 1
      MEA O 10
    PWK O 25
    PO4 O >1
    REF O >1
    PER O 3
    SAC loop 25
      SAC O 1
      CUR O 1
      CTP O 1
    IT8 O 1
    CSH O >1
    ITD O 2
    DIS O 20
    INC O 1
    TAX O >1
    FOB O >1
    SDQ O 500
    IT3 O 5
    DTM O 10
"""
_CARRIERS = """
  TD1 O 1
  TD5 O 12
  TD3 O 12
  TD4 O 5
"""
_ITEM_NOTES = """
  PCT O >1
  MAN O 10
  MSG O >1
  SPI O >1
"""
_ITEM_QTY_LOOP = """
  QTY loop >1
    QTY O 1
    SI O >1
"""
_ITEM_SCH_LOOP = """
  SCH loop 200
    SCH O 1
    TD1 O 2
    TD5 O 12
    TD3 O 12
    TD4 O 5
    REF O >1
"""
_ITEM_PKG_LOOP = """
  PKG loop 200
    PKG O 1
    MEA O >1
"""
_ITEM_N9_LOOP = """
  N9 loop 1000
    N9 O 1
    DTM O >1
    MEA O 40
    MSG O 1000
"""
_ITEM_AMT_LOOP = """
  AMT loop >1
    AMT O 1
    REF O >1
    PCT O >1
"""
# The line's N1 loop: parties, then their references, dates and deliveries ({qty} where each table has it).
_ITEM_N1_LOOP = """
  N1 loop 200
    N1 O 1
    N2 O 2
    N3 O 2
    N4 O 1
{before}    NX2 O >1
    REF O 12
    PER O 3
    SI O >1
    DTM O 1
    FOB O 1
    SCH O 200
    TD1 O 2
    TD5 O 12
    TD3 O 12
    TD4 O 5
{after}"""
_SUBLINE_START = """
  SLN loop 1000
    SLN O 1
    MSG O >1
    SI O >1
    PID O 1000
    PO3 O 104
    TC2 O >1
"""
_SUBLINE_SAC_LOOP = """
    SAC loop 25
      SAC O 1
      CUR O 1
      CTP O 1
"""
_SUBLINE_QTY_LOOP = """
    QTY loop >1
      QTY O 1
      SI O >1
"""
_SUBLINE_N9_LOOP = """
    N9 loop >1
      N9 O 1
      DTM O >1
      MSG O >1
"""
_SUBLINE_N1_LOOP = """
    N1 loop 10
      N1 O 1
      N2 O 2
      N3 O 2
      N4 O 1
      NX2 O >1
      REF O 12
      PER O 3
      SI O >1
"""
_ITEM_LM_LOOP = _indent(_LM_LOOP, 2)

# Line item body of the order and change request (850 PO1, 860 POC loops), after the first segment.
_ITEM_BODY = (
    _ITEM_START
    + "    TC2 O >1\n"
    + _indent(_CARRIERS, 2)
    + _indent(_ITEM_NOTES, 2)
    + "    TXI O >1\n    CTB O >1\n"
    + _indent(_ITEM_QTY_LOOP + _ITEM_SCH_LOOP + _ITEM_PKG_LOOP, 2)
    + """    LS O 1
    LDT loop >1
      LDT O 1
      MAN O 10
      QTY O >1
      MSG O 1
      REF O 3
      LM loop >1
        LM O 1
        LQ M >1
    LE O 1
"""
    + _indent(_ITEM_N9_LOOP, 2)
    + _indent(
        _ITEM_N1_LOOP.format(
            before="    QTY O >1\n",
            after="""    PKG O 200
    LDT loop >1
      LDT O 1
      MAN O 10
      QTY O 5
      MSG O 1
      REF O 3
""",
        ),
        2,
    )
    + _indent(_SUBLINE_START, 2)
    + """      ADV O >1
      DTM O 10
      CTP O 25
      PAM O 10
      PO4 O 1
      TAX O 3
"""
    + _indent(_SUBLINE_N9_LOOP + _SUBLINE_SAC_LOOP + _SUBLINE_QTY_LOOP + _SUBLINE_N1_LOOP, 2)
    + _indent(_ITEM_AMT_LOOP, 2)
    + _ITEM_LM_LOOP
)

# Line item body of the acknowledgments (855 PO1, 865 POC loops), after the first segment.
# Their standard tables answer the line right after its carrier details (ACK loop at
# position 270), then carry MAN, AMT, CTB, TXI, the QTY, PKG and SCH loops and the line's
# N9, N1 and SLN loops; a subline (SLN) may carry its own ACK. The 850's order, where ACK
# would come after all of these, refuses a conformant acknowledgment.
_ACK_ITEM_BODY = (
    _ITEM_START
    + "    LDT O 12\n    TC2 O >1\n"
    + _indent(_CARRIERS, 2)
    + """    ACK loop 104
      ACK O 1
      DTM O 1
"""
    + _indent(_ITEM_NOTES + _ITEM_AMT_LOOP, 2)
    + "    CTB O >1\n    TXI O >1\n"
    + _indent(_ITEM_QTY_LOOP + _ITEM_PKG_LOOP + _ITEM_SCH_LOOP + _ITEM_N9_LOOP, 2)
    + _indent(_ITEM_N1_LOOP.format(before="", after="    QTY O >1\n    PKG O 200\n"), 2)
    + _indent(_SUBLINE_START, 2)
    + """      CTP O 25
      PAM O 10
      ACK O 104
"""
    + _indent(_SUBLINE_SAC_LOOP, 2)
    + """      DTM O 10
      PO4 O 1
      TAX O 3
      ADV O >1
"""
    + _indent(_SUBLINE_QTY_LOOP + _SUBLINE_N9_LOOP + _SUBLINE_N1_LOOP, 2)
    + _ITEM_LM_LOOP
)

_ORDER_SUMMARY = """
  CTT loop 1
    CTT O 1
    AMT O 1
  SE M 1
"""

# An 850 allows five CTB and one AMT in its CTT loop; the other purchasing sets allow more.
_CHANGE_HEADING = _ORDER_HEADING.replace("\n  CTB O 5\n", "\n  CTB O >1\n")
_CHANGE_SUMMARY = _ORDER_SUMMARY.replace("    AMT O 1\n", "    AMT O 5\n")
# The 855's heading (004010 and 005010) has its taxes (TXI) before its restrictions (CTB).
_ACK_HEADING = _CHANGE_HEADING.replace("\n  CTB O >1\n  TXI O >1\n", "\n  TXI O >1\n  CTB O >1\n")
# The 865's heading up to its carriers (004010 positions 040–260) follows the 850's order without
# its commodity (TC2) and with its own limits: one CSH, five ITD, 25 PKG. After the carriers its
# table has its own order and loops: PCT, MAN, TXI, CTB and the maintenance type (G53); the N9
# loop; the N1 loop (position 300) with one N4, closing with PKG (25) and MSG; an AMT loop of AMT and PCT only;
# then the ADV loop. It has no heading LM or SPI loop, and its AMT loop carries no REF, DTM or FA1.
_CHANGE_ACK_HEADING = (
    _CHANGE_HEADING[: _CHANGE_HEADING.index("\n  TD4 O 5\n") + len("\n  TD4 O 5\n")]
    .replace("\n  CSH O 5\n  TC2 O >1\n", "\n  CSH O 1\n")
    .replace("\n  ITD O >1\n", "\n  ITD O 5\n")
    .replace("\n  PKG O 200\n  TD1 O 2\n", "\n  PKG O 25\n  TD1 O 2\n")
    + """  PCT O >1
  MAN O 10
  TXI O >1
  CTB O >1
  G53 O >1
  N9 loop 1000
    N9 O 1
    DTM O >1
    MSG O 1000
"""
    + _N1_LOOP.replace("\n    N4 O >1\n", "\n    N4 O 1\n").replace(
        "\n    PKG O 200\n", "\n    PKG O 25\n    MSG O >1\n"
    )
    + """  AMT loop >1
    AMT O 1
    PCT O >1
"""
)

T850 = (
    "  ST M 1\n  BEG M 1\n"
    + _ORDER_HEADING
    + _LM_LOOP
    + _SPI_LOOP
    + _ADV_LOOP
    + "  PO1 loop 100000\n    PO1 M 1\n"
    + _ITEM_BODY
    + _ORDER_SUMMARY
)
T855 = (
    "  ST M 1\n  BAK M 1\n"
    + _ACK_HEADING
    + _ADV_LOOP
    + "  PO1 loop 100000\n    PO1 O 1\n"
    + _ACK_ITEM_BODY
    + _ORDER_SUMMARY
)
T860 = (
    "  ST M 1\n  BCH M 1\n"
    + _CHANGE_HEADING
    + _LM_LOOP
    + _SPI_LOOP
    + _ADV_LOOP
    + "  POC loop 100000\n    POC O 1\n"
    + _ITEM_BODY
    + _CHANGE_SUMMARY
)
T865 = (
    "  ST M 1\n  BCA M 1\n"
    + _CHANGE_ACK_HEADING
    + _ADV_LOOP
    + "  POC loop 100000\n    POC O 1\n"
    + _ACK_ITEM_BODY
    + _CHANGE_SUMMARY
)

T856 = """
  ST M 1
  BSN M 1
  DTM O 10
  HL loop 200000
    HL M 1
    LIN O 1
    SN1 O 1
    SLN O 1000
    PRF O 1
    PO4 O 1
    PID O 200
    MEA O 40
    PWK O 25
    PKG O 25
    TD1 O 20
    TD5 O 12
    TD3 O 12
    TD4 O 5
    TSD O 1
    REF O >1
    PER O 3
    LH1 loop 100
      LH1 O 1
      LH2 O 4
      LH3 O 12
      LFH O 20
      LEP O >1
      LH4 O 1
      LHT O 3
      LHR O 10
      PER O 5
      LHE O 1
    CLD loop 200
      CLD O 1
      REF O 200
      DTP O 1
    MAN O >1
    DTM O 10
    FOB O 1
    PAL O 1
    N1 loop 200
      N1 O 1
      N2 O 2
      N3 O 2
      N4 O 1
      REF O 12
      PER O 3
      FOB O 1
    SDQ O 50
    ETD O 1
    CUR O 1
    SAC loop >1
      SAC O 1
      CUR O 1
    GF O 1
    YNQ O 10
    LM loop 10
      LM O 1
      LQ M 100
    V1 loop >1
      V1 O 1
      R4 O >1
      DTM O >1
  CTT O 1
  SE M 1
"""

T810 = """
  ST M 1
  BIG M 1
  NTE O 100
  CUR O 1
  REF O 12
  YNQ O 10
  PER O 3
  N1 loop 200
    N1 O 1
    N2 O 2
    N3 O 2
    N4 O 1
    REF O 12
    PER O 3
    DMG O 1
  ITD O >1
  DTM O 10
  FOB O 1
  PID O 200
  MEA O 40
  PWK O 25
  PKG O 25
  L7 O 1
  BAL O >1
  INC O 1
  PAM O >1
  LM loop 10
    LM O 1
    LQ M 100
  N9 loop 1
    N9 O 1
    MSG M 10
  V1 loop >1
    V1 O 1
    R4 O >1
    DTM O >1
  FA1 loop >1
    FA1 O 1
    FA2 M >1
  IT1 loop 200000
    IT1 O 1
    CRC O 1
    QTY O 5
    CUR O 1
    IT3 O 5
    TXI O {many}
    CTP O 25
    PAM O 10
    MEA O 40
    PID loop 1000
      PID O 1
      MEA O 10
    PWK O 25
    PKG O 25
    PO4 O 1
    ITD O 2
    REF O >1
    YNQ O 10
    PER O 5
    SDQ O 500
    DTM O 10
    CAD O >1
    L7 O >1
    SR O 1
    SAC loop {many_sac}
      SAC O 1
      TXI O 10
    SLN loop 1000
      SLN O 1
      DTM O 1
      REF O >1
      PID O 1000
      SAC O {many_sac}
      TC2 O >1
      TXI O {many}
    N1 loop 200
      N1 O 1
      N2 O 2
      N3 O 2
      N4 O 1
      REF O 12
      PER O 3
      DMG O 1
    LM loop 10
      LM O 1
      LQ M 100
    V1 loop >1
      V1 O 1
      R4 O >1
      DTM O >1
    FA1 loop >1
      FA1 O 1
      FA2 M >1
  TDS M 1
  TXI O {many}
  CAD O 1
  AMT O >1
  SAC loop {many_sac}
    SAC O 1
    TXI O 10
  ISS loop >1
    ISS O 1
    PID O 1
  CTT O 1
  SE M 1
"""

T997 = """
  ST M 1
  AK1 M 1
  AK2 loop 999999
    AK2 O 1
    AK3 loop 999999
      AK3 O 1
      AK4 O 99
    AK5 M 1
  AK9 M 1
  SE M 1
"""

T999 = """
  ST M 1
  AK1 M 1
  AK2 loop 999999
    AK2 O 1
    IK3 loop 999999
      IK3 O 1
      CTX O 10
      IK4 loop 99
        IK4 O 1
        CTX O 10
    IK5 M 1
  AK9 M 1
  SE M 1
"""

# (ST01, version): (functional ID, name, table, HL hierarchy checked)
SETS: dict[tuple[str, str], tuple[str, str, str, bool]] = {}
# 005010 lifts the limits on an 850's heading TD5 and on an invoice's TXI and SAC.
_T850 = {"004010": T850, "005010": T850.replace("\n  TD5 O 12\n", "\n  TD5 O >1\n")}
_T810 = {"004010": T810.format(many="10", many_sac="25"), "005010": T810.format(many=">1", many_sac=">1")}
for _version in ("004010", "005010"):
    SETS[("850", _version)] = ("PO", "Purchase Order", _T850[_version], False)
    SETS[("855", _version)] = ("PR", "Purchase Order Acknowledgment", T855, False)
    SETS[("856", _version)] = ("SH", "Ship Notice/Manifest", T856, True)
    SETS[("810", _version)] = ("IN", "Invoice", _T810[_version], False)
    SETS[("860", _version)] = ("PC", "Purchase Order Change Request - Buyer Initiated", T860, False)
    SETS[("865", _version)] = ("CA", "Purchase Order Change Acknowledgment/Request", T865, False)
    SETS[("997", _version)] = ("FA", "Functional Acknowledgment", T997, False)
SETS[("999", "005010")] = ("FA", "Implementation Acknowledgment", T999, False)
