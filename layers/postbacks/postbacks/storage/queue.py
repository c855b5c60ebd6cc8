"""SQS: hand jobs to the queue worker, in batches of ten."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from postbacks.domain.jobs import FetchJob, StoreJob, dump_job
from postbacks.storage import aws
from postbacks.storage.store import StorageUnavailable

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

_BATCH = 10  # SQS's limit per SendMessageBatch
_ATTEMPTS = 3  # for entries a batch reports as failed; botocore already retries whole calls


class JobQueue:
    def __init__(self, queue_url: str, client: SQSClient | None = None) -> None:
        self._url = queue_url
        self._client = client

    def send(self, jobs: Sequence[StoreJob | FetchJob]) -> int:
        client = self._client or aws.sqs()
        for start in range(0, len(jobs), _BATCH):
            pending = {str(i): dump_job(job) for i, job in enumerate(jobs[start : start + _BATCH])}
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
