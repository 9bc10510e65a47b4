"""The library's own exception types and the structured issue record.

Two ways to report trouble:

* ``Issue`` records are *returned* (on ``Interchange.errors``, ``Group.errors``,
  ``TransactionSet.errors``, engine reports, mapper results). Each carries the X12
  code that a TA1 (TA105), 997/999 (AK905, AK502/IK502, AK304/IK304, AK403/IK403)
  would use, and where the problem is.
* Exceptions derived from ``X12Error`` are *raised* only when nothing useful can be
  returned (no interchange found at all, no schema, a generator given bad input).
  No other exception type escapes the public API, whatever the input bytes.
"""

from __future__ import annotations

from typing import NamedTuple

ERROR = "error"
WARNING = "warning"

# Kinds of issue: which acknowledgement field the code belongs to.
KIND_TA1 = "TA1"  # TA105 interchange note code
KIND_GROUP = "AK9"  # AK905 functional group syntax error code
KIND_SET = "AK5"  # AK502 / IK502 transaction set syntax error code
KIND_SEGMENT = "AK3"  # AK304 / IK304 segment syntax error code
KIND_ELEMENT = "AK4"  # AK403 / IK403 element syntax error code
KIND_SYNTAX = "syntax"  # tokenizer observations with no X12 code
KIND_MAPPING = "mapping"  # business mapping problems (mappers)

TA1_CODES = {
    "000": "No error",
    "001": "Interchange control number in header and trailer do not match",
    "002": "Standard in ISA11 is not supported",
    "003": "Version of the controls is not supported",
    "004": "Segment terminator is invalid",
    "005": "Invalid interchange ID qualifier for sender",
    "006": "Invalid interchange sender ID",
    "007": "Invalid interchange ID qualifier for receiver",
    "008": "Invalid interchange receiver ID",
    "010": "Invalid authorization information qualifier value",
    "011": "Invalid authorization information value",
    "012": "Invalid security information qualifier value",
    "013": "Invalid security information value",
    "014": "Invalid interchange date value",
    "015": "Invalid interchange time value",
    "016": "Invalid interchange standards identifier value",
    "017": "Invalid interchange version ID value",
    "018": "Invalid interchange control number value",
    "019": "Invalid acknowledgment requested value",
    "020": "Invalid test indicator value",
    "021": "Invalid number of included groups value",
    "022": "Invalid control structure",
    "023": "Improper (premature) end-of-file (transmission)",
    "024": "Invalid interchange content (e.g. invalid GS segment)",
    "025": "Duplicate interchange control number",
    "026": "Invalid data element separator",
    "027": "Invalid component element separator",
}

AK905_CODES = {
    "1": "Functional group not supported",
    "2": "Functional group version not supported",
    "3": "Functional group trailer missing",
    "4": "Group control number in the functional group header and trailer do not agree",
    "5": "Number of included transaction sets does not match actual count",
    "6": "Group control number violates syntax",
    "7": "Invalid application sender's code",  # code lists from release 006050 on
    "8": "Invalid application receiver's code",  # code lists from release 006050 on
    "19": "Functional group control number not unique within interchange",
}


def _from_006050(gs08: str) -> bool:
    release = gs08.strip()[:6]
    return release.isdigit() and len(release) == 6 and release >= "006050"


def ak905_receiver_code(gs08: str) -> str:
    """AK905 for a group addressed to an application receiver (GS03) that is not the receiver's.

    ``8`` (invalid application receiver's code) from release 006050, whose code list has it;
    before that (004010, 005010, …) the list has no such code and an answer keeps to its own
    release's codes, so ``1``: the receiver does not take that functional group.
    """
    return "8" if _from_006050(gs08) else "1"


def ak905_sender_code(gs08: str) -> str:
    """AK905 for a group from an application sender (GS02) the partner is not known by.

    ``7`` (invalid application sender's code) from release 006050, whose code list has it; ``1``
    before, as for the receiver (``ak905_receiver_code``).
    """
    return "7" if _from_006050(gs08) else "1"


