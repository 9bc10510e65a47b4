"""One-statement updates of many rows, for the write path's hot loop.

Django's ``bulk_update`` builds a CASE expression per field per row; for a five-line
acknowledgement that costs more than everything else the write path does together. On
PostgreSQL this writes ``UPDATE … FROM (VALUES …)`` instead: one statement, compiled in
microseconds. Other databases keep ``bulk_update``.

A write that must also change another table (a PO's ``updated_at`` beside its lines) passes that
statement as ``alongside``: on PostgreSQL it runs in the same statement, as a data-modifying CTE,
which saves the write path a round trip per document. ``row_insert_with_children`` does the same
for a new row and the rows that point at it (an acknowledgement and its lines), and
``rows_insert`` for new rows of several tables (audit rows and outbox messages).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, cast
from uuid import UUID

from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.models.sql import UpdateQuery
from psycopg.types.json import Jsonb

Statement = tuple[str, Sequence[Any]]


def rows_update(objs: Sequence[models.Model], fields: Sequence[str], *, alongside: Statement | None = None) -> None:
    """Write ``fields`` of every object in ``objs`` (all of one model) in one statement.

    ``alongside`` (an UPDATE of another table, from ``update_statement``) runs with it: in the same
    statement on PostgreSQL, right after it elsewhere.
    """
    if not objs or connection.vendor != "postgresql":
        if objs:
            type(objs[0])._default_manager.bulk_update(objs, fields)
        if alongside is not None:
            with connection.cursor() as cursor:
                cursor.execute(*alongside)
        return
    sql, params = rows_update_statement(objs, fields)
    if alongside is not None:
        # Both statements see one snapshot; they write different tables, so neither hides the other's rows.
        sql, params = f"WITH alongside AS ({alongside[0]}) {sql}", [*alongside[1], *params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def rows_update_statement(objs: Sequence[models.Model], fields: Sequence[str]) -> Statement:
    """``rows_update``'s UPDATE … FROM (VALUES …) on PostgreSQL, not run.

    For ``row_insert_with_children(alongside=…)``.
    """
    model = type(objs[0])
    _pk, pk_column, concrete, row = _update_columns(model, tuple(fields))
    quote = connection.ops.quote_name
    params: list[Any] = []
    for obj in objs:
        params.append(obj.pk)
        params.extend(f.get_db_prep_save(getattr(obj, f.attname), connection) for f, _ in concrete)
    columns = ", ".join(["v_pk", *(f"v{i}" for i in range(len(concrete)))])
    assignments = ", ".join(f"{quote(column)} = v.v{i}" for i, (_, column) in enumerate(concrete))
    # Only table and column names from the model's own metadata, quoted, go into the text; values are parameters.
    sql = (
        f"UPDATE {quote(model._meta.db_table)} AS t SET {assignments} "  # noqa: S608
        f"FROM (VALUES {', '.join([row] * len(objs))}) AS v({columns}) "
        f"WHERE t.{quote(pk_column)} = v.v_pk"
    )
    return sql, params


_update_columns_cache: dict[tuple[type[models.Model], tuple[str, ...], str], Any] = {}


def _update_columns(
    model: type[models.Model], fields: tuple[str, ...]
) -> tuple[models.Field[Any, Any], str, list[tuple[models.Field[Any, Any], str]], str]:
    """The key field and column, the fields and columns to set, and one VALUES row of casts; once per process."""
    key = (model, fields, connection.vendor)
    if (found := _update_columns_cache.get(key)) is None:
        meta = model._meta
        pk, pk_column = _column(meta.pk)
        concrete = [_column(meta.get_field(name)) for name in fields]
        casts = [_cast(pk)] + [_cast(f) for f, _ in concrete]
        found = _update_columns_cache[key] = (pk, pk_column, concrete, "(" + ", ".join(casts) + ")")
    return found


def _cast(field: models.Field[Any, Any]) -> str:
    """A placeholder cast to ``field``'s column type. Written ``%s::type`` rather than ``CAST(%s AS type)``
    (the same cast): a five-line acknowledgement's statement then stays within the 4 kB of text that
    psycopg keeps parsed, instead of being parsed again for every document."""
    return f"%s::{field.db_type(connection)}"


def update_statement(queryset: models.QuerySet[Any], **values: Any) -> Statement:
    """The SQL and parameters ``queryset.update(**values)`` would run, for ``rows_update(alongside=…)``.

    ``queryset`` filters its own table only (no joins), as ``pk__in`` does.
    """
    query = cast(UpdateQuery, queryset.query.chain(UpdateQuery))
    query.add_update_values(values)
    return query.get_compiler(queryset.db).as_sql()


def _column(field: object) -> tuple[models.Field[Any, Any], str]:
    """A concrete field and its column; a reverse relation or a many-to-many has no column to set."""
    if not isinstance(field, models.Field) or not field.column:
        raise TypeError(f"{field!r} is not a column")
    return field, field.column


def row_insert_with_children(
    parent: models.Model,
    children: Sequence[models.Model],
    *,
    link: str,
    keyed: Sequence[models.Model] = (),
    keyed_link: str = "",
    alongside: Sequence[Statement] = (),
    reserve: tuple[type[models.Model], int] | None = None,
) -> list[Any]:
    """Insert ``parent`` and ``children`` (rows of one model whose ``link`` foreign key is ``parent``).

    On PostgreSQL this is one statement: the parent's INSERT … RETURNING feeds the children's
    INSERT as a data-modifying CTE, so its new id reaches them without a round trip. ``parent``
    gets its primary key; the children get their link, not their own keys (nothing reads them
    back). Other databases save the parent, then ``bulk_create`` the children.

    ``keyed`` are more rows pointing at ``parent`` (through ``keyed_link``), of another model, that
    are inserted the same way and do get their primary keys, in the order given.

    ``alongside``: plain data-modifying statements (no WITH of their own; ``rows_update_statement``,
    ``update_statement``) on other tables that run in the same statement on PostgreSQL, each as a
    CTE of its own, and right after it, in order, elsewhere. They all see one snapshot, so none may
    write a row another of them writes.

    ``reserve`` (a model and a count): on PostgreSQL, that many new primary keys of the model are
    drawn from its sequence in the same statement and returned, in ascending order, for rows the
    caller inserts later with their keys already given (so rows that name them can go in the same
    statement as they do). Elsewhere nothing is reserved and the list is empty.
    """
    batches = [(rows, name) for rows, name in ((children, link), (keyed, keyed_link)) if rows]
    if connection.vendor != "postgresql":
        parent.save(force_insert=True)
        for rows, name in batches:
            for child in rows:
                setattr(child, name, parent)
            type(rows[0])._default_manager.bulk_create(rows)
        with connection.cursor() as cursor:
            for statement in alongside:
                cursor.execute(*statement)
        return []
    quote = connection.ops.quote_name
    parent_key = quote(_column(parent._meta.pk)[1])
    parent_columns, parent_values, params = _insert_row(parent)
    sql = (
        f"WITH parent AS (INSERT INTO {quote(parent._meta.db_table)} ({', '.join(parent_columns)}) "  # noqa: S608
        f"VALUES ({', '.join(parent_values)}) RETURNING {parent_key})"
    )
    select = "SELECT 0, * FROM parent"
    for index, (rows, name) in enumerate(batches):
        meta = rows[0]._meta
        link_column = _column(meta.get_field(name))[1]
        columns, source, source_params = _rows_source(rows, skip=link_column)
        returning = ""
        if rows is keyed:
            # Keyed rows carry their position, are inserted in it and come back in it.
            returning = f" ORDER BY v.position RETURNING {quote(_column(meta.pk)[1])}"
            select += f" UNION ALL SELECT 1, * FROM batch{index}"  # noqa: S608
        # Only table and column names from the models' own metadata, quoted, go into the text; values are parameters.
        sql += (
            f", batch{index} AS (INSERT INTO {quote(meta.db_table)} ({quote(link_column)}, {', '.join(columns)}) "  # noqa: S608
            f"SELECT parent.{parent_key}, {', '.join(f'v.c{i}' for i in range(len(columns)))} "
            f"FROM parent, ({source}) AS v{returning})"
        )
        params += source_params
    for index, (text, statement_params) in enumerate(alongside):
        sql += f", alongside{index} AS ({text})"
        params += statement_params
    if reserve is not None and reserve[1] > 0:
        model, count = reserve
        select += (
            " UNION ALL SELECT 2, nextval(pg_get_serial_sequence(CAST(%s AS text), CAST(%s AS text))) "
            "FROM generate_series(1, CAST(%s AS integer))"
        )
        params += [model._meta.db_table, _column(model._meta.pk)[1], count]
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} {select}", params)
        keys = cursor.fetchall()
    (parent.pk,) = [pk for batch, pk in keys if batch == 0]
    keyed_keys = [pk for batch, pk in keys if batch == 1]
    reserved = sorted(pk for batch, pk in keys if batch == 2)
    for obj, pk in zip(keyed, keyed_keys, strict=True):
        obj.pk = pk
        obj._state.adding, obj._state.db = False, connection.alias
    parent._state.adding = False
    parent._state.db = connection.alias
    for rows, name in batches:
        for child in rows:
            setattr(child, name, parent)
    return reserved


def _insert_row(obj: models.Model, skip: str = "") -> tuple[list[str], list[str], list[Any]]:
    """The quoted columns, cast placeholders and parameters of ``obj`` as a new row (its database-made key left out)."""
    # The connection itself, not the ``connection`` proxy: the fields consult it a few times per value,
    # and each look through the proxy is a thread-local lookup (a tenth of an invoice's CPU).
    database = connections[DEFAULT_DB_ALIAS]
    columns, placeholders, fields = _insert_columns(type(obj), skip, obj.pk is None, database.vendor)
    return columns, placeholders, [field.get_db_prep_save(field.pre_save(obj, True), database) for field in fields]


def _rows_source(rows: Sequence[models.Model], skip: str = "") -> tuple[list[str], str, list[Any]]:
    """New rows of one model (their database-made keys left out, and ``skip``): their quoted columns, and
    a SELECT of the rows as columns ``c0``… then ``position`` (from 1, in the order given), with its values.

    The rows go as one JSON array parameter, each column read from it with a cast to its type: the
    statement's text depends on the columns, never on the number of rows, so the driver converts it once
    and PostgreSQL prepares it once, where a VALUES list of a parameter per value (a few hundred for an
    invoice's exceptions) was scanned by the driver again for every document. A value JSON cannot carry
    as text its column reads back exactly (an interval, bytes) makes it a VALUES list as before.
    """
    built = [_insert_row(row, skip=skip) for row in rows]
    columns, placeholders, _ = built[0]
    try:
        text = json.dumps([values for _, _, values in built], default=_json_text, allow_nan=False)
    except (TypeError, ValueError):
        names = ", ".join(f"c{i}" for i in range(len(columns)))
        values = ", ".join(
            f"({position}, " + ", ".join(row_values) + ")" for position, (_, row_values, _) in enumerate(built, 1)
        )
        params = [value for _, _, row_values in built for value in row_values]
        # Only cast placeholders go into the text; values are parameters.
        return columns, f"SELECT * FROM (VALUES {values}) AS v(position, {names})", params  # noqa: S608
    # Each placeholder is ``%s::type``: the column's type, read from the JSON element's text.
    read = ", ".join(f"(e.r->>{i})::{p[4:]} AS c{i}" for i, p in enumerate(placeholders))
    elements = "jsonb_array_elements(%s::jsonb) WITH ORDINALITY AS e(r, position)"
    return columns, f"SELECT {read}, e.position FROM {elements}", [text]  # noqa: S608


def _json_text(value: Any) -> str:
    """A value JSON has no type for, as the text its column's type reads (``_rows_source``)."""
    if isinstance(value, Jsonb):
        dumped = (value.dumps or json.dumps)(value.obj)
        return dumped.decode() if isinstance(dumped, bytes) else dumped
    if isinstance(value, (Decimal, UUID)):
        return str(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not sent as JSON text")


_insert_columns_cache: dict[tuple[type[models.Model], str, bool, str], tuple[list[str], list[str], list[Any]]] = {}


def _insert_columns(
    model: type[models.Model], skip: str, no_pk: bool, vendor: str
) -> tuple[list[str], list[str], list[Any]]:
    """A model's quoted columns, cast placeholders and fields for ``_insert_row``, worked out once per process.

    Working out each column's database type took longer than the rest of building the row.
    """
    key = (model, skip, no_pk, vendor)
    if (found := _insert_columns_cache.get(key)) is None:
        columns, placeholders, fields = [], [], []
        for field in model._meta.concrete_fields:
            column = field.column
            if column is None or column == skip or (field.primary_key and no_pk):
                continue
            columns.append(connection.ops.quote_name(column))
            placeholders.append(_cast(field))
            fields.append(field)
        found = _insert_columns_cache[key] = (columns, placeholders, fields)
    return found


def rows_insert(*batches: Sequence[models.Model]) -> None:
    """Insert each batch (new rows of one model each) and give every row its primary key.

    On PostgreSQL all batches are one statement, an INSERT … RETURNING per batch as data-modifying
    CTEs; elsewhere each batch is a ``bulk_create``. The keys come back in the order the rows were
    given, as ``bulk_create`` relies on too.
    """
    batches = tuple(batch for batch in batches if batch)
    if not batches:
        return
    if connection.vendor != "postgresql":
        for batch in batches:
            type(batch[0])._default_manager.bulk_create(batch)
        return
    quote = connection.ops.quote_name
    ctes, selects, params = [], [], []
    for index, batch in enumerate(batches):
        meta = batch[0]._meta
        columns, source, source_params = _rows_source(batch)
        pk_column = quote(_column(meta.pk)[1])
        # Only table and column names from the models' own metadata, quoted, go into the text; values are parameters.
        ctes.append(
            f"b{index} AS (INSERT INTO {quote(meta.db_table)} ({', '.join(columns)}) "  # noqa: S608
            f"SELECT {', '.join(f'v.c{i}' for i in range(len(columns)))} FROM ({source}) AS v "
            f"ORDER BY v.position RETURNING {pk_column})"
        )
        selects.append(f"SELECT {index}, {pk_column} FROM b{index}")  # noqa: S608
        params += source_params
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {', '.join(ctes)} {' UNION ALL '.join(selects)}", params)
        keys: dict[int, list[Any]] = {}
        for index, pk in cursor.fetchall():
            keys.setdefault(index, []).append(pk)
    alias = connection.alias
    for index, batch in enumerate(batches):
        for obj, pk in zip(batch, keys.get(index, []), strict=True):
            obj.pk = pk
            obj._state.adding, obj._state.db = False, alias
