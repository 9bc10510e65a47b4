"""The outbox is tested through the write path that fills it: the write-path fixtures apply here too."""

from procurement.tests.conftest import (  # noqa: F401 - fixtures
    _fresh_tolerance_cache,
    _no_broker,
    buyer_source,
    edi_supplier,
)
