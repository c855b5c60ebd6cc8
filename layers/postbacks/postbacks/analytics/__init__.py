"""Delivery analytics: the stack's events as files in S3 (one JSON line each), and the reports run over them.

`schema` is the files' columns as the Glue table declares them; `reports` loads each report's SQL (Athena's
Trino dialect) and binds its window; `athena` runs a report on Athena, `duckdb_engine` on DuckDB (the
local stack, small data); `unresolved` is the daily scheduled run.
"""
