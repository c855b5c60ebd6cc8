"""A report on Athena: start it in the stack's workgroup, wait (saying how far it got), read the rows.

The workgroup fixes the results prefix and the bytes-scanned cut-off; the rows come back as text and
are typed here from the result's own column types.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from postbacks.analytics.result import Result

if TYPE_CHECKING:
    from mypy_boto3_athena import AthenaClient  # boto3-stubs[athena], a dev extra

_DONE = frozenset({"SUCCEEDED", "FAILED", "CANCELLED"})
_NUMBERS: dict[str, Callable[[str], Any]] = {
    "bigint": int,
    "integer": int,
    "smallint": int,
    "tinyint": int,
    "double": float,
    "real": float,
    "decimal": float,
    "boolean": lambda text: text == "true",
}


class AthenaError(RuntimeError):
    """The query failed or was cancelled (the cut-off stops a query with this error too)."""


def names_for(stack_name: str) -> tuple[str, str]:
    """(workgroup, database) as template.yaml names them: hyphens become underscores, Glue lowercases."""
    return f"{stack_name}-analytics", "_".join([*stack_name.split("-"), "analytics"]).lower()


class AthenaEngine:
    name = "athena"

    def __init__(
        self, workgroup: str, database: str, client: AthenaClient | None = None, poll_seconds: float = 1.0
    ) -> None:
        self.workgroup = workgroup
        self.database = database
        self._client = client
        self.poll_seconds = poll_seconds

    @property
    def client(self) -> AthenaClient:
        if self._client is None:
            import boto3

            self._client = boto3.client("athena")
        return self._client

    def run(self, query: str, progress: Callable[[str], None] | None = None) -> Result:
        query_id = self.client.start_query_execution(
            QueryString=query, WorkGroup=self.workgroup, QueryExecutionContext={"Database": self.database}
        )["QueryExecutionId"]
        execution = self._wait(query_id, progress)
        status = execution["Status"]
        scanned = int(execution.get("Statistics", {}).get("DataScannedInBytes", 0))
        if status["State"] != "SUCCEEDED":
            reason = status.get("StateChangeReason") or status["State"].lower()
            raise AthenaError(f"query {query_id} {status['State'].lower()}: {reason}")
        columns, rows = self._rows(query_id)
        return Result(columns=columns, rows=rows, bytes_scanned=scanned, engine=self.name, query_id=query_id)

    def _wait(self, query_id: str, progress: Callable[[str], None] | None) -> dict[str, Any]:
        while True:
            execution: dict[str, Any] = dict(
                self.client.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
            )
            state = execution["Status"]["State"]
            if progress:
                scanned = int(execution.get("Statistics", {}).get("DataScannedInBytes", 0))
                progress(f"Athena {state.lower()}, {scanned / 1024**2:.1f} MB scanned")
            if state in _DONE:
                return execution
            time.sleep(self.poll_seconds)

    def _rows(self, query_id: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        columns: list[str] = []
        converters: list[Callable[[str], Any]] = []
        rows: list[tuple[Any, ...]] = []
        first = True
        for page in self.client.get_paginator("get_query_results").paginate(QueryExecutionId=query_id):
            result = page["ResultSet"]
            if not columns:
                info = result["ResultSetMetadata"]["ColumnInfo"]
                columns = [column["Name"] for column in info]
                converters = [_NUMBERS.get(column["Type"], str) for column in info]
            for row in result["Rows"]:
                if first:  # the header row
                    first = False
                    continue
                cells = [cell.get("VarCharValue") for cell in row["Data"]]
                rows.append(tuple(None if c is None else f(c) for c, f in zip(cells, converters, strict=True)))
        return columns, rows
