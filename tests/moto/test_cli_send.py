"""`postbacks send`: sample postbacks POSTed over HTTP to the local stack's API, served in this process."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote_plus

import pytest

from postbacks.storage.store import PostbackStore
from postbacks_cli import cli, send
from postbacks_cli.local_stacks import StackResources
from postbacks_cli.output import Exit
from postbacks_local.api import ApiEmulator
from tests.helpers import SECRET, SEEDS, free_port

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "events"


@pytest.fixture
def api(local_api: ApiEmulator) -> ApiEmulator:
    return local_api  # posts here are stored by the API itself: the queue is not needed


def stored(stack: StackResources, key: str) -> list[str]:
    message = PostbackStore(stack.table_name).get_message(key)
    return [] if message is None else [str(event.fields["code"]) for event in message.events]


def test_an_api_gateway_event_file_is_posted_with_its_body(
    api: ApiEmulator, stack: StackResources, capsys: pytest.CaptureFixture[str]
) -> None:
    files = [str(EVENTS / "001_mms_mt_n101_binary.json"), str(EVENTS / "001_mms_mt_n102_binary.json")]

    assert cli.main(["send", *files, "--url", api.postback_url(SECRET)]) == 0

    out = capsys.readouterr().out
    assert out.count("  200  ") == 2
    assert '"status": "accepted"' in out
    assert stored(stack, "TU1TXzU5Nzg3OQ==") == ["N101", "N102"]


def test_the_xml_form_is_a_percent_encoded_field(
    api: ApiEmulator, stack: StackResources, capsys: pytest.CaptureFixture[str]
) -> None:
    seed = SEEDS / "003_mms_mt_n101_binary.json"
    xml = SEEDS / "002_mms_mt_n102_binary.xml"
    body, content_type = send.wire(send.load(xml), "xml")
    assert content_type == "application/x-www-form-urlencoded"
    assert body.startswith(b"xml=%3C")
    assert unquote_plus(body.decode()[4:]).encode() == xml.read_bytes()

    assert cli.main(["send", str(xml), "--url", api.postback_url(SECRET), "--form", "xml"]) == 0
    assert cli.main(["send", str(seed), "--url", api.postback_url(SECRET), "--form", "json"]) == 0

    assert "  200  " in capsys.readouterr().out
    assert stored(stack, "TU1TXzU5Nzg3OQ==") == ["N102"]
    assert stored(stack, "EMWMzE-iwGY-Bew") == ["N101"]


def test_json_form_refuses_an_xml_file(api: ApiEmulator, capsys: pytest.CaptureFixture[str]) -> None:
    xml = str(SEEDS / "000_sms_mt_n201.xml")

    assert cli.main(["send", xml, "--url", api.postback_url(SECRET), "--form", "json"]) == Exit.USAGE

    assert "is not JSON" in capsys.readouterr().err


def test_any_answer_other_than_2xx_exits_1(api: ApiEmulator, capsys: pytest.CaptureFixture[str]) -> None:
    files = [str(SEEDS / "000_sms_mt_n201.xml"), str(EVENTS / "001_sms_mt_n201_broken_from_mask.json")]

    assert cli.main(["send", *files, "--url", api.postback_url(SECRET)]) == Exit.FAILED

    out = capsys.readouterr().out
    assert "  200  " in out
    assert "  400  " in out
    assert "malformed_xml" in out
    assert "1 of 2 not accepted" in out


def test_a_wrong_secret_is_403_and_the_secret_is_never_printed(
    api: ApiEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    url = api.postback_url("not-the-secret")

    assert cli.main(["send", str(SEEDS / "000_sms_mt_n201.xml"), "--url", url]) == Exit.FAILED

    out = capsys.readouterr().out
    assert "  403  " in out
    assert "not-the-secret" not in out
    assert "/postbacks/<secret>" in out


def test_the_url_defaults_to_postback_url(
    api: ApiEmulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("POSTBACK_URL", api.postback_url(SECRET))

    assert cli.main(["send", str(SEEDS / "004_sms_mo_n211.xml")]) == 0


def test_an_unreachable_url_says_what_to_check(capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://127.0.0.1:{free_port()}/postbacks/x"

    assert cli.main(["send", str(SEEDS / "000_sms_mt_n201.xml"), "--url", url]) == Exit.USAGE

    assert "unreachable" in capsys.readouterr().err


def test_a_missing_file_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["send", "no/such/file.xml", "--url", "http://127.0.0.1:1/postbacks/x"]) == Exit.USAGE

    assert "cannot read no/such/file.xml" in capsys.readouterr().err
