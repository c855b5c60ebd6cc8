"""The code list: every documented code has a kind, a normalised status and a rank."""

from __future__ import annotations

import pytest

from postbacks.domain import codes
from postbacks.domain.codes import Kind, Status

# Appendix D of the 1.3 docs (with the older E001/N002), plus N103, E004, E100 and N804/N805 from later pages.
DOCUMENTED: dict[str, tuple[Kind, Status]] = {
    "E001": (Kind.SAVE_MMS, Status.ENCODING_FAILED),
    "E002": (Kind.SAVE_MMS, Status.ENCODING_FAILED),
    "E003": (Kind.SAVE_MMS, Status.ENCODING_FAILED),
    "E004": (Kind.SAVE_MMS, Status.ENCODING_FAILED),
    "E011": (Kind.SAVE_MMS, Status.ENCODING_FAILED),
    "E012": (Kind.SAVE_MMS, Status.ENCODING_FAILED),
    "E013": (Kind.SAVE_MMS, Status.ENCODING_FAILED),
    "N002": (Kind.SAVE_MMS, Status.SAVED),
    "N003": (Kind.SAVE_MMS, Status.SAVED),
    "N013": (Kind.SAVE_MMS, Status.SAVED),
    "N101": (Kind.MMS_MT, Status.SENT),
    "N102": (Kind.MMS_MT, Status.DELIVERED),
    "N103": (Kind.MMS_MT, Status.EXPIRED),
    "E101": (Kind.MMS_MT, Status.FAILED),
    "E102": (Kind.MMS_MT, Status.FAILED),
    "N201": (Kind.SMS_MT, Status.SENT),
    "N202": (Kind.SMS_MT, Status.DELIVERED),
    "E201": (Kind.SMS_MT, Status.FAILED),
    "E202": (Kind.SMS_MT, Status.FAILED),
    "N501": (Kind.DEVICE_DISCOVERY, Status.SENT),
    "N502": (Kind.DEVICE_DISCOVERY, Status.DELIVERED),
    "E501": (Kind.DEVICE_DISCOVERY, Status.FAILED),
    "E502": (Kind.DEVICE_DISCOVERY, Status.FAILED),
    "N211": (Kind.SMS_MO, Status.RECEIVED),
    "N401": (Kind.MMS_MO, Status.RECEIVED),
    "N301": (Kind.SUBSCRIPTION, Status.SUBSCRIBED),
    "N302": (Kind.SUBSCRIPTION, Status.UNSUBSCRIBED),
    "N303": (Kind.EMAIL_SUBSCRIPTION, Status.SUBSCRIBED),
    "N304": (Kind.EMAIL_SUBSCRIPTION, Status.UNSUBSCRIBED),
    "N801": (Kind.PASS, Status.PASS_GENERATED),
    "N802": (Kind.PASS, Status.PASS_FAILED),
    "N803": (Kind.PASS, Status.PASS_LIMIT_REACHED),
    "N804": (Kind.PASS, Status.PASS_INSTALLED),
    "N805": (Kind.PASS, Status.PASS_UNINSTALLED),
    "N811": (Kind.PASS, Status.PASS_NO_CREDITS),
    "E100": (Kind.ERROR, Status.FAILED),
    "E999": (Kind.ERROR, Status.FAILED),
}


def test_the_code_list_is_exactly_the_documented_codes() -> None:
    assert {code: (info.kind, info.status) for code, info in codes.CODES.items()} == DOCUMENTED


def test_every_status_has_a_rank_and_only_unrecognised_ranks_zero() -> None:
    assert set(codes.STATUS_RANK) == set(Status)
    assert [status for status in Status if codes.rank(status) == 0] == [Status.UNRECOGNISED]


def test_a_pass_installed_or_removed_outranks_its_generation() -> None:
    assert codes.rank(Status.PASS_INSTALLED) == codes.rank(Status.PASS_UNINSTALLED) > codes.rank(Status.PASS_GENERATED)


def test_subscribed_and_unsubscribed_rank_alike_so_the_later_one_stands() -> None:
    assert codes.rank(Status.SUBSCRIBED) == codes.rank(Status.UNSUBSCRIBED) > codes.rank(Status.SENT)


@pytest.mark.parametrize(
    ("code", "text", "status"),
    [
        ("N202", "Message Sent/Delivered", Status.DELIVERED),
        ("N202", "Message Sent/Failed", Status.FAILED),
        ("N102", "Delivered", Status.DELIVERED),
        ("E202", "Message Sent/NotSupported", Status.NOT_SUPPORTED),
        ("E202", "Message,Sent/Expired", Status.EXPIRED),
        ("E102", "Rejected", Status.REJECTED),
        ("E201", None, Status.FAILED),
        ("N801", "Failed", Status.PASS_GENERATED),  # a pass's code alone decides
        ("N301", "Rejected", Status.SUBSCRIBED),
    ],
)
def test_status_text_refines_only_codes_whose_outcome_it_names(code: str, text: str | None, status: Status) -> None:
    assert codes.status_for(code, text) is status


def test_an_unknown_code_is_unrecognised() -> None:
    assert codes.lookup("N999") == codes.UNRECOGNISED
    assert codes.status_for("N999", "Delivered") is Status.UNRECOGNISED


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("MESSAGE SENT/REJECTED", Status.REJECTED),
        ("Message Sent/Not_Supported", Status.NOT_SUPPORTED),
        ("Not,Supported", Status.NOT_SUPPORTED),
        ("Expired/Failed", Status.EXPIRED),
        ("", Status.DELIVERED),
    ],
)
def test_status_text_is_read_in_any_case_with_commas_and_underscores_as_spaces(text: str, status: Status) -> None:
    assert codes.status_for("N202", text) is status
