"""The analytics files' columns: one place for the Glue table (template.yaml) and DuckDB's reader.

A file line is one EventBridge event as the rule hands it to Firehose (`detail-type`, `time`, `detail`...).
Only the fields the reports read are declared; the rest of each line stays in the file, unread. Of an
MO's text the reports read only the first word (its keyword). The Glue table's `Columns` must equal
`glue_columns()`; a unit test holds them equal.
"""

from __future__ import annotations

from typing import Final

TABLE: Final = "postback_events"
# Athena's table reads `detail-type` through the JSON SerDe's mapping; DuckDB renames it in its view.
DETAIL_TYPE_FIELD: Final = "detail-type"
PARTITION: Final = "dt"  # the day Firehose delivered the line, yyyy/MM/dd: its S3 prefix
DAY_FORMAT: Final = "%Y/%m/%d"

_POSTBACK: Final = (
    ("code", "string"),
    ("status", "string"),
    ("kind", "string"),
    ("status_text", "string"),
    ("from", "string"),
    ("to", "string"),
    ("operator_id", "string"),
    ("operator_name", "string"),
    ("shortcode", "string"),
    ("mms_id", "string"),
    ("campaign_id", "string"),
    ("client_reference", "string"),
    ("keyword", "string"),
    ("text", "string"),  # inbound: its first word is the keyword when the vendor names none
)
_MESSAGE: Final = (("status", "string"), ("status_code", "string"), ("final", "boolean"))
_DETAIL: Final = (
    ("message_key", "string"),
    ("event_id", "string"),
    ("received_at", "string"),
    ("event_at", "string"),
    ("precedence", "string"),
    ("postback", _POSTBACK),
    ("message", _MESSAGE),
    ("index", "int"),
    ("s3_uri", "string"),
    ("size", "bigint"),
    ("content_type", "string"),
)
COLUMNS: Final = (("id", "string"), ("detail_type", "string"), ("time", "string"), ("detail", _DETAIL))

_DUCKDB_TYPES: Final = {"string": "VARCHAR", "boolean": "BOOLEAN", "int": "INTEGER", "bigint": "BIGINT"}

Fields = tuple[tuple[str, object], ...]


def glue_type(kind: object) -> str:
    """A column's type as Glue (Hive DDL) writes it: `struct<a:string,b:struct<...>>`."""
    if isinstance(kind, str):
        return kind
    fields: Fields = kind  # type: ignore[assignment]
    return "struct<" + ",".join(f"{name}:{glue_type(inner)}" for name, inner in fields) + ">"


def duckdb_type(kind: object) -> str:
    if isinstance(kind, str):
        return _DUCKDB_TYPES[kind]
    fields: Fields = kind  # type: ignore[assignment]
    return "STRUCT(" + ", ".join(f'"{name}" {duckdb_type(inner)}' for name, inner in fields) + ")"


def glue_columns() -> list[dict[str, str]]:
    return [{"Name": name, "Type": glue_type(kind)} for name, kind in COLUMNS]


def duckdb_columns() -> dict[str, str]:
    """`read_json(columns=...)`: the file's own names (`detail-type`), DuckDB's types."""
    return {(DETAIL_TYPE_FIELD if name == "detail_type" else name): duckdb_type(kind) for name, kind in COLUMNS}
