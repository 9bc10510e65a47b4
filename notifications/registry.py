"""What the channels plug into the outbox, registered from their ``AppConfig.ready()``.

The outbox sits below the apps that know how a message should look on the wire, so they register
here instead of being named in settings:

- a **file renderer** per event turns a file message into bytes (the EDI channel renders 850/860
  and its stored 997/999/TA1); events without one are written as JSON (``transports.render_json``);
- the **webhook fan-out** turns an event into one outbox row per subscription that wants it;
- the **delivery hooks** give a webhook delivery its subscription's signing secret and hear how
  each attempt ended (to disable a subscription that keeps failing).

Without a fan-out no webhook rows are written; without delivery hooks webhook deliveries go out
unsigned and nobody counts failures.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .models import OutboundMessage
    from .transports import RenderedFile

FileRenderer = Callable[["OutboundMessage"], "RenderedFile"]


class WebhookFanout(Protocol):
    """Outbox rows (unsaved) for the subscriptions that want ``event``.

    ``supplier_payload`` is what the supplier's own subscriptions see (None: they get nothing);
    the buyer's systems get ``payload``, those of the companies in ``company_ids`` only (a set or a
    query of ids). ``source`` is the caller's record of where the write came
    from, passed through untouched (the outbox does not read it).
    """

    def __call__(
        self,
        *,
        event: str,
        supplier: Any,
        payload: dict,
        supplier_payload: dict | None,
        key: str,
        source: Any,
        company_ids: Iterable[int],
        po: Any = None,
        versions: Mapping[int, int] | None = None,
    ) -> list[OutboundMessage]: ...


@dataclass(frozen=True)
class DeliveryHooks:
    """``signing_secret(message)`` for a webhook delivery (raise to fail the attempt: e.g. the
    subscription was disabled); ``finished(message, succeeded)`` after each of its attempts."""

    signing_secret: Callable[[OutboundMessage], str]
    finished: Callable[[OutboundMessage, bool], None]


@dataclass
class _Registry:
    file_renderers: dict[str, FileRenderer] = field(default_factory=dict)
    webhook_fanout: WebhookFanout | None = None
    delivery_hooks: DeliveryHooks | None = None


_registry = _Registry()


def file_renderer_register(event: str, renderer: FileRenderer) -> None:
    """Render file messages for ``event`` with ``renderer``; the last registration wins."""
    _registry.file_renderers[event] = renderer


def file_renderer(event: str) -> FileRenderer | None:
    """The renderer registered for ``event``, None for the default JSON rendering."""
    return _registry.file_renderers.get(event)


def webhook_fanout_register(fanout: WebhookFanout) -> None:
    """Let ``fanout`` write the webhook rows for every event the write path announces."""
    _registry.webhook_fanout = fanout


def webhook_fanout() -> WebhookFanout | None:
    return _registry.webhook_fanout


def delivery_hooks_register(
    *, signing_secret: Callable[[OutboundMessage], str], finished: Callable[[OutboundMessage, bool], None]
) -> None:
    """Sign webhook deliveries with ``signing_secret(message)`` and report each attempt to ``finished``."""
    _registry.delivery_hooks = DeliveryHooks(signing_secret=signing_secret, finished=finished)


def delivery_hooks() -> DeliveryHooks | None:
    return _registry.delivery_hooks


@contextlib.contextmanager
def registry_kept(*, empty: bool = False) -> Iterator[None]:
    """Restore every registration on exit: for tests that register a renderer or hook of their own.

    With ``empty``, the block starts with nothing registered, as if no channel were installed.
    """
    saved = replace(_registry, file_renderers=dict(_registry.file_renderers))
    if empty:
        _registry.file_renderers, _registry.webhook_fanout, _registry.delivery_hooks = {}, None, None
    try:
        yield
    finally:
        _registry.file_renderers = saved.file_renderers
        _registry.webhook_fanout = saved.webhook_fanout
        _registry.delivery_hooks = saved.delivery_hooks
