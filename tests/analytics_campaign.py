"""A generated campaign for the analytics tests: MT messages across carriers, their postbacks as XML bodies.

Each message has a carrier (SPID), a shortcode, a number and some postbacks: a send report (dated or not),
outcomes (delivered, failed with the vendor's text, expired, rejected), maybe two at the same second that
disagree. The test posts them shuffled and duplicated; MO messages come with a keyword.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from hypothesis import strategies as st

CARRIERS = ("0001570", "0001140", "31002")  # T-Mobile, Alltel-Verizon, AT&T (the layer's SPID table)
SHORTCODES = ("60856", "77777")
OUTCOMES = (
    ("N202", "Message Sent/Delivered"),
    ("E201", "Message Sent/Failed"),
    ("E201", "Message Sent/Rejected"),
    ("E201", "Message Sent/Expired"),
)
KEYWORDS = ("STOP", "JOIN", "HELP")


@dataclass(frozen=True)
class Message:
    key: str
    spid: str
    shortcode: str
    number: str
    bodies: tuple[bytes, ...]


@dataclass(frozen=True)
class Campaign:
    messages: tuple[Message, ...]
    inbound: tuple[bytes, ...] = field(default=())

    def bodies(self) -> list[bytes]:
        return [body for message in self.messages for body in message.bodies] + list(self.inbound)


def vendor_time(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S-00:00")


def mt_body(key: str, code: str, text: str, spid: str, shortcode: str, number: str, at: datetime | None) -> bytes:
    stamp = f"<TIMESTAMP>{vendor_time(at)}</TIMESTAMP>" if at else ""
    return (
        f"<POSTBACK><ORIGIN>SMS_MT</ORIGIN><CODE>{code}</CODE><STATUS>{text}</STATUS><FROM>{shortcode}</FROM>"
        f"<TO>{number}</TO><TRACKINGID>{key}</TRACKINGID><SPID>{spid}</SPID>{stamp}</POSTBACK>"
    ).encode()


def mo_body(index: int, shortcode: str, keyword: str, at: datetime) -> bytes:
    # Every other MO names no KEYWORD: its text's first word is the keyword then.
    named = f"<KEYWORD>{keyword}</KEYWORD>" if index % 2 else ""
    return (
        f"<POSTBACK><ORIGIN>SMS_MO</ORIGIN><CODE>N211</CODE><FROM>1650555{index:04d}</FROM><TO>{shortcode}</TO>"
        f"{named}<TEXT>{keyword} please</TEXT><TRANSACTIONID>mo-{index}</TRANSACTIONID>"
        f"<RECEIVED>{vendor_time(at)}</RECEIVED></POSTBACK>"
    ).encode()


@st.composite
def messages(draw: st.DrawFn, index: int, start: datetime) -> Message:
    key = f"CAMP-{index:04d}"
    spid = draw(st.sampled_from(CARRIERS))
    shortcode = draw(st.sampled_from(SHORTCODES))
    number = f"1650111{index:04d}"
    # Sends spread over 6 days before `start`: some older than 72 h, some not.
    sent_at = start - timedelta(minutes=draw(st.integers(0, 6 * 24 * 60)))
    bodies: list[bytes] = []
    if draw(st.integers(0, 5)):  # now and then a message whose send report never came
        dated = draw(st.booleans())
        bodies.append(mt_body(key, "N201", "Message Sent", spid, shortcode, number, sent_at if dated else None))
    for _ in range(draw(st.integers(0, 2))):
        code, text = draw(st.sampled_from(OUTCOMES))
        delay = draw(st.sampled_from([None, 0, 5, 600, 3600]))  # None: undated; 0: the send's own second
        at = None if delay is None else sent_at + timedelta(seconds=delay)
        bodies.append(mt_body(key, code, text, spid, shortcode, number, at))
    if draw(st.booleans()):  # two outcomes at the same second that disagree
        at = sent_at + timedelta(seconds=30)
        bodies.append(mt_body(key, "N202", "Message Sent/Delivered", spid, shortcode, number, at))
        bodies.append(mt_body(key, "E201", "Message Sent/Rejected", spid, shortcode, number, at))
    if not bodies:
        bodies.append(mt_body(key, "N201", "Message Sent", spid, shortcode, number, sent_at))
    return Message(key, spid, shortcode, number, tuple(bodies))


@st.composite
def campaigns(draw: st.DrawFn, start: datetime | None = None, size: int = 10) -> Campaign:
    start = start or datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    count = draw(st.integers(3, size))
    made = tuple(draw(messages(index, start)) for index in range(count))
    inbound = tuple(
        mo_body(index, draw(st.sampled_from(SHORTCODES)), draw(st.sampled_from(KEYWORDS)), start)
        for index in range(draw(st.integers(0, 4)))
    )
    return Campaign(made, inbound)
