"""The postback URL secret(s), from SSM Parameter Store (SecureString), cached per container."""

from __future__ import annotations

# Rotation takes effect within this many seconds of an SSM update, without a deploy.
CACHE_SECONDS = 300


def accepted_secrets(parameter_name: str) -> list[str]:
    """The current secret first, then any previous one still in its grace period (comma separated)."""
    # Imported at first use: Powertools' parameters module imports boto3, which a cold start would pay twice.
    from aws_lambda_powertools.utilities import parameters

    value = parameters.get_parameter(parameter_name, decrypt=True, max_age=CACHE_SECONDS)
    return [secret.strip() for secret in str(value).split(",") if secret.strip()]
