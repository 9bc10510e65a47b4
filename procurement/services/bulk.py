"""One-statement updates of many rows, for the write path's hot loop.

Django's ``bulk_update`` builds a CASE expression per field per row; for a five-line
acknowledgement that costs more than everything else the write path does together. On
PostgreSQL this writes ``UPDATE … FROM (VALUES …)`` instead: one statement, compiled in
microseconds. Other databases keep ``bulk_update``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection, models


def rows_update(objs: Sequence[models.Model], fields: Sequence[str]) -> None:
    """Write ``fields`` of every object in ``objs`` (all of one model) in one statement."""
    if not objs:
        return
    model = type(objs[0])
    if connection.vendor != "postgresql":
        model._default_manager.bulk_update(objs, fields)
        return
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
    sql = (
        f"UPDATE {quote(meta.db_table)} AS t SET {assignments} "  # noqa: S608
        f"FROM (VALUES {', '.join([row] * len(objs))}) AS v({columns}) "
        f"WHERE t.{quote(pk_column)} = v.v_pk"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _column(field: object) -> tuple[models.Field[Any, Any], str]:
    """A concrete field and its column; a reverse relation or a many-to-many has no column to set."""
    if not isinstance(field, models.Field) or not field.column:
        raise TypeError(f"{field!r} is not a column")
    return field, field.column
