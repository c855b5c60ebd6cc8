"""The key rule: which item collection a postback belongs to, and where each item sorts in it.

Partition key (`pk`, the message key):
- a postback with a tracking id: the tracking id as the vendor sent it; one that itself begins with `~`
  gets one more `~` in front (`~x` is stored as `~~x`);
- saveMMS results (N003, E002 ...) without a tracking id: `~mms:<mms id>`;
- an SMS MO with a TRANSACTIONID: `~txn:<transaction id>`;
- anything else: its own message, `~pb:<fingerprint>`, so a redelivery lands on the same key.
Generated keys begin with `~` and a letter, escaped tracking ids with `~~`, all others with anything
but `~`: no tracking id can ever equal a generated key, whatever its characters.

Sort key (`sk`) within a message:
- `S#<rank:03d>#<vendor time or ->#<outcome:02d>#<fingerprint>`: one item per postback, the whole
  precedence (`domain.status.Precedence`) in fixed-width fields, so string order is the status rule's
  order: the message's current status is the last `S#` item (max(sk) in a report);
- `M#<fingerprint>#<index:03d>`: the archive record of file <index> of the MMS MO with that fingerprint.
"""

from __future__ import annotations

import hashlib
from urllib.parse import quote

from postbacks.domain import numbers
from postbacks.domain.codes import Kind, Status
from postbacks.domain.models import Postback
from postbacks.domain.status import Precedence

GENERATED = "~"
POSTBACK_PREFIX = "S#"
MEDIA_PREFIX = "M#"
NO_VENDOR_TIME = "-"  # sorts before every digit: an undated postback is the earliest of its rank
# Writes of one day's failures spread over this many index keys (see failure_bucket).
FAILURE_SHARDS = 32


def for_tracking_id(tracking_id: str) -> str:
    return GENERATED + tracking_id if tracking_id.startswith(GENERATED) else tracking_id


def tracking_id_of(message_key: str) -> str | None:
    """The vendor tracking id a message key stands for; None for a generated key."""
    if message_key.startswith(GENERATED + GENERATED):
        return message_key[1:]
    return None if message_key.startswith(GENERATED) else message_key


def save_mms_key(mms_id: str) -> str:
    return f"{GENERATED}mms:{mms_id}"


def message_key(postback: Postback) -> str:
    if postback.tracking_id:
        return for_tracking_id(postback.tracking_id)
    if postback.kind is Kind.SAVE_MMS and postback.mms_id:
        return save_mms_key(postback.mms_id)
    if postback.transaction_id:
        return f"{GENERATED}txn:{postback.transaction_id}"
    return f"{GENERATED}pb:{postback.fingerprint()}"


def postback_sk(precedence: Precedence) -> str:
    # The rank is zero-padded and vendor times are fixed-width, so string order is the rule's order.
    vendor_at = precedence.vendor_at or NO_VENDOR_TIME
    return f"{POSTBACK_PREFIX}{precedence.rank:03d}#{vendor_at}#{precedence.outcome:02d}#{precedence.fingerprint}"


def media_sk(event_id: str, index: int) -> str:
    return f"{MEDIA_PREFIX}{event_id}#{index:03d}"


def number_key(number: str | None) -> str | None:
    """A number as the index files it and every lookup compares it: its digits (`+1 650-555-0142` is
    `16505550142`); None when it has none (an address, a name)."""
    return numbers.digits(number) or None


def subscriber(postback: Postback) -> str | None:
    """The number `by_subscriber` files a postback's message under, as `number_key`: MO `from`, a
    subscription's `mobile`, else the MT `to`. Never a shortcode."""
    if postback.kind in (Kind.SMS_MO, Kind.MMS_MO):
        return number_key(postback.from_)
    if postback.mobile or postback.kind in (Kind.SUBSCRIPTION, Kind.EMAIL_SUBSCRIPTION):
        return number_key(postback.mobile)
    return number_key(postback.to)


def indexed_only_when_alone(postback: Postback) -> bool:
    """A delivery receipt enters the index only when no postback of its message did (one read decides):
    its message stays findable by number when the send report never came, and costs no index write when it did.
    """
    return postback.status is Status.DELIVERED and subscriber(postback) is not None


def failure_bucket(message_key: str, event_at: str) -> str:
    """`<day>#<shard>`: one day's failures, spread by message so that no campaign sits on one key."""
    shard = int.from_bytes(hashlib.sha256(message_key.encode()).digest()[:4], "big") % FAILURE_SHARDS
    return f"{event_at[:10]}#{shard:02d}"


def failure_buckets(day: str) -> list[str]:
    return [f"{day}#{shard:02d}" for shard in range(FAILURE_SHARDS)]


def media_object_key(message_key: str, event_id: str, index: int) -> str:
    # Per postback, not per message: a second N401 under one tracking id keeps its own files.
    # Quoted so `/` and `+` in tracking ids cannot make extra "folders".
    return f"media/{quote(message_key, safe='')}/{event_id}/{index:03d}"
