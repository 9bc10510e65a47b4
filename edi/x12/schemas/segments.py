"""Segment definitions: element uses and syntax notes, 004010 with 005010 changes.

``None`` as the element list means the segment is known (so it is not "unrecognized")
but its elements are not checked. See ``model.py`` for the notation.
"""

from __future__ import annotations

from edi.x12.schemas.model import SegmentDef, parse_notes, parse_uses

_PAIRS = " ".join(f"P{a:02d}{a + 1:02d}" for a in range(6, 25, 2))
_ACK_PAIRS = " ".join(f"P{a:02d}{a + 1:02d}" for a in range(7, 26, 2))
_LIN_PAIRS = " ".join(f"P{a:02d}{a + 1:02d}" for a in range(4, 31, 2))
_POC_PAIRS = " ".join(f"P{a:02d}{a + 1:02d}" for a in range(8, 27, 2))
_ID_PAIRS = "235X 234X " * 10

# id: (name, element uses, syntax notes)
SEGMENTS: dict[str, tuple[str, str | None, str]] = {
    "ST": ("Transaction Set Header", "143M 329M", ""),
    "SE": ("Transaction Set Trailer", "96M 329M", ""),
    # Purchase order and its change/acknowledgment headers
    "BEG": (
        "Beginning Segment for Purchase Order",
        "353M 92M 324M 328O 373M 367O 587O 1019O 1166O 1232O 786O 640O",
        "",
    ),
    "BAK": (
        "Beginning Segment for Purchase Order Acknowledgment",
        "353M 587M 324M 373M 328O 326O 367O 127O 373O 640O",
        "",
    ),
    "BCH": (
        "Beginning Segment for Purchase Order Change",
        "353M 92M 324M 328O 327O 373M 326O 367O - 373O 373O ...",
        "",
    ),
    "BCA": (
        "Beginning Segment for Purchase Order Change Acknowledgment",
        "353M 587O 324M 328O 327O 373M 326O 367O 127O ...",
        "",
    ),
    "BSN": (
        "Beginning Segment for Ship Notice",
        "353M 396M 373M 337M 1005O 640X 641O",
        "C0706",
    ),
    "BIG": (
        "Beginning Segment for Invoice",
        "373M 76M 373O 324O 328O 327O 640O 353O 306O 76O",
        "",
    ),
    # Common header segments
    "CUR": (
        "Currency",
        "98M 100M 280O 98O 100O 669O 374O 373O 337O 374O 373O 337O 374O 373O 337O 374O 373O 337O 374O 373O 337O",
        "C0807 C0907 L101112 C1110 C1210 L131415 C1413 C1513 L161718 C1716 C1816 L192021 C2019 C2119",
    ),
    "REF": ("Reference Identification", "128M 127X 352X C040O", "R0203"),
    "PER": (
        "Administrative Communications Contact",
        "366M 93O 365X 364X 365X 364X 365X 364X 443O",
        "P0304 P0506 P0708",
    ),
    "TAX": (
        "Tax Reference",
        "325X 309X 310X 309X 310X 309X 310X 309X 310X 309X 310X 441O ...",
        "R0103 P0203 P0405 P0607 P0809 P1011",
    ),
    "FOB": (
        "F.O.B. Related Instructions",
        "146M 309X 352X 334O 335X 309X 352X 54O 352X",
        "C0302 C0405 C0706 C0809",
    ),
    "ITD": (
        "Terms of Sale/Deferred Terms of Sale",
        "336O 333O 338O 370X 351X 446X 386O 362O 388O 389X 342X 352O 765X 107O 954X",
        "L03040513 L08040513 L091011",
    ),
    "DTM": ("Date/Time Reference", "374M 373X 337X 623O 1250X 1251X", "R020305 C0403 P0506"),
    "PKG": ("Marking, Packaging, Loading", "349X 753O 559X 754X 352X 400O", "C0403"),
    "TD1": (
        "Carrier Details (Quantity and Weight)",
        "103O 80X 23O 22X 79O 187O 81X 355X 183X 355X",
        "C0102 C0304 C0607 P0708 P0910",
    ),
    "TD5": (
        "Carrier Details (Routing Sequence/Transit Time)",
        "133O 66X 67X 91X 387X 368X 309O 310X 731O 732O 733X 284X 284X 284X 26O",
        "R0204050612 C0203 C0708",
    ),
    "TD3": ("Carrier Details (Equipment)", "40X 206O 207X 187O 81X 355X 102O 407O 225O 24O", "C0203"),
    "TD4": (
        "Carrier Details (Special Handling, or Hazardous Materials, or Both)",
        "152X 208X 209X 352X 1073O",
        "R010204 C0203",
    ),
    "MAN": ("Marks and Numbers", "88M 87M 87O 88X 87X 87O", "P0405 C0604"),
    "N9": ("Reference Identification", "128M 127X 369X 373O 337X 623O C040O", "R0203 C0605"),
    "MSG": ("Message Text", "933M 934X 1470O", "C0302"),
    "NTE": ("Note/Special Instruction", "363O 352M", ""),
    "N1": ("Name", "98M 93X 66X 67X 706O 98O", "R0203 P0304"),
    "N2": ("Additional Name Information", "93M 93O", ""),
    "N3": ("Address Information", "166M 166O", ""),
    "N4": ("Geographic Location", "19O 156O 116O 26O 309X 310O", "C0605"),
    "CSH": ("Sales Requirements", None, ""),
    "SAC": (
        "Service, Promotion, Allowance, or Charge Information",
        "248M 1300X 559X 1301X 610O 378X 332X 118X 355X 380X 380O 331O 127X 770O 352X 819O",
        "R0203 P0304 P0607 P0910 C1110 C1413 C1615",
    ),
    "AMT": ("Monetary Amount", "522M 782M 478O", ""),
    "CTT": ("Transaction Totals", "354M 347O 81X 355X 183X 355X 352O", "P0304 P0506"),
    # Line items
    "PO1": (
        "Baseline Item Data",
        "350O 380X 355O 212X 639O " + _ID_PAIRS.strip(),
        "C0302 C0504 " + _PAIRS,
    ),
    "PID": (
        "Product/Item Description",
        "349M 750O 559X 751X 352X 752O 822O 1073O 819O",
        "C0403 R0405 C0703 C0804 C0905",
    ),
    "PO4": (
        "Item Physical Details",
        "356O 357X 355X 103X 187O 384X 355X 385X 355X 82X 189X 65X 355X 810O 752O 350X 350O 1470O",
        "P0203 C0506 P0607 P0809 C1013 C1113 C1213 L13101112 C1716",
    ),
    "MEA": (
        "Measurements",
        "737O 738X 739X C001X 740X 741X 935O 936X 752O 1373O",
        "R03050608 C0504 C0604 L07030506 E0803",
    ),
    "SCH": (
        "Line Item Schedule",
        "380M 355M 98X 93X 374M 373M 337O 374X 373X 337O 326O 350O",
        "C0304 L080910 C0908",
    ),
    "TC2": ("Commodity", "1136M 1137M", ""),
    "IT8": ("Conditions of Sale", None, ""),
    "CTP": (
        "Pricing Information",
        "687O 236X 212X 380X C001X 648O 649X 782O 639O 499O 289O",
        "P0405 C0607 C0902 C1002 C1103",
    ),
    "LIN": ("Item Identification", "350O 235M 234M " + "235X 234X " * 14, _LIN_PAIRS),
    "SI": ("Service Characteristic Identification", None, ""),
    "QTY": ("Quantity", "673M 380X C001O 61X", "R0204 E0204"),
    "PWK": ("Paperwork", None, ""),
    "SLN": ("Subline Item Detail", None, ""),
    "SDQ": ("Destination Quantity", None, ""),
    "TXI": (
        "Tax Information",
        "963M 782X 954X 955X 956X 441X 662O 828O 325O 350O",
        "R020306 P0405 C0803",
    ),
    "PCT": ("Percent Amounts", None, ""),
    "DIS": ("Discount Detail", None, ""),
    "PAM": ("Period Amount", None, ""),
    "LDT": ("Lead Time", "345M 380M 344M 373O", ""),
    "ADV": ("Advertising Demographic Information", None, ""),
    "PO3": ("Additional Item Detail", None, ""),
    "CN1": ("Contract Information", None, ""),
    "IT3": ("Additional Item Data", None, ""),
    "INC": ("Installment Information", None, ""),
    "NX2": ("Location ID Component", None, ""),
    "YNQ": ("Yes/No Question", None, ""),
    "ETD": ("Excess Transportation Detail", None, ""),
    "PAL": ("Pallet Information", None, ""),
    "TSD": ("Trailer Shipment Details", None, ""),
    "CLD": ("Load Detail", None, ""),
    "GF": ("Furnished Goods and Services", None, ""),
    "CTB": ("Restrictions/Conditions", None, ""),
    "G53": ("Maintenance Type", "875M", ""),
    "SPI": ("Specification Identifier", None, ""),
    # Segments of optional loops the gateway reads but does not use (elements not checked)
    "LM": ("Code Source Information", None, ""),
    "LQ": ("Industry Code", None, ""),
    "FA1": ("Type of Financial Accounting Data", None, ""),
    "FA2": ("Accounting Data", None, ""),
    "G61": ("Contact", None, ""),
    "CB1": ("Contract and Cost Accounting Standards Data", None, ""),
    "MTX": ("Text", None, ""),
    "DMG": ("Demographic Information", None, ""),
    "L7": ("Tariff Reference", None, ""),
    "BAL": ("Balance Detail", None, ""),
    "CRC": ("Conditions Indicator", None, ""),
    "SR": ("Requested Service Schedule", None, ""),
    "V1": ("Vessel Identification", None, ""),
    "R4": ("Port or Terminal", None, ""),
    "DTP": ("Date or Time or Period", None, ""),
    "LH1": ("Hazardous Identification Information", None, ""),
    "LH2": ("Hazardous Classification Information", None, ""),
    "LH3": ("Hazardous Material Shipping Name", None, ""),
    "LFH": ("Free-form Hazardous Material Information", None, ""),
    "LEP": ("EPA Required Data", None, ""),
    "LH4": ("Canadian Dangerous Requirements", None, ""),
    "LHT": ("Transborder Hazardous Requirements", None, ""),
    "LHR": ("Hazardous Material Identifying Reference Numbers", None, ""),
    "LHE": ("Empty Equipment Hazardous Material Information", None, ""),
    "LS": ("Loop Header", "447M", ""),
    "LE": ("Loop Trailer", "447M", ""),
    # Acknowledgment line
    "ACK": (
        "Line Item Acknowledgment",
        "668M 380X 355X 374X 373O 326O " + "235X 234X " * 10 + "559O 822X 1271X",
        "P0203 C0405 " + _ACK_PAIRS,
    ),
    # Ship notice
    "HL": ("Hierarchical Level", "628M 734O 735M 736O", ""),
    "SN1": ("Item Detail (Shipment)", "350O 382M 355M 646O 330X 355X 728O 668O", "P0506"),
    "PRF": ("Purchase Order Reference", "324M 328O 327O 373O 350O 367O 92O", ""),
    # Invoice
    "IT1": (
        "Baseline Item Data (Invoice)",
        "350O 358X 355X 212X 639O " + "235X 234X " * 10,
        "P020304 " + _PAIRS,
    ),
    "TDS": ("Total Monetary Value Summary", "610M 610O 610O 610O", ""),
    "CAD": ("Carrier Detail", "91X 206O 207O 140X 387X 368O 128X 127X 284O", "P0203 R0405 C0708"),
    "ISS": (
        "Invoice Shipment Summary",
        "382X 355X 81X 355X 183X 355X 380X 81X",
        "P0102 P0304 P0506",
    ),
    # Change order line
    "POC": (
        "Line Item Change",
        "350O 670M 330O 671X C001X 212X 639O " + "235X 234X " * 10,
        # C030405: a quantity ordered needs the quantity left to receive and its unit.
        "C030405 C0706 " + _POC_PAIRS,
    ),
    # Functional acknowledgments
    "AK1": ("Functional Group Response Header", "479M 28M", ""),
    "AK2": ("Transaction Set Response Header", "143M 329M", ""),
    "AK3": ("Data Segment Note", "721M 719M 447O 720O", ""),
    "AK4": ("Data Element Note", "C030M 725O 723M 724O", ""),
    "AK5": ("Transaction Set Response Trailer", "717M 718O 718O 718O 718O 718O", ""),
    "AK9": (
        "Functional Group Response Trailer",
        "715M 97M 123M 2M 716O 716O 716O 716O 716O",
        "",
    ),
    "IK3": ("Implementation Data Segment Note", "721M 719M 447O 620O", ""),
    "IK4": ("Implementation Data Element Note", "C030M 725O 621M 724O", ""),
    "IK5": (
        "Implementation Transaction Set Response Trailer",
        "717M 618O 618O 618O 618O 618O",
        "",
    ),
    "CTX": ("Context", "C998M*10 721X 719O 447O C030O C999O", "P0203"),
}

