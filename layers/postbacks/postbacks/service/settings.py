"""Function settings: every one required, read from the environment and validated once per container.

A handler loads its settings at import, so a missing or malformed variable fails the init with a message
naming it, instead of every request failing later. The template sets each variable (see template.yaml).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cache

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from postbacks.service.auth import Network, parse_networks


class SettingsError(RuntimeError):
    """The environment does not hold a function's settings; the message names each variable at fault."""


class Settings(BaseModel):
    """What every function that stores postbacks needs."""

    model_config = ConfigDict(frozen=True)

    table_name: str = Field(min_length=1)
    bucket_name: str = Field(min_length=1)
    queue_url: str = Field(min_length=1)
    # 0 keeps records forever; otherwise DynamoDB's TTL removes them after this many days.
    retention_days: int = Field(ge=0)
    # Larger than any real postback (a 300-item bundle is ~80 KB) and below API Gateway's 10 MB.
    max_body_bytes: int = Field(gt=0, le=1_048_576)


class IngestSettings(Settings):
    url_secret_arn: str = Field(min_length=1)
    # Empty accepts any source address.
    allowed_source_cidrs: tuple[Network, ...]
    # The sender waits 10 s in all; the answer must leave it the network's share. API Gateway stops at 30 s.
    answer_budget_seconds: float = Field(gt=0, lt=30)

    @field_validator("allowed_source_cidrs", mode="before")
    @classmethod
    def _networks(cls, value: object) -> object:
        return parse_networks(value) if isinstance(value, str) else value


class WorkerSettings(Settings):
    media_max_bytes: int = Field(gt=0)
    media_connect_timeout: float = Field(gt=0)
    media_read_timeout: float = Field(gt=0)
    media_max_redirects: int = Field(ge=0, le=10)
    media_allow_loopback: bool


def from_environment[T: Settings](kind: type[T], environ: Mapping[str, str] = os.environ) -> T:
    """`kind` from the variables named after its fields (TABLE_NAME...); SettingsError names what is wrong."""
    names = {field: field.upper() for field in kind.model_fields}
    missing = [variable for variable in names.values() if variable not in environ]
    if missing:
        raise SettingsError(f"missing environment variable(s): {', '.join(missing)}")
    try:
        return kind.model_validate({field: environ[variable] for field, variable in names.items()})
    except ValidationError as error:
        problems = "; ".join(
            f"{str(problem['loc'][0]).upper()}={environ.get(str(problem['loc'][0]).upper())!r}: {problem['msg']}"
            for problem in error.errors()
        )
        raise SettingsError(f"malformed environment variable(s): {problems}") from None


@cache
def get_settings() -> Settings:
    return from_environment(Settings)


@cache
def ingest_settings() -> IngestSettings:
    return from_environment(IngestSettings)


@cache
def worker_settings() -> WorkerSettings:
    return from_environment(WorkerSettings)


def clear() -> None:
    """Forget the settings read (tests change the environment between cases)."""
    for loaded in (get_settings, ingest_settings, worker_settings):
        loaded.cache_clear()
