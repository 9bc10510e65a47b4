"""Data element dictionary (004010 base, 005010 differences) and the code lists checked.

Only the elements of the segments in ``segments.py`` are listed. Code lists are given
where a wrong code changes the meaning of a document (purpose, acknowledgment and
line status codes, hierarchy levels, acknowledgement codes); other ID elements are
checked for length only, so that partner-specific codes pass.
"""

from __future__ import annotations

from edi.x12.schemas.model import CompositeDef, ElementDef, parse_notes, parse_uses

# ref  type  min  max  name
_ELEMENTS = """
-    AN 1 264 Unchecked element
2    N0 1 6   Number of Accepted Transaction Sets
19   AN 2 30  City Name
22   AN 1 30  Commodity Code
23   ID 1 1   Commodity Code Qualifier
24   ID 4 4   Equipment Type
26   ID 2 3   Country Code
28   N0 1 9   Group Control Number
40   ID 2 2   Equipment Description Code
54   ID 2 2   Risk of Loss Code
61   AN 1 30  Free-form Information
65   R  1 8   Height
66   ID 1 2   Identification Code Qualifier
67   AN 2 80  Identification Code
76   AN 1 22  Invoice Number
79   AN 1 50  Lading Description
80   N0 1 7   Lading Quantity
81   R  1 10  Weight
82   R  1 8   Length
87   AN 1 48  Marks and Numbers
88   ID 1 2   Marks and Numbers Qualifier
91   ID 1 2   Transportation Method/Type Code
92   ID 2 2   Purchase Order Type Code
93   AN 1 60  Name
96   N0 1 10  Number of Included Segments
97   N0 1 6   Number of Transaction Sets Included
98   ID 2 3   Entity Identifier Code
100  ID 3 3   Currency Code
102  ID 1 1   Ownership Code
103  AN 3 5   Packaging Code
107  ID 1 2   Payment Method Code
116  ID 3 15  Postal Code
118  R  1 9   Rate
123  N0 1 6   Number of Received Transaction Sets
127  AN 1 30  Reference Identification
128  ID 2 3   Reference Identification Qualifier
133  ID 1 2   Routing Sequence Code
140  ID 2 4   Standard Carrier Alpha Code
143  ID 3 3   Transaction Set Identifier Code
146  ID 2 2   Shipment Method of Payment
152  ID 2 3   Special Handling Code
156  ID 2 2   State or Province Code
166  AN 1 55  Address Information
183  R  1 8   Volume
187  ID 1 2   Weight Qualifier
189  R  1 8   Width
206  AN 1 4   Equipment Initial
207  AN 1 10  Equipment Number
208  ID 1 1   Hazardous Material Code Qualifier
209  AN 1 4   Hazardous Material Class Code
212  R  1 17  Unit Price
225  AN 2 15  Seal Number
234  AN 1 48  Product/Service ID
235  ID 2 2   Product/Service ID Qualifier
248  ID 1 1   Allowance or Charge Indicator
280  R  4 10  Exchange Rate
236  ID 3 3   Price Identifier Code
284  ID 2 2   Service Level Code
306  ID 1 2   Action Code
309  ID 1 2   Location Qualifier
310  AN 1 30  Location Identifier
324  AN 1 22  Purchase Order Number
325  AN 1 20  Tax Identification Number
326  AN 1 45  Request Reference Number
327  AN 1 8   Change Order Sequence Number
328  AN 1 30  Release Number
329  AN 4 9   Transaction Set Control Number
330  R  1 15  Quantity Ordered
331  ID 2 2   Allowance or Charge Method of Handling Code
332  R  1 6   Percent
333  ID 1 2   Terms Basis Date Code
334  ID 2 2   Transportation Terms Qualifier Code
335  ID 3 3   Transportation Terms Code
336  ID 2 2   Terms Type Code
337  TM 4 8   Time
338  R  1 6   Terms Discount Percent
342  R  1 5   Percent of Invoice Payable
347  R  1 10  Hash Total
349  ID 1 1   Item Description Type
350  AN 1 20  Assigned Identification
351  N0 1 3   Terms Discount Days Due
352  AN 1 80  Description
353  ID 2 2   Transaction Set Purpose Code
354  N0 1 6   Number of Line Items
355  ID 2 2   Unit or Basis for Measurement Code
356  N0 1 6   Pack
357  R  1 8   Size
358  R  1 10  Quantity Invoiced
362  N2 1 10  Terms Discount Amount
364  AN 1 80  Communication Number
365  ID 2 2   Communication Number Qualifier
366  ID 2 2   Contact Function Code
367  AN 1 30  Contract Number
368  ID 2 2   Shipment/Order Status Code
369  AN 1 45  Free-form Description
370  DT 8 8   Terms Discount Due Date
373  DT 8 8   Date
374  ID 3 3   Date/Time Qualifier
375  ID 1 1   Tariff Service Code
378  ID 1 1   Allowance/Charge Percent Qualifier
380  R  1 15  Quantity
382  R  1 10  Number of Units Shipped
384  R  1 9   Gross Weight per Pack
385  R  1 9   Gross Volume per Pack
386  N0 1 3   Terms Net Days
387  AN 1 35  Routing
388  DT 8 8   Terms Deferred Due Date
389  N2 1 10  Deferred Amount Due
396  AN 2 30  Shipment Identification
400  ID 2 2   Unit Load Option Code
407  ID 2 2   Seal Status Code
441  ID 1 1   Tax Exempt Code
499  AN 1 10  Condition Value
443  AN 1 20  Contact Inquiry Reference
446  DT 8 8   Terms Net Due Date
447  AN 1 6   Loop Identifier Code
478  ID 1 1   Credit/Debit Flag Code
479  ID 2 2   Functional Identifier Code
480  AN 1 12  Version / Release / Industry Identifier Code
508  AN 1 35  Account Number
522  ID 1 3   Amount Qualifier Code
559  ID 2 2   Agency Qualifier Code
563  ID 1 2   Sales Requirement Code
587  ID 2 2   Acknowledgment Type
610  N2 1 15  Amount
618  ID 1 3   Implementation Transaction Set Syntax Error Code
620  ID 1 3   Implementation Segment Syntax Error Code
621  ID 1 3   Implementation Data Element Syntax Error Code
623  ID 2 2   Time Code
628  AN 1 12  Hierarchical ID Number
639  ID 2 2   Basis of Unit Price Code
640  ID 2 2   Transaction Type Code
641  ID 3 3   Status Reason Code
646  R  1 15  Quantity Shipped to Date
668  ID 2 2   Line Item Status Code
669  ID 3 3   Currency Market/Exchange Code
670  ID 2 2   Change or Response Type Code
671  R  1 9   Quantity Left to Receive
706  ID 2 2   Entity Relationship Code
715  ID 1 1   Functional Group Acknowledge Code
716  ID 1 3   Functional Group Syntax Error Code
717  ID 1 1   Transaction Set Acknowledgment Code
718  ID 1 3   Transaction Set Syntax Error Code
719  N0 1 6   Segment Position in Transaction Set
720  ID 1 3   Segment Syntax Error Code
721  ID 2 3   Segment ID Code
722  N0 1 2   Element Position in Segment
723  ID 1 3   Data Element Syntax Error Code
724  AN 1 99  Copy of Bad Data Element
725  N0 1 4   Data Element Reference Number
728  ID 1 2   Returnable Container Load Make-Up Code
731  ID 2 2   Transit Direction Code
732  ID 2 2   Transit Time Direction Qualifier
733  R  1 4   Transit Time
734  AN 1 12  Hierarchical Parent ID Number
735  ID 1 2   Hierarchical Level Code
736  ID 1 1   Hierarchical Child Code
737  ID 2 2   Measurement Reference ID Code
738  ID 1 3   Measurement Qualifier
739  R  1 20  Measurement Value
740  R  1 20  Range Minimum
741  R  1 20  Range Maximum
750  ID 2 3   Product/Process Characteristic Code
751  AN 1 12  Product Description Code
752  ID 2 2   Surface/Layer/Position Code
753  ID 1 5   Packaging Characteristic Code
754  AN 1 7   Packaging Description Code
765  N0 1 2   Day of Month
770  AN 1 20  Option Number
782  R  1 18  Monetary Amount
786  ID 2 2   Security Level Code
810  N0 1 6   Inner Pack
819  ID 2 3   Language Code
822  AN 1 15  Source Subqualifier
875  ID 3 3   Maintenance Type Code
933  AN 1 264 Free-Form Message Text
934  ID 2 2   Printer Carriage Control Code
935  ID 2 2   Measurement Significance Code
936  ID 2 2   Measurement Attribute Code
954  R  1 10  Percent
1005 ID 4 4   Hierarchical Structure Code
1018 R  1 15  Exponent
1019 ID 3 3   Invoice Type Code
1073 ID 1 1   Yes/No Condition or Response Code
1136 ID 1 1   Commodity Code Qualifier
1137 AN 1 30  Commodity Code
1166 ID 2 2   Contract Type Code
1232 ID 2 2   Purchase Category
1250 ID 2 3   Date Time Period Format Qualifier
1251 AN 1 35  Date Time Period
1270 ID 1 3   Code List Qualifier Code
1271 AN 1 30  Industry Code
1300 ID 4 4   Service, Promotion, Allowance, or Charge Code
1301 AN 1 10  Agency Service, Promotion, Allowance, or Charge Code
1373 ID 2 4   Measurement Method or Device
1470 N0 1 9   Number
1528 N0 1 2   Component Data Element Position in Composite
1686 N0 1 4   Repeating Data Element Position
1705 AN 1 35  Implementation Convention Reference
9998 AN 1 35  Context Reference
9999 AN 1 35  Context Name
649  R  1 10  Multiplier
289  N0 1 2   Multiple Price Quantity
363  ID 3 3   Note Reference Code
648  ID 3 3   Price Multiplier Qualifier
662  ID 1 1   Relationship Code
673  ID 2 2   Quantity Qualifier
687  ID 2 2   Class of Trade Code
828  R  1 9   Dollar Basis For Percent
955  ID 2 2   Tax Jurisdiction Code Qualifier
956  AN 1 10  Tax Jurisdiction Code
963  ID 2 2   Tax Type Code
1715 ID 1 3   Country Subdivision Code
344  ID 2 2   Unit of Time Period or Interval
345  ID 2 2   Lead Time Code
"""

