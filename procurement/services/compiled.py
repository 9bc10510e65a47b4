"""Querysets of the write path's hot loop, compiled to SQL once per shape instead of once per document.

Compiling a queryset with joins, ``select_related`` and a subquery costs more CPU than running it: the
PO lock of an acknowledgement took about 1.3 ms to compile and well under that to fetch. The SQL
depends only on the queryset's shape (which filters, joins and annotations it has), never on the
values it filters by, so ``fetch`` keeps the compiled SQL and the compiler's column map per shape and
afterwards only sends the new values and builds the model instances from the rows, the way Django's
own iteration does (related objects from ``select_related``, annotations, field converters).

The caller names the shape (``key``) and gives the values in the order the compiled SQL takes them.
The first time, the compiled parameters are checked against them: a shape whose parameters are not
exactly those values is not cached and runs as a plain queryset, so a wrong key or order can cost
speed but never a wrong answer. A key must name every branch that changes the shape; with
``GATEWAY_COMPILED_VERIFY`` on (the test suite turns it on) every call compiles again and fails loudly
when a key's SQL or parameters differ from the cached ones, so a shape that changed without its key
is caught by any test that reaches it.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from typing import Any, TypeVar, cast

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, QuerySet
from django.db.models.query import FlatValuesListIterable, ModelIterable, ValuesListIterable, get_related_populators
from django.db.transaction import TransactionManagementError

R = TypeVar("R")  # what a row of the queryset is: a model instance, or a ``values_list`` row

_cache: dict[tuple[str, str], tuple[str, Any, bool, bool]] = {}
_uncacheable: set[tuple[str, str]] = set()


Query = tuple[str, Callable[[], QuerySet[Any]], Sequence[Any]]


def fetch(key: str, build: Callable[[], QuerySet[Any, R]], params: Sequence[Any]) -> list[R]:
    """The rows of ``build()`` as iterating it gives them (model instances, or ``values_list`` rows);
    ``params`` are its filter values in SQL order.

    ``build`` is called only the first time a shape is seen (or every time, for a shape whose
    compiled parameters did not match ``params``).
    """
    (rows,) = fetch_together((key, build, params))
    return rows


def fetch_together(*queries: Query) -> list[list[Any]]:
    """``fetch`` of each query, in order: on PostgreSQL sent in one round trip when all are compiled.

    The statements still run one after the other on the server, each in its own snapshot, exactly as
    if each had waited for the one before it (psycopg's pipeline mode): a read after a row lock sees
    what the lock waited for. Only the client stops waiting between them.
    """
    statements = [_compiled(key, build, list(params)) for key, build, params in queries]
    found = _together([s if isinstance(s, QuerySet) else s[:4] for s in statements])
    # ``values_list(flat=True)`` rows as single values, as iterating the queryset gives them.
    return [
        [row[0] for row in rows] if not isinstance(s, QuerySet) and s[4] else rows
        for s, rows in zip(statements, found, strict=True)
    ]


def rows_together(*querysets: QuerySet[Any]) -> list[list[Any]]:
    """What iterating each queryset gives (instances, or ``values_list`` rows), on PostgreSQL sent in one
    round trip as ``fetch_together`` sends them; compiled on each call, never cached.

    For reads whose shape changes with their values (an ``__in`` of as many placeholders as ids), which
    would add a cached shape per length: compiling costs less than the round trips it saves.
    """
    return statements_then_rows([], *querysets)[1]


def statements_then_rows(
    raw: Sequence[tuple[str, Sequence[Any]]], *querysets: QuerySet[Any]
) -> tuple[list[list[tuple[Any, ...]]], list[list[Any]]]:
    """``rows_together`` of ``querysets`` after the SQL statements ``raw`` (a lock to take first, a row
    to insert), all in one round trip on PostgreSQL, each run after the one before; returns the rows
    each raw statement answers (none for one that answers no rows), and each queryset's."""
    statements: list[Statement] = [(sql, list(params), None, False) for sql, params in raw]
    empty: set[int] = set()
    plain = [_plain_rows(queryset) for queryset in querysets]
    for position, queryset in enumerate(querysets):
        if not plain[position]:
            statements.append(queryset)
            continue
        compiler = queryset.query.get_compiler(queryset.db)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:  # an ``__in`` of nothing: no rows, as Django answers it without the database
            empty.add(position)
            continue
        statements.append((sql, list(params), compiler, queryset._iterable_class is not ModelIterable))
    found = iter(_together(statements))
    answers = [next(found) for _ in raw]
    results: list[list[Any]] = []
    for position, queryset in enumerate(querysets):
        if position in empty:
            results.append([])
            continue
        rows = next(found)
        flat = plain[position] and queryset._iterable_class is FlatValuesListIterable
        results.append([row[0] for row in rows] if flat else rows)
    return answers, results


def _plain_rows(queryset: QuerySet[Any]) -> bool:
    """Whether ``_instances`` makes what iterating ``queryset`` makes: model instances, or ``values_list``
    rows of plain columns (no extra or annotated names, which values_list would reorder)."""
    if queryset.db != DEFAULT_DB_ALIAS or queryset._result_cache is not None:
        return False
    if queryset._iterable_class is ModelIterable:
        return True
    query = queryset.query
    return queryset._iterable_class in (ValuesListIterable, FlatValuesListIterable) and not (
        query.extra_select or query.annotation_select
    )


# A compiled SELECT: its SQL, values, compiler, and whether its rows are ``values_list`` tuples (else instances).
Statement = tuple[str, list[Any], Any, bool] | QuerySet[Any]


def _together(statements: list[Statement]) -> list[list[Any]]:
    connection = connections[DEFAULT_DB_ALIAS]
    results: list[list[Any] | None] = [None] * len(statements)
    ready = [
        (position, sql, params, compiler, values)
        for position, statement in enumerate(statements)
        if not isinstance(statement, QuerySet)
        for sql, params, compiler, values in [statement]
    ]
    for _, _, _, compiler, _ in ready:
        if compiler is not None and compiler.query.select_for_update and not connection.in_atomic_block:
            raise TransactionManagementError("select_for_update cannot be used outside of a transaction.")
    if len(ready) == len(statements) > 1 and connection.vendor == "postgresql":
        connection.ensure_connection()
        cursors = [connection.cursor() for _ in ready]
        try:
            with connection.wrap_database_errors, connection.connection.pipeline():
                for cursor, (_, sql, params, _, _) in zip(cursors, ready, strict=True):
                    cursor.execute(sql, params)
            for cursor, (position, _, _, compiler, values) in zip(cursors, ready, strict=True):
                results[position] = _rows(compiler, cursor, values)
        finally:
            for cursor in cursors:
                cursor.close()
        return cast(list[list[Any]], results)
    for position, statement in enumerate(statements):
        if isinstance(statement, QuerySet):
            results[position] = list(statement)
            continue
        sql, params, compiler, values = statement
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            results[position] = _rows(compiler, cursor, values)
    return cast(list[list[Any]], results)


def _compiled(
    key: str, build: Callable[[], QuerySet[Any]], params: list[Any]
) -> tuple[str, list[Any], Any, bool, bool] | QuerySet[Any]:
    """The cached SQL, values and compiler of ``key``'s shape, and whether its rows are ``values_list``
    tuples and single values (``flat``); a plain queryset for a shape that cannot be cached."""
    cache_key = (DEFAULT_DB_ALIAS, key)
    if cache_key in _uncacheable:
        return build()
    compiled = _cache.get(cache_key)
    if compiled is None:
        queryset = build()
        compiler = queryset.query.get_compiler(queryset.db)
        sql, compiled_params = compiler.as_sql()
        if not _plain_rows(queryset) or list(compiled_params) != params:
            _uncacheable.add(cache_key)
            return queryset
        values = queryset._iterable_class is not ModelIterable
        compiled = _cache[cache_key] = (sql, compiler, values, queryset._iterable_class is FlatValuesListIterable)
    sql, compiler, values, flat = compiled
    if getattr(settings, "GATEWAY_COMPILED_VERIFY", False):
        _verify(key, sql, build(), params)
    return sql, params, compiler, values, flat


def _verify(key: str, sql: str, queryset: QuerySet[Any], params: list[Any]) -> None:
    """Fail when ``key``'s shape now compiles to other SQL, or takes other values, than the cached one."""
    fresh_sql, fresh_params = queryset.query.get_compiler(queryset.db).as_sql()
    if fresh_sql != sql or list(fresh_params) != params:
        raise AssertionError(f"compiled shape {key!r} changed without its key: {fresh_sql!r} {list(fresh_params)!r}")


def _rows(compiler: Any, cursor: Any, values: bool) -> list[Any]:
    """``values_list`` tuples (``values``) or model instances of a compiled SELECT's rows on ``cursor``;
    a raw statement's rows as they are (``compiler`` None; none if it answers no rows)."""
    if compiler is None:
        return cursor.fetchall() if cursor.description else []
    rows = cursor.fetchall()
    if values:
        return list(compiler.results_iter([rows], tuple_expected=True))
    return _instances(compiler, rows, DEFAULT_DB_ALIAS)


def _instances(compiler: Any, rows: list[tuple[Any, ...]], alias: str) -> list[Any]:
    """Model instances from ``rows`` as ``ModelIterable`` makes them (Django 5.2), for the compiled SELECT,
    except that the rows' ``select_related`` objects that are one row are one instance: the five lines
    of a PO locked together share their PO, its company and its buyer, made once instead of five times."""
    select, klass_info, annotation_col_map = compiler.select, compiler.klass_info, compiler.annotation_col_map
    model_cls = klass_info["model"]
    select_fields = klass_info["select_fields"]
    start, end = select_fields[0], select_fields[-1] + 1
    init_list = [f[0].target.attname for f in select[start:end]]
    related_populators = _populators.get(compiler)
    if related_populators is None:
        related_populators = _populators[compiler] = get_related_populators(klass_info, select, alias)  # type: ignore[call-arg]  # stubs are ahead of 5.2
    objects = []
    made: dict[tuple[int, Any], Model] = {}
    for row in compiler.results_iter([rows]):
        obj = model_cls.from_db(alias, init_list, row[start:end])
        for populator in related_populators:
            _populate(populator, row, obj, made)
        for name, position in annotation_col_map.items():
            setattr(obj, name, row[position])
        objects.append(obj)
    return objects


# Each compiled SELECT's populators of its ``select_related`` objects, made once per compiled shape.
_populators: weakref.WeakKeyDictionary[Any, list[Any]] = weakref.WeakKeyDictionary()


def _populate(populator: Any, row: tuple[Any, ...], obj: Model, made: dict[tuple[int, Any], Model]) -> None:
    """``RelatedPopulator.populate`` (Django 5.2), reusing the instance ``made`` for a row met before."""
    data = (
        populator.reorder_for_init(row)
        if populator.reorder_for_init
        else row[populator.cols_start : populator.cols_end]
    )
    pk = data[populator.pk_idx]
    related = None
    if pk is not None:
        related = made.get((id(populator), pk))
        if related is None:
            related = made[(id(populator), pk)] = populator.model_cls.from_db(populator.db, populator.init_list, data)
            for nested in populator.related_populators:
                _populate(nested, row, related, made)
    populator.local_setter(obj, related)
    if related is not None:
        populator.remote_setter(related, obj)


def clear() -> None:
    """Forget every compiled shape (a test that changes the schema or the settings calls this)."""
    _cache.clear()
    _uncacheable.clear()