SEGMENTS_5010: dict[str, tuple[str, str | None, str]] = {
    "N4": ("Geographic Location", "19O 156X 116O 26X 309X 310O 1715X", "E0207 C0605 C0704"),
    # MEA11/MEA12 (an industry code and its list) came after 004010.
    "MEA": (
        "Measurements",
        "737O 738X 739X C001X 740X 741X 935O 936X 752O 1373O 1270X 1271X",
        "R03050608 C0504 C0604 L07030506 E0803 P1112",
    ),
    "CAD": ("Carrier Detail", "91M 206O 207O 140X 387X 368O 128X 127X 284O", "P0203 R0405 C0708"),
    "ST": ("Transaction Set Header", "143M 329M 1705O", ""),
    "AK1": ("Functional Group Response Header", "479M 28M 480O", ""),
    "AK2": ("Transaction Set Response Header", "143M 329M 1705O", ""),
}


def build(version: str, elements: dict, composites: dict) -> dict[str, SegmentDef]:
    """Segment definitions for ``version`` over the given element dictionary."""
    table = dict(SEGMENTS)
    if version >= "005010":
        table.update(SEGMENTS_5010)
    out: dict[str, SegmentDef] = {}
    for seg_id, (name, uses, notes) in table.items():
        if uses is None:
            out[seg_id] = SegmentDef(seg_id, name, None, ())
            continue
        parsed, open_ended = parse_uses(uses, elements, composites)
        out[seg_id] = SegmentDef(seg_id, name, parsed, parse_notes(notes), open_ended)
    return out