# Differences in 005010 (type, min, max).
_ELEMENTS_5010 = {
    "127": ("AN", 1, 50),
    "364": ("AN", 1, 256),
    "719": ("N0", 1, 10),
    "352": ("AN", 1, 80),
    "207": ("AN", 1, 15),
    "358": ("R", 1, 15),
    "447": ("AN", 1, 4),
}

_SEPARATE = str.split
CODES: dict[str, frozenset[str]] = {
    "353": frozenset(
        _SEPARATE(
            "00 01 02 03 04 05 06 07 08 10 11 12 13 14 15 16 17 18 19 20 21 22 24 25 26 27 28 30 31 "
            "32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 5C 77 CN CO "
            "EX GR PR RH RV SU ZZ"
        )
    ),
    "587": frozenset(_SEPARATE("AC AD AE AH AK AP AT NA RD RF RJ RN RO RV ZZ")),
    "92": frozenset(
        _SEPARATE(
            "BE BK BL BY CF CN CO CP DR DS EO IN KB KC KN LB LS NE NP NS OS PR RC RE RL RO RR SA SD "
            "SO SP SS ST TH UD UE WO ZZ"
        )
    ),
    "668": frozenset(_SEPARATE("AC AR BP DR IA IB IC ID IE IF IH IP IQ IR IS IW R1 R2 R3 R4 R5 R6 R7 R8 SP")),
    "670": frozenset(_SEPARATE("AC AI CA CB CE CF CG CT DI MU NC OC PC PQ PR QD QI RA RB RC RQ RS RZ SC TI")),
    "735": frozenset(_SEPARATE("S O T P Q I F D E V W X G H J K M Z 1 2 3 4 5 6 7 8 9 SS")),
    "1005": frozenset(_SEPARATE("0001 0002 0003 0004 0005 0006 0007 0008 0009 0010 0011 0012 0015 0016 0021 0022")),
    "479": frozenset(
        _SEPARATE("AG BE CA CT FA HB HC HI HN HP HR HS IB IN IO OG OW PC PD PO PR PS QM RA RS SC SH SM SW TX UW")
    ),
    "715": frozenset("AEMPRWX"),
    "717": frozenset("AEMRWX"),
    "716": frozenset(_SEPARATE("1 2 3 4 5 6 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26")),
    "718": frozenset(_SEPARATE("1 2 3 4 5 6 7 8 9 10 11 12 13 15 16 17 18 19 23 24 25 26 27")),
    "618": frozenset(_SEPARATE("1 2 3 4 5 6 7 8 9 10 11 12 13 15 16 17 18 19 23 24 25 26 27 I5 I6")),
    "720": frozenset(_SEPARATE("1 2 3 4 5 6 7 8")),
    "620": frozenset(_SEPARATE("1 2 3 4 5 6 7 8 I4 I6 I7 I8 I9")),
    "723": frozenset(_SEPARATE("1 2 3 4 5 6 7 8 9 10 12 13")),
    "621": frozenset(_SEPARATE("1 2 3 4 5 6 7 8 9 10 12 13 I10 I11 I12 I13 I6 I9")),
    "349": frozenset("FSX"),
    "248": frozenset("ACN"),
    "736": frozenset("01"),
}

