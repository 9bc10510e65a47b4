"""Documents received: everything a supplier sent, through any channel, and what became of it."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import generics

from api import examples as ex
from api import serializers as s
from api.permissions import SupplierKey
from procurement import selectors

from .base import ERRORS, Cursor, ETagMixin, actor_of


@extend_schema(tags=["documents in"], responses={200: s.DocumentOut(many=True), **ERRORS}, examples=[ex.DOCUMENT])
class DocumentList(ETagMixin, generics.ListAPIView):
    """Everything you sent, through any channel, with its processing state and the exceptions it raised."""

    permission_classes = [SupplierKey]
    serializer_class = s.DocumentOut
    pagination_class = Cursor

    def get_queryset(self):
        return selectors.inbound_documents_for(actor=actor_of(self.request)).prefetch_related(
            "exceptions__po", "exceptions__po_line"
        )


@extend_schema(tags=["documents in"], responses={200: s.DocumentOut, **ERRORS}, examples=[ex.DOCUMENT])
class DocumentDetail(ETagMixin, generics.RetrieveAPIView):
    """One document you sent."""

    permission_classes = [SupplierKey]
    serializer_class = s.DocumentOut

    def get_queryset(self):
        return selectors.inbound_documents_for(actor=actor_of(self.request))
