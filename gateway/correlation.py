"""Correlation ids: born with each inbound payload, carried through tasks, records and logs."""

import contextvars
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

_current: contextvars.ContextVar[str] = contextvars.ContextVar("correlation_id", default="")


def new_correlation_id() -> str:
    return uuid.uuid4().hex


def get_correlation_id() -> str:
    return _current.get()


@contextmanager
def correlation_scope(correlation_id: str) -> Iterator[str]:
    """Make ``correlation_id`` current for log lines and records written inside the block."""
    token = _current.set(correlation_id)
    try:
        yield correlation_id
    finally:
        _current.reset(token)