# Composites: ref, name, element uses, syntax notes.
_COMPOSITES = {
    "C001": (
        "Composite Unit of Measure",
        "355M 1018O 649O 355X 1018X 649X 355X 1018X 649X 355X 1018X 649X 355X 1018X 649X",
        "C0504 C0604 C0807 C0907 C1110 C1210 C1413 C1513",
    ),
    "C030": ("Position in Segment", "722M 1528O 1686O", ""),
    "C040": ("Reference Identifier", "128M 127M 128X 127X 128X 127X", "P0304 P0506"),
    "C998": ("Context Identification", "9999M 9998O", ""),
    "C999": ("Reference in Segment", "725M 725O", ""),
}


def build(version: str) -> tuple[dict[str, ElementDef], dict[str, CompositeDef]]:
    """Element and composite definitions for ``version`` (``"004010"`` or ``"005010"``)."""
    elements: dict[str, ElementDef] = {}
    for line in _ELEMENTS.strip().splitlines():
        ref, typ, lo, hi, name = line.split(None, 4)
        if version >= "005010" and ref in _ELEMENTS_5010:
            typ, lo_i, hi_i = _ELEMENTS_5010[ref]
            lo, hi = str(lo_i), str(hi_i)
        elements[ref] = ElementDef(ref, typ, int(lo), int(hi), name, CODES.get(ref))
    composites: dict[str, CompositeDef] = {}
    for ref, (name, uses, notes) in _COMPOSITES.items():
        if ref == "C030" and version < "005010":
            uses = "722M 1528O"
        parsed, _ = parse_uses(uses, elements, composites)
        composites[ref] = CompositeDef(ref, name, parsed, parse_notes(notes))
    return elements, composites
