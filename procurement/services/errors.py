"""Domain errors raised by the write path. Channels turn them into HTTP problems, 997s or messages."""


class ProcurementError(Exception):
    """Base of every refusal by the procurement services. ``code`` is stable and machine-readable.

    ``errors``: for a refusal of particular fields of the document, one ``{field, message, code}``
    each (``field`` as the API names it, e.g. ``lines[0].promised_date``); empty otherwise.
    """

    code = "procurement_error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        exception_id: int | None = None,
        errors: list[dict[str, str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.exception_id = exception_id
        self.errors = errors or []


class DocumentRefused(ProcurementError):
    """A document was refused as a whole; nothing of it was applied. An exception records why."""

    code = "document_refused"


class NotFound(ProcurementError):
    code = "not_found"


class InvalidAction(ProcurementError):
    code = "invalid_action"
