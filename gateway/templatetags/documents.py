"""Names of business documents in pages and messages, shared by the portal and the workbench."""

from django import template

from gateway import formatting

register = template.Library()

register.filter("po_label", formatting.po_label)
register.filter("ack_header_words", formatting.ack_header_words)
register.filter("outcome_words", formatting.outcome_words)
register.filter("channel_words", formatting.channel_words)
register.filter("channel_label", formatting.channel_label)
register.filter("line_status_words", formatting.line_status_words)
register.filter("line_status_dimension", formatting.line_status_dimension)


@register.filter
def document_words(document) -> str:
    """``Document 7: {{ document|document_words }}`` → ``EDI (X12) file``."""
    return formatting.document_words(document.channel, document.document_type)


@register.filter
def adds_to_state(document) -> bool:
    """The document's outcome says more than its state (``processed`` only repeats Applied)."""
    return (
        bool(document.outcome_code) and formatting.outcome_words(document.outcome_code) != document.get_state_display()
    )


@register.filter
def state_words(document) -> str:
    """The document's state and, when it says more, its outcome: ``Duplicate (Duplicate: same content …)``;
    an EDI file read whose sets were refused is not called Applied."""
    refused = formatting.sets_refused_words(document.state, document.outcome_code)
    if refused:
        return refused
    if adds_to_state(document):
        return f"{document.get_state_display()} ({formatting.outcome_words(document.outcome_code)})"
    return document.get_state_display()
