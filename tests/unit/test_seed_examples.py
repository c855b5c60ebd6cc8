"""Every example in the vendor docs, parsed: well-formed ones to their canonical fields, broken ones refused."""

from __future__ import annotations

from typing import Any

import pytest

from postbacks.domain import decoding, parsing
from postbacks.domain.errors import PostbackRejected, Reason
from tests.helpers import SEEDS

SKY_N201 = {"tracking_id": "U01TXzgwNjc4", "to": "16503333058", "operator_id": "0001470"}
SKY_BIN = {"tracking_id": "TU1TXzU5Nzg3OQ==", "from": "60856", "to": "16501112222", "operator_id": "0001570"}
SKY_XHTML = {"tracking_id": "TU1TXzU5Nzg3Nw==", "from": "60856", "to": "16502424956", "operator_id": "0001140"}
SINCH_BIN = {"tracking_id": "TU1TXzU5Nzg3OQ==", "from": "28444", "to": "12399471613", "operator_id": "31003"}
SINCH_HTML = {"tracking_id": "TU1TXzU5Nzg3Nw==", "from": "28444", "to": "12399471613", "operator_id": "31004"}
JSON_MT = {
    "tracking_id": "EMWMzE-iwGY-Bew",
    "from": "00000",
    "to": "11111111111",
    "operator_id": "0001470",
    "mms_id": "123456",
    "timestamp": "2021-01-26T18:00:07.990498Z",
    "timestamp_original": "2021-01-26T18:00:07.990498+00:00",
}

WELL_FORMED: dict[str, dict[str, Any]] = {
    "000_sms_mt_n201.xml": {
        **SKY_N201,
        "code": "N201",
        "kind": "sms_mt",
        "status": "sent",
        "status_text": "Message Sent",
        "timestamp": "2013-11-05T10:41:08.000000Z",
        "timestamp_original": "2013-11-05T05:41:08-05:00",
    },
    "000_sms_mt_n202.xml": {
        **SKY_N201,
        "code": "N202",
        "status": "delivered",
        "aggregator_id": "11529-64807-97508-73852-97658",
        "timestamp": "2013-11-05T10:41:15.000000Z",
    },
    "001_sms_mt_n202.xml": {**SKY_N201, "code": "N202", "status": "delivered", "from": "60856", "kind": "sms_mt"},
    "001_mms_mt_n101_binary.xml": {
        **SKY_BIN,
        "code": "N101",
        "kind": "mms_mt",
        "status": "sent",
        "sent_as": "MMS",
        "mms_id": "39597",
        "timestamp": "2012-06-07T12:27:29.000000Z",
    },
    "001_mms_mt_n101_xhtml.xml": {
        **SKY_XHTML,
        "code": "N101",
        "status": "sent",
        "sent_as": "SMS",
        "status_details": "Handset setting: mms with pass via xHTML",
    },
    "001_mms_mt_n102_binary.xml": {
        **SKY_BIN,
        "code": "N102",
        "status": "delivered",
        "handset": "motol7c",
        "os": "iOS",
        "aggregator_id": "11529-64807-97508-73852-97658",
    },
    # The platform reports an MMS delivered as an SMS link with N202 under ORIGIN MMS_MT.
    "001_mms_mt_n202_xhtml.xml": {
        **SKY_XHTML,
        "code": "N202",
        "origin": "MMS_MT",
        "kind": "mms_mt",
        "status": "delivered",
        "sent_as": "SMS",
    },
    "001_mms_mt_e101.xml": {
        **SKY_XHTML,
        "code": "E101",
        "status": "failed",
        "status_text": "Message Failed",
        "status_details": "Error fetching dynamic content",
    },
    "001_save_mms_n003.xml": {"code": "N003", "kind": "save_mms", "status": "saved", "mms_id": "35674"},
    "001_save_mms_e002.xml": {
        "code": "E002",
        "kind": "save_mms",
        "status": "encoding_failed",
        "mms_id": "35674",
        "audio_name": "sample.mp3",
    },
    "002_mms_mt_n101_binary.xml": {**SINCH_BIN, "code": "N101", "status": "sent", "dialect": "sinch_xml"},
    "002_mms_mt_n101_html.xml": {**SINCH_HTML, "code": "N101", "status": "sent", "sent_as": "SMS"},
    "002_mms_mt_n102_binary.xml": {**SINCH_BIN, "code": "N102", "status": "delivered", "handset": "moto17c"},
    "002_mms_mt_n102_html.xml": {
        **SINCH_HTML,
        "code": "N102",
        "status": "delivered",
        "timestamp": "2014-06-07T12:28:09.000000Z",
    },
    "002_mms_mt_e101.xml": {**SINCH_HTML, "code": "E101", "status": "failed"},
    "002_mms_mt_e102.xml": {
        **SINCH_HTML,
        "code": "E102",
        "status": "rejected",
        "status_text": "Message Sent/Rejected",
        "status_details": "Recipient blocked by mobile operator",
    },
    "002_device_n501.xml": {**SINCH_HTML, "code": "N501", "kind": "device_discovery", "status": "sent"},
    "002_device_n502.xml": {**SINCH_BIN, "code": "N502", "kind": "device_discovery", "status": "delivered"},
    "002_save_mms_n003.xml": {"code": "N003", "status": "saved", "mms_id": "35674", "dialect": "sinch_xml"},
    "002_save_mms_e002.xml": {
        "code": "E002",
        "status": "encoding_failed",
        "mms_id": "35674",
        "audio_name": "http://www.yoursite.com/audio/1.mp3",
    },
    "003_mms_mt_n101_binary.json": {
        **JSON_MT,
        "code": "N101",
        "status": "sent",
        "status_text": "Sent",
        "operator_name": "AT&T",
        "dialect": "sinch_json",
    },
    "003_mms_mt_n101_html.json": {**JSON_MT, "code": "N101", "status": "sent", "sent_as": "SMS"},
    "003_mms_mt_n102_binary.json": {**JSON_MT, "code": "N102", "status": "delivered", "handset": "iosmms2.0"},
    "003_mms_mt_n102_html.json": {**JSON_MT, "code": "N102", "status": "delivered", "sent_as": "SMS"},
    "003_mms_mt_n103.json": {**JSON_MT, "code": "N103", "status": "expired", "status_details": "Message Expired"},
    "003_mms_mt_e101.json": {**JSON_MT, "code": "E101", "status": "failed", "status_details": "MMS is too big"},
    "003_mms_mt_e102.json": {**JSON_MT, "code": "E102", "status": "rejected", "status_text": "Rejected"},
    "004_sms_mo_n211.xml": {
        "code": "N211",
        "kind": "sms_mo",
        "status": "received",
        "from": "16311112222",
        "to": "60856",
        "text": "MYKEYCODE",
        "timestamp": "2012-04-16T13:05:56.000000Z",
        "timestamp_original": "2012-04-16T09:05:56-04:00",
    },
    "004_mms_mo_n401.xml": {
        "code": "N401",
        "kind": "mms_mo",
        "status": "received",
        "tracking_id": "MMS_MO_iLnCRrL6",
        "from": "13217949521",
        "to": "74700",
        "keyword": "all",
        "operator_id": "0001470",
        "content": ["URL of Content Here"] * 3,
        "timestamp": "2014-02-03T16:19:49.000000Z",
    },
}


