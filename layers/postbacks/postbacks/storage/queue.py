"""SQS: hand jobs to the queue worker, in batches of ten."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from postbacks.domain.jobs import AnyJob, dump_job
from postbacks.storage import aws
from postbacks.storage.store import StorageRefused, StorageUnavailable

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

_BATCH = 10  # SQS's limit per SendMessageBatch
# SQS's limit (1 MiB since 2025, a new queue's default) for one message and for a whole batch, bodies
# summed; over it the call fails every time.
MAX_BATCH_BYTES = 1_048_576
MAX_MESSAGE_BYTES = MAX_BATCH_BYTES
_ATTEMPTS = 3  # for entries a batch reports as failed; botocore already retries whole calls


class JobQueue:
    def __init__(self, queue_url: str, client: SQSClient | None = None) -> None:
        self._url = queue_url
        self._client = client

    def send(self, jobs: Sequence[AnyJob]) -> int:
        client = self._client or aws.sqs()
        for batch in _batches([dump_job(job) for job in jobs]):
            pending = {str(i): body for i, body in enumerate(batch)}
            for _ in range(_ATTEMPTS):
                try:
                    answer = client.send_message_batch(
                        QueueUrl=self._url,
                        Entries=[{"Id": entry_id, "MessageBody": body} for entry_id, body in pending.items()],
                    )
                except (ClientError, BotoCoreError) as error:
                    raise StorageUnavailable(f"queue: {error}") from error
                failed = {entry["Id"] for entry in answer.get("Failed", [])}
                pending = {entry_id: body for entry_id, body in pending.items() if entry_id in failed}
                if not pending:
                    break
            if pending:
                raise StorageUnavailable(f"queue: {len(pending)} job(s) not accepted after {_ATTEMPTS} attempts")
        return len(jobs)


def _batches(bodies: Sequence[str]) -> list[list[str]]:
    """Bodies in order, in batches within SQS's count and size limits; a body over the size limit is refused."""
    batches: list[list[str]] = []
    size = 0
    for body in bodies:
        length = len(body.encode("utf-8"))
        if length > MAX_BATCH_BYTES:
            raise StorageRefused(f"a queued job of {length} bytes is over SQS's {MAX_BATCH_BYTES} bytes")
        if not batches or len(batches[-1]) == _BATCH or size + length > MAX_BATCH_BYTES:
            batches.append([])
            size = 0
        batches[-1].append(body)
        size += length
    return batches
