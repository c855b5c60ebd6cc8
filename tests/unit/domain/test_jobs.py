"""Jobs on the queue: their JSON is compact, vendor-named and reads back as the same job."""

from __future__ import annotations

from postbacks.domain import jobs
from postbacks.domain.jobs import FetchJob, StoreJob
from postbacks.domain.models import Postback


def test_a_fetch_job_is_its_fields_in_compact_json() -> None:
    job = FetchJob(message_key="mms:1", event_id="e", index=0, url="https://x/y")
    assert jobs.dump_job(job) == '{"job":"fetch","message_key":"mms:1","event_id":"e","index":0,"url":"https://x/y"}'


def test_a_store_job_uses_vendor_names_leaves_none_out_and_reads_back() -> None:
    postback = Postback.model_validate({"dialect": "form", "code": "N201", "from": "1"})
    job = StoreJob(postback=postback, received_at="t", raw=b"\xff")
    dumped = jobs.dump_job(job)
    assert '"from":"1"' in dumped
    assert "content_type" not in dumped
    assert jobs.parse_job(dumped) == job