AK502_CODES = {
    "1": "Transaction set not supported",
    "2": "Transaction set trailer missing",
    "3": "Transaction set control number in header and trailer do not match",
    "4": "Number of included segments does not match actual count",
    "5": "One or more segments in error",
    "6": "Missing or invalid transaction set identifier",
    "7": "Missing or invalid transaction set control number",
    "23": "Transaction set control number not unique within the functional group",
}

AK304_CODES = {
    "1": "Unrecognized segment ID",
    "2": "Unexpected segment",
    "3": "Required segment missing",
    "4": "Loop occurs over maximum times",
    "5": "Segment exceeds maximum use",
    "6": "Segment not in defined transaction set",
    "7": "Segment not in proper sequence",
    "8": "Segment has data element errors",
}

AK403_CODES = {
    "1": "Required data element missing",
    "2": "Conditional required data element missing",
    "3": "Too many data elements",
    "4": "Data element too short",
    "5": "Data element too long",
    "6": "Invalid character in data element",
    "7": "Invalid code value",
    "8": "Invalid date",
    "9": "Invalid time",
    "10": "Exclusion condition violated",
    "12": "Too many repetitions",
    "13": "Too many components",
}


# A 999's codes: the 997's, plus those for an implementation guide's own rules (I…).
IK502_CODES = {
    **AK502_CODES,
    "I5": "Implementation one or more segments in error",
    "I6": "Implementation convention not supported",
}

IK304_CODES = {
    **AK304_CODES,
    "I4": "Implementation 'not used' segment present",
    "I6": "Implementation dependent segment missing",
    "I7": "Implementation loop occurs under minimum times",
    "I8": "Implementation segment below minimum use",
    "I9": "Implementation dependent 'not used' segment present",
}

IK403_CODES = {
    **AK403_CODES,
    "I6": "Code value not used in implementation",
    "I9": "Implementation dependent data element missing",
    "I10": "Implementation 'not used' data element present",
    "I11": "Implementation too few repetitions",
    "I12": "Implementation pattern match failure",
    "I13": "Implementation dependent 'not used' data element present",
}


class Issue(NamedTuple):
    """One problem found in X12 data, with its acknowledgement code and position.

    ``segment_position`` counts from ST = 1 (AK302/IK302); ``element_position`` and
    ``component_position`` are 1-based (AK401/IK401); ``element_ref`` is the data
    element reference number (AK402/IK402); ``value`` is the bad data (AK404/IK404).
    ``offset`` is a byte offset into the original input and ``line`` is 1-based.

    A named tuple: immutable, and cheap to make (some 1 µs, a third of a frozen dataclass's), and
    once it has outlived a collection the garbage collector no longer tracks it (it holds only
    strings, numbers and None). A file dense with errors makes hundreds of thousands of issues.
    """

    kind: str
    code: str
    message: str
    severity: str = ERROR
    interchange: int | None = None
    group_control: str = ""
    set_control: str = ""
    segment_id: str = ""
    segment_position: int | None = None
    loop_id: str = ""
    element_position: int | None = None
    component_position: int | None = None
    repetition: int | None = None
    element_ref: str = ""
    value: str = ""
    offset: int | None = None
    line: int | None = None

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR


class X12Error(Exception):
    """Base class of every exception this library raises."""


class X12SyntaxError(X12Error):
    """The input cannot be read as X12 at all (no usable ISA); ``issues`` says why."""

    def __init__(self, message: str, issues: list[Issue] | None = None) -> None:
        super().__init__(message)
        self.issues: list[Issue] = list(issues or [])


class SchemaNotFoundError(X12Error):
    """No schema is known for a transaction set (ST01) in any version."""


class MappingError(X12Error):
    """A transaction set cannot be mapped at all (wrong set type, nothing to map)."""


class GenerationError(X12Error):
    """A generator was given values it cannot write (bad control number, delimiter clash)."""