def parse_file(name: str) -> list[dict[str, Any]]:
    raw = (SEEDS / name).read_bytes()
    return [postback.canonical() for postback in parsing.parse(decoding.payload(raw, None)).postbacks]


@pytest.mark.parametrize("name", sorted(WELL_FORMED))
def test_seed_example_parses_to_its_canonical_fields(name: str) -> None:
    (canonical,) = parse_file(name)
    expected = WELL_FORMED[name]
    assert {key: canonical.get(key) for key in expected} == expected


def test_every_seed_fixture_is_covered() -> None:
    odd = {"003_save_mms_n003_id_in_audio_name.json", "003_save_mms_e002_no_mms_id.json"}
    assert {path.name for path in SEEDS.iterdir()} == set(WELL_FORMED) | set(BROKEN) | odd


# --- broken examples: what the product does with each, and why -------------------------------------

BROKEN: dict[str, Reason] = {
    # `<FROM_MASK><FROM_MASK>` never closes: not XML. Refused and quarantined rather than guessed at.
    "001_sms_mt_n201_broken_from_mask.xml": Reason.MALFORMED_XML,
    # Typographic quotes around attribute values are not XML either; the bundle is quarantined whole.
    "004_sms_mo_bundle_typographic_quotes.xml": Reason.MALFORMED_XML,
}
# The page for 003 lost its XML tags: only the values are left, which no sender would post.
BROKEN |= {path.name: Reason.MALFORMED_XML for path in SEEDS.glob("003_*_tags_stripped.txt")}
# 003's JSON as printed is a curl command line (closed by a curly quote), not a body.
BROKEN |= {path.name: Reason.MALFORMED_XML for path in SEEDS.glob("003_*.curl.txt")}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_seed_example_is_refused_with_a_reason(name: str) -> None:
    with pytest.raises(PostbackRejected) as refused:
        parse_file(name)
    assert refused.value.reason is BROKEN[name]


def test_json_n003_with_mms_id_in_audio_name_is_stored_as_is() -> None:
    # The vendor's JSON N003 puts the MMS id in audio-name. We do not guess: the value stays where it was sent.
    (canonical,) = parse_file("003_save_mms_n003_id_in_audio_name.json")
    assert canonical["status"] == "saved"
    assert canonical["audio_name"] == "35674"
    assert "mms_id" not in canonical


def test_json_e002_without_mms_id_is_stored_with_its_audio_name() -> None:
    (canonical,) = parse_file("003_save_mms_e002_no_mms_id.json")
    assert canonical["status"] == "encoding_failed"
    assert canonical["audio_name"] == "http://www.yoursite.com/audio/1.mp3"


def test_bundle_with_straight_quotes_gives_one_postback_per_notification() -> None:
    raw = (SEEDS / "004_sms_mo_bundle_typographic_quotes.xml").read_text().replace("”", '"').replace("″", '"')
    notification = raw[raw.index("<NOTIFICATION") : raw.index("</POSTBACK>")]
    others = "".join(
        notification.replace('id="264"', f'id="{n}"').replace("15552312102", f"1555000000{n}") for n in (7, 8)
    )
    parsed = parsing.parse(decoding.payload(raw.replace("</POSTBACK>", others + "</POSTBACK>").encode(), None))
    item, *rest = parsed.postbacks
    assert parsed.bundled
    assert [(other.notification_id, other.from_) for other in rest] == [("7", "15550000007"), ("8", "15550000008")]
    assert (item.code, item.keyword, item.from_, item.to) == ("N211", "STOP", "15552312102", "86717")
    assert item.timestamp == "2011-09-28T21:31:02.278751Z"
    assert item.notification_id == "264"
    assert item.notification_created == "2011-09-28T21:31:02.835577Z"
