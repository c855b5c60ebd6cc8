"""A report on DuckDB, in-process, over analytics files on disk: the local stack's engine and the benchmark's.

The report's Athena SQL is transpiled by sqlglot (Trino -> DuckDB). Athena's `approx_percentile` becomes
DuckDB's exact `quantile_disc` here: on data this small the exact figure costs nothing and can be checked.
Imported by the CLI only: the Lambda layer does not ship duckdb or sqlglot.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from postbacks.analytics import schema
from postbacks.analytics.result import Result

# The delivery day is the file's folder: <prefix>YYYY/MM/DD/HH/<file>, as Firehose writes it.
_DAY_OF_PATH = r"(\d{4}/\d{2}/\d{2})/\d{2}/[^/]*$"


def to_duckdb(query: str) -> str:
    import sqlglot
    from sqlglot import exp

    def exact(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.ApproxQuantile):
            return exp.Anonymous(this="quantile_disc", expressions=[node.this, node.args["quantile"]])
        return node

    tree = sqlglot.parse_one(query, read="trino").transform(exact)
    return tree.sql(dialect="duckdb")


def _view(files: Sequence[Path]) -> str:
    columns = ", ".join(f"'{name}': '{kind}'" for name, kind in schema.duckdb_columns().items())
    paths = ", ".join("'" + str(path).replace("'", "''") + "'" for path in files)
    # The paths are ours (a temporary folder), quoted; nothing in the view comes from a user.
    return (
        f'CREATE VIEW {schema.TABLE} AS SELECT id, "{schema.DETAIL_TYPE_FIELD}" AS detail_type, time, detail, '  # noqa: S608
        f"regexp_extract(replace(filename, '\\', '/'), '{_DAY_OF_PATH}', 1) AS {schema.PARTITION} "
        f"FROM read_json([{paths}], format = 'newline_delimited', columns = {{{columns}}}, filename = true)"
    )


def _empty_view() -> str:
    columns = ", ".join(f'CAST(NULL AS {kind}) AS "{name}"' for name, kind in schema.duckdb_columns().items()).replace(
        f'"{schema.DETAIL_TYPE_FIELD}"', "detail_type"
    )
    return f"CREATE VIEW {schema.TABLE} AS SELECT {columns}, CAST(NULL AS VARCHAR) AS {schema.PARTITION} LIMIT 0"


class DuckDbEngine:
    """Runs a bound report over these files (JSON lines, gzip or plain)."""

    name = "duckdb"

    def __init__(self, files: Sequence[Path], threads: int | None = None) -> None:
        self.files = list(files)
        self.threads = threads

    def run(self, query: str, progress: Callable[[str], None] | None = None) -> Result:
        import duckdb

        connection = duckdb.connect(":memory:")
        try:
            if self.threads:
                connection.execute(f"SET threads = {int(self.threads)}")
            connection.execute(_view(self.files) if self.files else _empty_view())
            if progress:
                progress(f"running on DuckDB over {len(self.files)} files")
            cursor = connection.execute(to_duckdb(query))
            columns = [column[0] for column in cursor.description or []]
            rows: list[tuple[Any, ...]] = [tuple(row) for row in cursor.fetchall()]
        finally:
            connection.close()
        read = sum(path.stat().st_size for path in self.files)
        return Result(columns=columns, rows=rows, bytes_scanned=read, engine=self.name)
