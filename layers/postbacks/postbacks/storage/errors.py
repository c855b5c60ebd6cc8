"""What a DynamoDB call's failure means to the caller: retry later, refused for good, or a failed condition."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError


class StorageUnavailable(Exception):
    """DynamoDB (or the queue) could not be reached or failed: the sender must retry later."""


class StorageRefused(Exception):
    """DynamoDB refused this item for good (a ValidationException: too large, a key over its limit).

    Retrying cannot help, so the caller keeps the body aside instead of asking for a retry.
    """


class ConditionFailed(Exception):
    """A conditional write found the item already there: a redelivery."""


def call(operation: Callable[..., Any], **kwargs: Any) -> Any:
    try:
        return operation(**kwargs)
    except ClientError as error:
        details = error.response.get("Error", {})
        code = details.get("Code")
        if code == "ConditionalCheckFailedException":
            raise ConditionFailed from error
        if code == "ValidationException":
            raise StorageRefused(details.get("Message", str(error))) from error
        raise StorageUnavailable(str(error)) from error
    except BotoCoreError as error:
        raise StorageUnavailable(str(error)) from error
