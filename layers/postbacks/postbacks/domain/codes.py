"""The vendor's postback codes: what kind of event each is and what status it means.

The one place that knows the code list and the status ranking.
"""

# ruff: noqa: S105 - "pass" in these names is a mobile-wallet pass, not a password.
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    EXPIRED = "expired"
    REJECTED = "rejected"
    NOT_SUPPORTED = "not_supported"
    RECEIVED = "received"
    SAVED = "saved"
    ENCODING_FAILED = "encoding_failed"
    SUBSCRIBED = "subscribed"
    UNSUBSCRIBED = "unsubscribed"
    PASS_GENERATED = "pass_generated"
    PASS_FAILED = "pass_failed"
    PASS_LIMIT_REACHED = "pass_limit_reached"
    PASS_NO_CREDITS = "pass_no_credits"
    PASS_INSTALLED = "pass_installed"
    PASS_UNINSTALLED = "pass_uninstalled"
    UNRECOGNISED = "unrecognised"


class Kind(StrEnum):
    SMS_MT = "sms_mt"
    MMS_MT = "mms_mt"
    DEVICE_DISCOVERY = "device_discovery"
    SAVE_MMS = "save_mms"
    SMS_MO = "sms_mo"
    MMS_MO = "mms_mo"
    SUBSCRIPTION = "subscription"
    EMAIL_SUBSCRIPTION = "email_subscription"
    PASS = "pass"
    ERROR = "error"
    UNRECOGNISED = "unrecognised"


# A message's current status is the highest-ranked one seen, whatever the arrival order.
# Final outcomes outrank "sent"; "unrecognised" never moves a message's status.
STATUS_RANK: dict[Status, int] = {
    Status.UNRECOGNISED: 0,
    Status.SENT: 10,
    Status.RECEIVED: 20,
    Status.SAVED: 20,
    Status.ENCODING_FAILED: 20,
    Status.DELIVERED: 20,
    Status.FAILED: 20,
    Status.EXPIRED: 20,
    Status.REJECTED: 20,
    Status.NOT_SUPPORTED: 20,
    # Opt-in and opt-out alternate: equal rank, so the later one (by its own timestamp) stands.
    Status.SUBSCRIBED: 20,
    Status.UNSUBSCRIBED: 20,
    Status.PASS_GENERATED: 20,
    Status.PASS_FAILED: 20,
    Status.PASS_LIMIT_REACHED: 20,
    Status.PASS_NO_CREDITS: 20,
    # Installing and removing a pass from a wallet happen after it was generated, and alternate.
    Status.PASS_INSTALLED: 30,
    Status.PASS_UNINSTALLED: 30,
}


@dataclass(frozen=True, slots=True)
class CodeInfo:
    kind: Kind
    status: Status
    # An outcome the vendor refines in its STATUS text (E102 "Rejected", N202 "Message Sent/Failed"...).
    failure_from_text: bool = False


