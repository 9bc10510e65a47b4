"""Names of business documents in pages and messages, shared by the portal and the workbench."""

from django import template

from gateway import formatting

register = template.Library()

register.filter("po_label", formatting.po_label)
