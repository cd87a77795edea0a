"""Portable SQL building blocks for the metrics: durations between timestamps, percentiles.

Both work the same on SQLite and PostgreSQL, so the two databases give the same figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnExpressionArgument, Float, Select, case, func, select
from sqlalchemy.exc import CompileError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

if TYPE_CHECKING:
    from typing import TypeAlias

    AnySelect: TypeAlias = Select[*tuple[Any, ...]]

PERCENTILES = (50, 90)


class seconds_between(FunctionElement[float]):  # lower case: it reads as a SQL function
    """`end - start` in seconds (float), for two timestamp expressions."""

    type = Float()
    name = "seconds_between"
    inherit_cache = True

    def __init__(
        self, start: ColumnExpressionArgument[Any], end: ColumnExpressionArgument[Any]
    ) -> None:
        super().__init__(start, end)


def _operands(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> tuple[str, str]:
    start, end = list(element.clauses)
    return compiler.process(start, **kw), compiler.process(end, **kw)


@compiles(seconds_between, "postgresql")
def _seconds_postgresql(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = _operands(element, compiler, **kw)
    # EXTRACT returns numeric on PostgreSQL 14+; the driver would hand back Decimals.
    return f"CAST(EXTRACT(EPOCH FROM ({end} - {start})) AS DOUBLE PRECISION)"


@compiles(seconds_between, "sqlite")
def _seconds_sqlite(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = _operands(element, compiler, **kw)
    return f"((julianday({end}) - julianday({start})) * 86400.0)"


@compiles(seconds_between)
def _seconds_other(_element: seconds_between, compiler: SQLCompiler, **_kw: Any) -> str:
    raise CompileError(f"seconds_between is not written for {compiler.dialect.name}")


@dataclass(frozen=True)
class DurationStats:
    """Count, mean and nearest-rank percentiles of a set of durations, in seconds."""

    count: int = 0
    mean: float | None = None
    p50: float | None = None
    p90: float | None = None


EMPTY = DurationStats()


def _rank(count: ColumnElement[int], percent: int) -> ColumnElement[int]:
    # Nearest rank: ceil(n * p / 100), in integers so both databases agree exactly.
    return (count * percent + 99) // 100


def _seconds(value: Any) -> float | None:
    # julianday arithmetic carries float noise in the micro-seconds; milliseconds are plenty.
    return None if value is None else round(float(value), 3)


def duration_stats(session: Session, rows: AnySelect) -> dict[tuple[Any, ...], DurationStats]:
    """Stats per key for `rows`, a SELECT whose last column is `d` and the others the key.

    The database ranks the durations with window functions and returns one row per key:
    nothing but the aggregates ever reaches Python.
    """
    source = rows.subquery()
    keys = [c for c in source.c if c.name != "d"]
    ranked = select(
        *keys,
        source.c.d,
        func.row_number().over(partition_by=keys, order_by=source.c.d).label("rn"),
        func.count().over(partition_by=keys).label("n"),
    ).subquery()
    ranked_keys = [ranked.c[c.name] for c in keys]
    percentiles = [
        func.max(case((ranked.c.rn == _rank(ranked.c.n, p), ranked.c.d))).label(f"p{p}")
        for p in PERCENTILES
    ]
    query = select(
        *ranked_keys,
        func.count().label("samples"),
        func.avg(ranked.c.d).label("mean"),
        *percentiles,
    ).group_by(*ranked_keys)
    found: dict[tuple[Any, ...], DurationStats] = {}
    for row in session.execute(query):
        key = tuple(row[: len(keys)])
        found[key] = DurationStats(
            count=int(row.samples),
            mean=_seconds(row.mean),
            p50=_seconds(row.p50),
            p90=_seconds(row.p90),
        )
    return found
