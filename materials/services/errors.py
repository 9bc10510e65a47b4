"""Refusals of the materials services that leave nothing recorded: the caller asked for something impossible."""

from procurement.services.errors import InvalidAction, NotFound

__all__ = ["InvalidAction", "NotFound"]
