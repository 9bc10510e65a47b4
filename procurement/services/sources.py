"""Where a write comes from, and what a write-path service did with the document it was given."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User

from procurement.models import InboundDocument, ProcurementException


@dataclass(frozen=True)
class WriteSource:
    """Where a write comes from: the channel, the person or system behind it, and its payload.

    Not ``PORevision.Source`` (whose revision of a PO it is) nor ``edi.x12.source.Source`` (the
    decoded text of an X12 file).
    """

    channel: str
    label: str
    actor: AbstractBaseUser | AnonymousUser | None = None
    correlation_id: str = ""
    document: InboundDocument | None = None

    @property
    def user(self) -> User | None:
        """The signed-in person behind the write, to record as its actor; None for systems and anonymous."""
        # Only an instance of the user model is authenticated (``AnonymousUser`` never is).
        return cast(User, self.actor) if self.actor is not None and self.actor.is_authenticated else None


@dataclass
class RecordResult:
    """What a write-path service did with a document.

    ``outcome`` is ``applied`` or ``duplicate`` (the same document again: nothing changed).
    """

    outcome: str
    record: Any
    exceptions: list[ProcurementException] = field(default_factory=list)

    @property
    def duplicate(self) -> bool:
        return self.outcome == "duplicate"
