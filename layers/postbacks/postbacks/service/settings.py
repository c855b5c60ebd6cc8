"""Function settings, read from the environment once per container."""

from __future__ import annotations

import os
from functools import cache

from pydantic import BaseModel, Field, field_validator

from postbacks.service.auth import Network, parse_networks


class Settings(BaseModel):
    table_name: str = ""
    bucket_name: str = ""
    queue_url: str = ""
    url_secret_arn: str = ""
    # Empty accepts any source address.
    allowed_source_cidrs: tuple[Network, ...] = ()
    # Larger than any real postback (a 300-item bundle is ~80 KB) and below API Gateway's 10 MB.
    max_body_bytes: int = Field(default=524_288, gt=0, le=1_048_576)
    media_max_bytes: int = Field(default=104_857_600, gt=0)
    media_connect_timeout: float = Field(default=3.0, gt=0)
    media_read_timeout: float = Field(default=10.0, gt=0)
    media_max_redirects: int = Field(default=3, ge=0, le=10)
    media_allow_loopback: bool = False
    # The sender waits 10 s in all; the answer must leave it the network's share. API Gateway stops at 30 s.
    answer_budget_seconds: float = Field(default=9.0, gt=0, lt=30)
    # 0 keeps records forever; otherwise DynamoDB's TTL removes them after this many days.
    retention_days: int = Field(default=0, ge=0)

    @field_validator("allowed_source_cidrs", mode="before")
    @classmethod
    def _networks(cls, value: object) -> object:
        return parse_networks(value) if isinstance(value, str) else value


@cache
def get_settings() -> Settings:
    fields = Settings.model_fields
    values = {name: os.environ[name.upper()] for name in fields if name.upper() in os.environ}
    return Settings.model_validate(values)
