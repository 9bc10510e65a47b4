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

from collections.abc import Sequence
from typing import Any, cast

from django.db import connection, models
from django.db.models.sql import UpdateQuery

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
    model = type(objs[0])
    meta = model._meta
    pk, pk_column = _column(meta.pk)
    concrete = [_column(meta.get_field(name)) for name in fields]
    quote = connection.ops.quote_name
    casts = [f"CAST(%s AS {pk.db_type(connection)})"] + [f"CAST(%s AS {f.db_type(connection)})" for f, _ in concrete]
    row = "(" + ", ".join(casts) + ")"
    params: list[Any] = []
    for obj in objs:
        params.append(obj.pk)
        params.extend(f.get_db_prep_save(getattr(obj, f.attname), connection) for f, _ in concrete)
    columns = ", ".join(["v_pk", *(f"v{i}" for i in range(len(concrete)))])
    assignments = ", ".join(f"{quote(column)} = v.v{i}" for i, (_, column) in enumerate(concrete))
    # Only table and column names from the model's own metadata, quoted, go into the text; values are parameters.
    prefix = ""
    if alongside is not None:
        # Both statements see one snapshot; they write different tables, so neither hides the other's rows.
        prefix = f"WITH alongside AS ({alongside[0]}) "
        params = [*alongside[1], *params]
    sql = (
        f"{prefix}UPDATE {quote(meta.db_table)} AS t SET {assignments} "  # noqa: S608
        f"FROM (VALUES {', '.join([row] * len(objs))}) AS v({columns}) "
        f"WHERE t.{quote(pk_column)} = v.v_pk"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


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


def row_insert_with_children(parent: models.Model, children: Sequence[models.Model], *, link: str) -> None:
    """Insert ``parent`` and ``children`` (rows of one model whose ``link`` foreign key is ``parent``).

    On PostgreSQL this is one statement: the parent's INSERT … RETURNING feeds the children's
    INSERT as a data-modifying CTE, so its new id reaches them without a round trip. ``parent``
    gets its primary key; the children get their link, not their own keys (nothing reads them
    back). Other databases save the parent, then ``bulk_create`` the children.
    """
    if connection.vendor != "postgresql":
        parent.save(force_insert=True)
        for child in children:
            setattr(child, link, parent)
        if children:
            type(children[0])._default_manager.bulk_create(children)
        return
    quote = connection.ops.quote_name
    parent_columns, parent_values, params = _insert_row(parent)
    sql = (
        f"WITH parent AS (INSERT INTO {quote(parent._meta.db_table)} ({', '.join(parent_columns)}) "  # noqa: S608
        f"VALUES ({', '.join(parent_values)}) RETURNING {quote(_column(parent._meta.pk)[1])})"
    )
    if children:
        meta = children[0]._meta
        link_column = _column(meta.get_field(link))[1]
        rows = [_insert_row(child, skip=link_column) for child in children]
        columns = rows[0][0]
        names = [f"c{i}" for i in range(len(columns))]
        values = ", ".join("(" + ", ".join(row_values) + ")" for _, row_values, _ in rows)
        # Only table and column names from the models' own metadata, quoted, go into the text; values are parameters.
        sql += (
            f", children AS (INSERT INTO {quote(meta.db_table)} ({quote(link_column)}, {', '.join(columns)}) "  # noqa: S608
            f"SELECT parent.{quote(_column(parent._meta.pk)[1])}, {', '.join(f'v.{n}' for n in names)} "
            f"FROM parent, (VALUES {values}) AS v({', '.join(names)}))"
        )
        params += [value for _, _, row_params in rows for value in row_params]
    sql += " SELECT * FROM parent"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        (parent.pk,) = cursor.fetchone()
    parent._state.adding, parent._state.db = False, connection.alias
    for child in children:
        setattr(child, link, parent)


def _insert_row(obj: models.Model, skip: str = "") -> tuple[list[str], list[str], list[Any]]:
    """The quoted columns, cast placeholders and parameters of ``obj`` as a new row (its database-made key left out)."""
    columns, placeholders, params = [], [], []
    for field in obj._meta.concrete_fields:
        column = field.column
        if column is None or column == skip or (field.primary_key and obj.pk is None):
            continue
        columns.append(connection.ops.quote_name(column))
        placeholders.append(f"CAST(%s AS {field.db_type(connection)})")
        params.append(field.get_db_prep_save(field.pre_save(obj, True), connection))
    return columns, placeholders, params


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
        rows = [_insert_row(obj) for obj in batch]
        values = ", ".join("(" + ", ".join(row_values) + ")" for _, row_values, _ in rows)
        pk_column = quote(_column(meta.pk)[1])
        # Only table and column names from the models' own metadata, quoted, go into the text; values are parameters.
        ctes.append(
            f"b{index} AS (INSERT INTO {quote(meta.db_table)} ({', '.join(rows[0][0])}) "  # noqa: S608
            f"VALUES {values} RETURNING {pk_column})"
        )
        selects.append(f"SELECT {index}, {pk_column} FROM b{index}")  # noqa: S608
        params += [value for _, _, row_params in rows for value in row_params]
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {', '.join(ctes)} {' UNION ALL '.join(selects)}", params)
        keys: dict[int, list[Any]] = {}
        for index, pk in cursor.fetchall():
            keys.setdefault(index, []).append(pk)
    for index, batch in enumerate(batches):
        for obj, pk in zip(batch, keys.get(index, []), strict=True):
            obj.pk = pk
            obj._state.adding, obj._state.db = False, connection.alias