CODES: dict[str, CodeInfo] = {
    # SMS MT
    "N201": CodeInfo(Kind.SMS_MT, Status.SENT),
    # "SMS Sent/Delivered (or) SMS Sent/Failed" (Appendix D): the text tells which.
    "N202": CodeInfo(Kind.SMS_MT, Status.DELIVERED, failure_from_text=True),
    "E201": CodeInfo(Kind.SMS_MT, Status.FAILED, failure_from_text=True),
    "E202": CodeInfo(Kind.SMS_MT, Status.FAILED, failure_from_text=True),
    # MMS MT
    "N101": CodeInfo(Kind.MMS_MT, Status.SENT),
    # "the Delivery report with either success or error" (Appendix D).
    "N102": CodeInfo(Kind.MMS_MT, Status.DELIVERED, failure_from_text=True),
    "N103": CodeInfo(Kind.MMS_MT, Status.EXPIRED),
    "E101": CodeInfo(Kind.MMS_MT, Status.FAILED, failure_from_text=True),
    "E102": CodeInfo(Kind.MMS_MT, Status.FAILED, failure_from_text=True),
    # Device discovery message
    "N501": CodeInfo(Kind.DEVICE_DISCOVERY, Status.SENT),
    "N502": CodeInfo(Kind.DEVICE_DISCOVERY, Status.DELIVERED),
    "E501": CodeInfo(Kind.DEVICE_DISCOVERY, Status.FAILED, failure_from_text=True),
    "E502": CodeInfo(Kind.DEVICE_DISCOVERY, Status.FAILED, failure_from_text=True),
    # saveMMS encoding (E001/N002 from older pages, E004 from Sinch's JSON docs)
    "N002": CodeInfo(Kind.SAVE_MMS, Status.SAVED),
    "N003": CodeInfo(Kind.SAVE_MMS, Status.SAVED),
    "N013": CodeInfo(Kind.SAVE_MMS, Status.SAVED),
    "E001": CodeInfo(Kind.SAVE_MMS, Status.ENCODING_FAILED),
    "E002": CodeInfo(Kind.SAVE_MMS, Status.ENCODING_FAILED),
    "E003": CodeInfo(Kind.SAVE_MMS, Status.ENCODING_FAILED),
    "E004": CodeInfo(Kind.SAVE_MMS, Status.ENCODING_FAILED),
    "E011": CodeInfo(Kind.SAVE_MMS, Status.ENCODING_FAILED),
    "E012": CodeInfo(Kind.SAVE_MMS, Status.ENCODING_FAILED),
    "E013": CodeInfo(Kind.SAVE_MMS, Status.ENCODING_FAILED),
    # Mobile originated
    "N211": CodeInfo(Kind.SMS_MO, Status.RECEIVED),
    "N401": CodeInfo(Kind.MMS_MO, Status.RECEIVED),
    # Subscriber status: ORIGIN SUB (a number) and EMAIL_SUB (an address)
    "N301": CodeInfo(Kind.SUBSCRIPTION, Status.SUBSCRIBED),
    "N302": CodeInfo(Kind.SUBSCRIPTION, Status.UNSUBSCRIBED),
    "N303": CodeInfo(Kind.EMAIL_SUBSCRIPTION, Status.SUBSCRIBED),
    "N304": CodeInfo(Kind.EMAIL_SUBSCRIPTION, Status.UNSUBSCRIBED),
    # Passes (mobile wallet)
    "N801": CodeInfo(Kind.PASS, Status.PASS_GENERATED),
    "N802": CodeInfo(Kind.PASS, Status.PASS_FAILED),
    "N803": CodeInfo(Kind.PASS, Status.PASS_LIMIT_REACHED),
    "N804": CodeInfo(Kind.PASS, Status.PASS_INSTALLED),
    "N805": CodeInfo(Kind.PASS, Status.PASS_UNINSTALLED),
    "N811": CodeInfo(Kind.PASS, Status.PASS_NO_CREDITS),
    # Platform errors: the request was invalid (E100), the sending queue failed (E999)
    "E100": CodeInfo(Kind.ERROR, Status.FAILED, failure_from_text=True),
    "E999": CodeInfo(Kind.ERROR, Status.FAILED, failure_from_text=True),
}

UNRECOGNISED = CodeInfo(Kind.UNRECOGNISED, Status.UNRECOGNISED)

# The vendor writes "Message Sent/Rejected", "Message,Sent/Expired", or (JSON) just "Rejected".
_FAILURE_WORDS: tuple[tuple[str, Status], ...] = (
    ("not supported", Status.NOT_SUPPORTED),
    ("notsupported", Status.NOT_SUPPORTED),
    ("expired", Status.EXPIRED),
    ("rejected", Status.REJECTED),
    ("failed", Status.FAILED),
)


def lookup(code: str) -> CodeInfo:
    return CODES.get(code, UNRECOGNISED)


def status_for(code: str, status_text: str | None) -> Status:
    """Normalised status of one postback: the code decides, the text refines final failures."""
    info = lookup(code)
    if info.failure_from_text and status_text:
        words = status_text.lower().replace(",", " ").replace("_", " ")
        for needle, status in _FAILURE_WORDS:
            if needle in words:
                return status
    return info.status


def rank(status: Status) -> int:
    return STATUS_RANK[status]
