"""The process `make run` starts: it prints its URLs, serves a postback and stops on Ctrl-C."""

from __future__ import annotations

import os
import signal

import pytest
import requests

from tests.helpers import SEEDS, free_port, start_local_stack


@pytest.mark.slow
def test_process_prints_urls_serves_and_stops_on_ctrl_c() -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env |= {"PORT": str(port), "PYTHONPATH": "tools:layers/postbacks"}
    process, printed = start_local_stack(env)
    try:
        assert printed["POSTBACK_URL"].startswith(f"http://127.0.0.1:{port}/postbacks/")
        assert printed["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
        answer = requests.post(
            printed["POSTBACK_URL"],
            data=(SEEDS / "000_sms_mt_n201.xml").read_bytes(),
            headers={"Content-Type": "text/xml"},
            timeout=10,
        )
        assert answer.status_code == 200

        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
