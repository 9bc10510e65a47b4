"""The embedded broker of ``make run``: Kombu's filesystem transport, each message written whole first.

Kombu's own ``_put`` opens the message file under its final name, then locks it, then writes. A worker
polling the folder can take the file in between, read zero bytes and stop on the JSON error
("Unrecoverable error: JSONDecodeError"), and ``bin/run-gateway`` then stops the whole gateway. Here a
message is written to a file no queue reads (``*.partial``) and renamed to its final name, which is
atomic within one folder: a worker sees a whole message or none. Redis deployments do not use this.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import TRANSPORT_ALIASES, filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

SCHEME = "gatewayfs"


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):  # type: ignore[override]  # Kombu's filesystem channel's signature
        # The name's first part orders messages as Kombu's does (milliseconds, then a unique id).
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        # A reader takes only names ending in ".<queue>.msg"; this one ends in ".partial".
        partial = os.path.join(self.data_folder_out, f"{uuid.uuid4().hex}.partial")
        body = str_to_bytes(dumps(payload))
        try:
            with open(partial, "wb") as f:
                f.write(body)
            os.replace(partial, final)
        except BaseException as exc:
            with contextlib.suppress(OSError):
                os.unlink(partial)
            if isinstance(exc, OSError):
                raise ChannelError(f"Cannot add file {final!r} to directory") from exc
            raise


class Transport(filesystem.Transport):
    Channel = Channel
    driver_name = SCHEME


def register() -> None:
    """Let ``gatewayfs://`` name this transport (the embedded default's CELERY_BROKER_URL)."""
    TRANSPORT_ALIASES.setdefault(SCHEME, f"{__name__}:Transport")
