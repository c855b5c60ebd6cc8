"""`make run` (or a deployed stack), then `postbacks tail --json` in a second process: the posted postback's event."""

from __future__ import annotations

import json
import subprocess
import sys

import requests

from tests.helpers import SEEDS
from tests.integration.conftest import Target


def test_tail_prints_the_event_of_a_posted_postback(target: Target) -> None:
    stack = [] if target.endpoint_url else ["--stack", target.name]
    command = [sys.executable, "-m", "postbacks_cli.cli", *stack, "tail", "--json", "--code", "N201", "--limit", "1"]
    tail = subprocess.Popen(
        command, env=target.cli_environment(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        # Listening once its rule and queue exist: it says so on stderr.
        assert tail.stderr is not None
        assert "listening" in tail.stderr.readline()
        body = (SEEDS / "000_sms_mt_n201.xml").read_bytes()
        answer = requests.post(target.postback_url, data=body, headers={"Content-Type": "text/xml"}, timeout=10)
        assert answer.status_code == 200
        out, _ = tail.communicate(timeout=60)
    finally:
        if tail.poll() is None:
            tail.kill()
    event = json.loads(out.splitlines()[0])
    assert event["detail-type"] == "Postback Received"
    assert event["detail"]["postback"]["code"] == "N201"
