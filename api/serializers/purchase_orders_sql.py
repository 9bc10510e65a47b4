"""A page of ``PurchaseOrderOut``, written by PostgreSQL as JSON text in one query.

The PO list is the API's most read answer: 50 POs of some 250 lines, 170 KB of JSON. Building it in
Python costs several times what the framework around it does, almost all of it per field (a Decimal
made, quantized and printed, a date printed, a status worked out). PostgreSQL prints the same text as
it reads the rows, so here it writes each PO and line as the compact JSON the renderer would have
written: keys in ``PurchaseOrderOut``'s order, no spaces, strings escaped by ``to_json`` (which
escapes exactly what orjson does), quantities and prices at their column's scale (``numeric(18,4)``
and ``(18,6)`` print as ``f"{quantize(…)}"`` does), dates as ``YYYY-MM-DD``, instants as DRF writes
them in UTC (microseconds only when there are any, ``Z``).

The statuses are the model's (``POLine.ack_status`` … ``invoice_status``, ``next_promised_date``,
``PurchaseOrder.status_for``), spelled as SQL in the same order of cases; a test holds the output equal,
byte for byte, to the serializer's for lines in every state. A line's ``proposal`` is the one value
left to Python: it is any JSON the supplier's answer produced, and only orjson prints it as the
renderer does, so a line with a pending proposal comes back in two pieces around it.

Which POs, and in what order, is the caller's: the ids of a page its scoped, filtered, paginated
queryset chose. Nothing here widens what a caller sees.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence

import orjson
from django.db import connection
from django.utils import timezone

from api.renderers import JSONText
from procurement.models import Company, Item, Plant, POLine, PurchaseOrder, ScheduleLine
from suppliers.models import Supplier


def available() -> bool:
    """Whether pages can be written here: PostgreSQL, and instants shown in UTC (as the API shows them)."""
    return connection.vendor == "postgresql" and timezone.get_current_timezone_name() == "UTC"


class _Literal(str):
    """Text written as it is (a key, punctuation), beside SQL expressions giving JSON text."""


Value = tuple[str, ...]  # _Literal pieces and SQL expressions, written one after the other


def _text(expression: str) -> Value:
    return (f"to_json({expression})::text",)


def _decimal(column: str, *, null: bool = False) -> Value:
    """A quantity or price as a JSON string: ``numeric(18,4)`` and ``(18,6)`` print at their scale."""
    if null:
        return (f"""CASE WHEN {column} IS NULL THEN 'null' ELSE '"' || {column}::text || '"' END""",)
    return (_Literal('"'), f"{column}::text", _Literal('"'))


def _date(expression: str, *, null: bool = False) -> Value:
    if null:
        return (
            f"CASE WHEN {expression} IS NULL THEN 'null' "
            f"""ELSE '"' || to_char({expression}, 'YYYY-MM-DD') || '"' END""",
        )
    return (_Literal('"'), f"to_char({expression}, 'YYYY-MM-DD')", _Literal('"'))


def _instant(column: str) -> Value:
    """``DateTimeField().to_representation`` in UTC: seconds, ``.ffffff`` unless zero, then ``Z``."""
    utc = f"({column} AT TIME ZONE 'UTC')"
    return (
        _Literal('"'),
        f"to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS')",
        f"CASE WHEN to_char({utc}, 'US') = '000000' THEN '' ELSE '.' || to_char({utc}, 'US') END",
        _Literal('Z"'),
    )


def _label(expression: str) -> Value:
    """A status (always one of the model's plain words) as a JSON string."""
    return (_Literal('"'), expression, _Literal('"'))


def _raw(expression: str) -> Value:
    """SQL already giving JSON text: a number, true/false, a nested object or array."""
    return (expression,)


def _members(fields: Sequence[tuple[str, Value]], *, opening: str = "{", closing: str = "") -> str:
    """One ``concat`` writing ``{"key":value,...`` from (key, value) pairs, between ``opening`` and ``closing``."""
    pieces: list[str] = []
    for n, (key, value) in enumerate(fields):
        pieces += [_Literal(f'{opening if n == 0 else ","}"{key}":'), *value]
    pieces.append(_Literal(closing))
    merged: list[str] = []
    for piece in pieces:
        if isinstance(piece, _Literal) and merged and isinstance(merged[-1], _Literal):
            merged[-1] = _Literal(merged[-1] + piece)
        elif piece:
            merged.append(piece)
    sql = [f"'{piece}'" if isinstance(piece, _Literal) else piece for piece in merged]
    return "concat(\n            " + ",\n            ".join(sql) + "\n        )"


# POLine.ack_status … invoice_status, case for case.
_LINE_STATUSES = """
        CASE
            WHEN l.ack_response = '' THEN 'awaiting'
            WHEN l.ack_response = 'ACKNOWLEDGED' THEN 'acknowledged'
            WHEN l.ack_response = 'REJECT' THEN
                CASE WHEN l.change_state = 'declined' THEN 'awaiting' ELSE 'rejected' END
            WHEN l.ack_response = 'HOLD' THEN 'on_hold'
            WHEN l.change_state = 'proposed' THEN 'changes_proposed'
            WHEN l.change_state = 'declined' THEN 'awaiting'
            ELSE 'accepted'
        END AS ack,
        CASE
            WHEN l.shipped_quantity <= 0 THEN 'not_shipped'
            WHEN l.shipped_quantity < coalesce(l.confirmed_quantity, l.quantity) THEN 'partially_shipped'
            WHEN l.shipped_quantity = coalesce(l.confirmed_quantity, l.quantity) THEN 'shipped'
            ELSE 'over_shipped'
        END AS ship,
        CASE
            WHEN l.received_quantity - l.rejected_quantity <= 0 THEN 'nothing'
            WHEN l.received_quantity - l.rejected_quantity < l.quantity THEN 'partial'
            WHEN l.received_quantity - l.rejected_quantity = l.quantity THEN 'full'
            ELSE 'over'
        END AS receipt,
        CASE
            WHEN l.invoiced_quantity <= 0 THEN 'not_invoiced'
            WHEN l.invoiced_quantity < l.quantity THEN 'partially_invoiced'
            WHEN l.invoiced_quantity = l.quantity THEN 'invoiced'
            ELSE 'over_invoiced'
        END AS invoice"""

# PurchaseOrder.status_for over the live lines, case for case (no live line: cancelled).
_PO_STATUS = """
        CASE
            WHEN NOT coalesce(bool_or(NOT cancelled), false) THEN 'cancelled'
            WHEN bool_and(ack = 'rejected') FILTER (WHERE NOT cancelled) THEN 'rejected'
            WHEN bool_or(ack IN ('changes_proposed', 'rejected')) FILTER (WHERE NOT cancelled) THEN 'changes_proposed'
            WHEN bool_or(ack IN ('awaiting', 'acknowledged', 'on_hold')) FILTER (WHERE NOT cancelled)
                THEN 'awaiting_acknowledgement'
            WHEN bool_or(match_state = 'exception') FILTER (WHERE NOT cancelled) THEN 'invoice_on_hold'
            WHEN bool_and(receipt IN ('full', 'over')) FILTER (WHERE NOT cancelled) THEN
                CASE WHEN bool_and(invoice IN ('invoiced', 'over_invoiced')) FILTER (WHERE NOT cancelled)
                    THEN 'closed' ELSE 'to_invoice' END
            WHEN bool_and(ship = 'not_shipped') FILTER (WHERE NOT cancelled) THEN 'confirmed'
            WHEN bool_and(ship IN ('shipped', 'over_shipped')) FILTER (WHERE NOT cancelled) THEN
                CASE WHEN bool_and(receipt = 'nothing') FILTER (WHERE NOT cancelled)
                    THEN 'in_transit' ELSE 'partially_received' END
            ELSE 'partially_shipped'
        END"""


@functools.cache
def _query() -> str:
    # POLine.next_promised_date: what has shipped fills the schedule in date order (the order sent among
    # equal dates); without a schedule, the promised date while anything is left to ship.
    next_promised = (
        "CASE WHEN s.schedule IS NULL THEN CASE WHEN coalesce(l.confirmed_quantity, l.quantity) > l.shipped_quantity "
        "THEN l.promised_date END ELSE s.next_date END"
    )
    line_head = _members(
        [
            ("line_no", _text("l.line_no")),
            ("part_number", _text("i.part_number")),
            ("supplier_part_number", _text("l.supplier_part_number")),
            ("description", _text("l.description")),
            ("quantity", _decimal("l.quantity")),
            ("uom", _text("l.uom")),
            ("unit_price", _decimal("l.unit_price")),
            ("need_by", _date("l.need_by")),
            ("cancelled", _raw("CASE WHEN l.cancelled THEN 'true' ELSE 'false' END")),
            ("revision", _raw("l.revision")),
            ("ack_response", _text("l.ack_response")),
            ("ack_raw_code", _text("l.ack_raw_code")),
            ("confirmed_quantity", _decimal("l.confirmed_quantity", null=True)),
            ("confirmed_price", _decimal("l.confirmed_price", null=True)),
            ("promised_date", _date("l.promised_date", null=True)),
            ("next_promised_date", _date(next_promised, null=True)),
            ("schedule", _raw("coalesce(s.schedule, '[]')")),
            ("backordered_quantity", _decimal("l.backordered_quantity")),
        ],
        closing=',"proposal":',
    )
    line_tail = _members(
        [
            ("shipped_quantity", _decimal("l.shipped_quantity")),
            ("received_quantity", _decimal("l.received_quantity")),
            ("rejected_quantity", _decimal("l.rejected_quantity")),
            ("invoiced_quantity", _decimal("l.invoiced_quantity")),
            ("statuses", (_Literal('{"ack":"'), "l.ack", _Literal('","change":'), *_text("l.change_state"),
                          _Literal(',"ship":"'), "l.ship", _Literal('","receipt":"'), "l.receipt",
                          _Literal('","invoice":"'), "l.invoice", _Literal('","match":'), *_text("l.match_state"),
                          _Literal("}"))),
        ],
        opening=",",
        closing="}",
    )  # fmt: skip
    po_head = _members(
        [
            ("id", _raw("o.id")),
            ("number", _text("o.number")),
            ("revision", _raw("o.revision")),
            ("company", _text("c.code")),
            ("supplier", _text("v.code")),
            ("ship_to", _text("t.code")),
            ("currency", _text("o.currency")),
            ("order_date", _date("o.order_date")),
            ("notes", _text("o.notes")),
            ("status", _label("coalesce(status.status, 'cancelled')")),
            ("published_at", _instant("o.published_at")),
            ("updated_at", _instant("o.updated_at")),
        ],
        closing=',"lines":[',
    )
    return f"""
WITH page AS (
    SELECT id, ord FROM unnest(%s::bigint[]) WITH ORDINALITY AS p(id, ord)
),
line AS (
    SELECT l.*, {_LINE_STATUSES}
    FROM page JOIN {POLine._meta.db_table} l ON l.po_id = page.id
),
schedule AS (
    SELECT
        po_line_id,
        '[' || string_agg(
            concat('{{"quantity":"', quantity, '","date":"', to_char(date, 'YYYY-MM-DD'), '"}}'),
            ',' ORDER BY position
        ) || ']' AS schedule,
        (array_agg(date ORDER BY date, position) FILTER (WHERE filled > shipped_quantity))[1] AS next_date
    FROM (
        SELECT
            d.po_line_id, d.position, d.quantity, d.date, line.shipped_quantity,
            sum(d.quantity) OVER (PARTITION BY d.po_line_id ORDER BY d.date, d.position) AS filled
        FROM line JOIN {ScheduleLine._meta.db_table} d ON d.po_line_id = line.id
    ) filling
    GROUP BY po_line_id
),
status AS (
    SELECT po_id, {_PO_STATUS} AS status
    FROM line GROUP BY po_id
),
line_json AS (
    SELECT
        l.po_id,
        l.id,
        {line_head} AS head,
        CASE WHEN l.proposal = '{{}}'::jsonb THEN NULL ELSE l.proposal::text END AS proposal,
        {line_tail} AS tail
    FROM line l
    JOIN {Item._meta.db_table} i ON i.id = l.item_id
    LEFT JOIN schedule s ON s.po_line_id = l.id
)
SELECT
    concat(
        CASE
            WHEN j.id IS NOT NULL AND row_number() OVER (PARTITION BY page.ord ORDER BY j.id) > 1 THEN ','
            WHEN page.ord = 1 THEN {po_head}
            ELSE concat(']}},', {po_head})
        END,
        j.head,
        CASE WHEN j.id IS NOT NULL AND j.proposal IS NULL THEN concat('{{}}', j.tail) END
    ),
    j.proposal,
    CASE WHEN j.proposal IS NOT NULL THEN j.tail END
FROM page
JOIN {PurchaseOrder._meta.db_table} o ON o.id = page.id
JOIN {Company._meta.db_table} c ON c.id = o.company_id
JOIN {Supplier._meta.db_table} v ON v.id = o.supplier_id
JOIN {Plant._meta.db_table} t ON t.id = o.ship_to_id
LEFT JOIN status ON status.po_id = o.id
LEFT JOIN line_json j ON j.po_id = o.id
ORDER BY page.ord, j.id
"""  # noqa: S608 - table names from the models, values written by the functions above, ids a parameter


def purchase_orders_json(po_ids: Sequence[int]) -> JSONText | None:
    """The JSON array ``PurchaseOrderOut(many=True)`` renders for these POs, in this order (PostgreSQL only).

    ``po_ids`` are the ids a caller's scoped queryset chose; an id that is not a PO is left out. None when
    a proposal holds what orjson cannot print (an integer past 64 bits): the renderer prints such a page
    with the standard library, so the caller renders it from rows.
    """
    with connection.cursor() as cursor:
        cursor.execute(_query(), [list(po_ids)])
        rows = cursor.fetchall()
    if not rows:
        return JSONText(b"[]")
    parts = ["["]
    for text, proposal, tail in rows:
        parts.append(text)
        if proposal is not None:
            try:
                # As the renderer prints the JSONField the model loads (json.loads, then orjson).
                parts.append(orjson.dumps(json.loads(proposal)).decode())
            except orjson.JSONEncodeError:
                return None
            parts.append(tail)
    parts.append("]}]")
    return JSONText("".join(parts).encode())
