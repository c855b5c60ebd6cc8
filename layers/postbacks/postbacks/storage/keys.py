"""The key rule: which DynamoDB item collection a postback belongs to.

- A postback with a tracking id belongs to that message: `pk = <tracking id>`.
- saveMMS results (N003, E002 ...) carry no tracking id but an MMS id: `pk = mms:<mms id>`.
- An SMS MO with a TRANSACTIONID: `pk = txn:<transaction id>`.
- Anything else (SMS MO, a bundle item): its own message, `pk = pb:<fingerprint>`, so a redelivery lands
  on the same key. Tracking ids are base64-like and never contain `:`, so the prefixes cannot collide.
"""

from __future__ import annotations

from urllib.parse import quote

from postbacks.domain.codes import Kind
from postbacks.domain.models import Postback

HEAD_SK = "MSG"
EVENT_PREFIX = "E#"
CONTENT_PREFIX = "C#"


def message_key(postback: Postback) -> str:
    if postback.tracking_id:
        return postback.tracking_id
    if postback.kind is Kind.SAVE_MMS and postback.mms_id:
        return f"mms:{postback.mms_id}"
    if postback.transaction_id:
        return f"txn:{postback.transaction_id}"
    return f"pb:{postback.fingerprint()}"


def event_sk(postback: Postback) -> str:
    return f"{EVENT_PREFIX}{postback.fingerprint()}"


def content_sk(index: int) -> str:
    return f"{CONTENT_PREFIX}{index:03d}"


def media_object_key(message_key: str, index: int) -> str:
    # Quoted so `/` and `+` in tracking ids cannot make extra "folders".
    return f"media/{quote(message_key, safe='')}/{index:03d}"
