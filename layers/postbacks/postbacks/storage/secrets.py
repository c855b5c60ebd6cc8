"""The postback URL secret(s), from Secrets Manager, cached per container."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from postbacks.storage import aws

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.parameters import SecretsProvider

# Rotation takes effect within this many seconds of a new secret value, without a deploy.
CACHE_SECONDS = 300


class SecretUnavailable(Exception):
    """Secrets Manager could not be read (or the secret is empty): nobody can be told they are unauthorised."""


def accepted_secrets(secret_id: str) -> list[str]:
    """The current secret first, then any previous one still in its grace period (comma separated)."""
    return _read(secret_id, force_fetch=False)


def current_secret(secret_id: str) -> str:
    """The secret to give the vendor: the first of the list, read afresh."""
    return _read(secret_id, force_fetch=True)[0]


def split_secrets(value: str) -> list[str]:
    return [secret.strip() for secret in value.split(",") if secret.strip()]


def _read(secret_id: str, *, force_fetch: bool) -> list[str]:
    from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

    try:
        value = _provider().get(secret_id, max_age=CACHE_SECONDS, force_fetch=force_fetch)
    except GetParameterError as error:
        raise SecretUnavailable(str(error)) from error
    secrets = split_secrets(str(value))
    if not secrets:
        raise SecretUnavailable(f"the secret {secret_id} holds no URL secret")
    return secrets


@cache
def _provider() -> SecretsProvider:
    # Imported at first use: Powertools' parameters module imports boto3, which a cold start would pay twice.
    from aws_lambda_powertools.utilities.parameters import SecretsProvider

    return SecretsProvider(boto3_client=aws.secretsmanager())


def reset() -> None:
    _provider.cache_clear()
