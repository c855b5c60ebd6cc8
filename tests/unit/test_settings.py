"""Settings: every variable required, validated once; a missing or malformed one is named in the error."""

from __future__ import annotations

import ipaddress

import pytest

from postbacks.service.settings import IngestSettings, Settings, SettingsError, WorkerSettings, from_environment

STORAGE = {
    "TABLE_NAME": "t",
    "BUCKET_NAME": "b",
    "QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/q",
    "RETENTION_DAYS": "0",
    "MAX_BODY_BYTES": "524288",
}
INGEST = STORAGE | {"URL_SECRET_ARN": "arn:s", "ALLOWED_SOURCE_CIDRS": "", "ANSWER_BUDGET_SECONDS": "9"}
WORKER = STORAGE | {
    "MEDIA_MAX_BYTES": "104857600",
    "MEDIA_CONNECT_TIMEOUT": "3",
    "MEDIA_READ_TIMEOUT": "10",
    "MEDIA_MAX_REDIRECTS": "3",
    "MEDIA_ALLOW_LOOPBACK": "false",
}


def test_the_templates_variables_make_each_functions_settings() -> None:
    assert from_environment(Settings, STORAGE).max_body_bytes == 524_288
    assert from_environment(IngestSettings, INGEST).allowed_source_cidrs == ()
    assert from_environment(WorkerSettings, WORKER).media_allow_loopback is False


@pytest.mark.parametrize("name", sorted(INGEST))
def test_a_missing_variable_is_named(name: str) -> None:
    environ = {key: value for key, value in INGEST.items() if key != name}
    with pytest.raises(SettingsError, match=f"missing environment variable\\(s\\): {name}$"):
        from_environment(IngestSettings, environ)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TABLE_NAME", ""),
        ("RETENTION_DAYS", "-1"),
        ("MAX_BODY_BYTES", "lots"),
        ("ANSWER_BUDGET_SECONDS", "30"),
        ("ALLOWED_SOURCE_CIDRS", "10.0.0.0/33"),
    ],
)
def test_a_malformed_variable_is_named_with_its_value(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=f"malformed environment variable\\(s\\): {name}='"):
        from_environment(IngestSettings, INGEST | {name: value})


def test_a_worker_does_not_need_the_ingest_functions_variables() -> None:
    assert from_environment(WorkerSettings, WORKER).table_name == "t"
    with pytest.raises(SettingsError, match="URL_SECRET_ARN"):
        from_environment(IngestSettings, WORKER)


def test_allowed_cidrs_become_networks() -> None:
    settings = from_environment(IngestSettings, INGEST | {"ALLOWED_SOURCE_CIDRS": "192.0.2.0/24, 2001:db8::/32"})
    assert settings.allowed_source_cidrs == (
        ipaddress.ip_network("192.0.2.0/24"),
        ipaddress.ip_network("2001:db8::/32"),
    )
