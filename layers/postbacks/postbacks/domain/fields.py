"""Vendor field names to canonical ones, and the collector that keeps every value a postback carries.

A value lands in its canonical field, or in `extra` under its path as sent (`STATUSDETAILS/B`,
`NOTIFICATION@id`, `copy-to[1].number`, `form:token`); a second value for a taken path gets `[n]`.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

# Vendor names, folded (lower case, no `-` or `_`), to canonical names. SPID and operator-id are one field.
FIELD_FOR: dict[str, str] = {
    "trackingid": "tracking_id",
    "code": "code",
    "statuscode": "code",
    "origin": "origin",
    "status": "status_text",
    "statustext": "status_text",
    "statusdetails": "status_details",
    "from": "from",
    "frommask": "from_mask",
    "to": "to",
    "spid": "operator_id",
    "operatorid": "operator_id",
    "operatorname": "operator_name",
    "mmsid": "mms_id",
    "sentas": "sent_as",
    "handset": "handset",
    "os": "os",
    "aggregatorid": "aggregator_id",
    "aggregator": "aggregator_id",
    "clientreference": "client_reference",
    "transactionid": "transaction_id",
    "timestamp": "timestamp_original",
    "received": "timestamp_original",
    "keyword": "keyword",
    "text": "text",
    "messagetext": "text",
    "subject": "subject",
    "messagesubject": "subject",
    "content": "content",
    "copyto": "copy_to",
    "audioname": "audio_name",
    "videoname": "video_name",
    # Subscriber status
    "mobile": "mobile",
    "email": "email",
    "campaignid": "campaign_id",
    "campaignref": "campaign_id",
    "shortcode": "shortcode",
    "source": "source",
    "subid": "sub_id",
    "campaigntitle": "campaign_title",
    "brandname": "brand_name",
    # Passes: the XML's CUSTOMPASSID is the JSON's pass-id ("the custom pass id")
    "passid": "pass_id",
    "custompassid": "pass_id",
    "passdataid": "pass_data_id",
    "serialnumber": "serial_number",
    "passtemplateid": "pass_template_id",
    "referencedby": "referenced_by",
    "referencevalue": "reference_value",
    "installid": "install_id",
    "apptype": "app_type",
}
LIST_FIELDS = frozenset({"content", "copy_to"})
# Where two names meet in one field, this one wins: a pass's STATUSCODE is its outcome, CODE its family (N801).
PREFERRED = frozenset({"statuscode"})
# In a list field's objects, the key that is the item (`{"number": ...}`, `{"file": ...}`); the rest is extra.
ITEM_KEYS = ("number", "file", "url")
MAX_PATH = 200  # a path past this is cut; collisions still get their own `[n]`
WRAPPER_PREFIX = "form:"  # form fields beside the postback's `xml` field
SET_ASIDE_PREFIX = "set-aside:"  # a list item over its bound (`set-aside:content[3]`), kept in extra


@lru_cache(maxsize=1024)  # the vendor uses a few dozen names; bounded against bodies of random tags
def fold(name: str) -> str:
    return local_name(name).lower().replace("-", "").replace("_", "")


def local_name(tag: str) -> str:
    """`{urn:x}CODE` (a namespaced tag) is `CODE`."""
    return tag.rsplit("}", 1)[-1] if tag[:1] == "{" else tag


@lru_cache(maxsize=1024)
def field_for(name: str) -> str | None:
    """The canonical field an XML tag, JSON key or form field names; None for one we have no name for."""
    return FIELD_FOR.get(fold(name))


class Collector:
    """Gathers one postback's fields: canonical where the name is known and free, `extra` otherwise."""

    def __init__(self) -> None:
        self.fields: dict[str, Any] = {}
        self.extra: dict[str, str] = {}
        self._paths: dict[str, str] = {}  # canonical field -> the path its value came from
        self._preferred: set[str] = set()
        self._next: dict[str, int] = {}

    def value(self, vendor_name: str, path: str, value: str) -> None:
        """A scalar the sender put under `vendor_name` at `path`. A blank one carries nothing."""
        if not value.strip():
            return
        name = field_for(vendor_name)
        if name is None:
            self.keep(path, value)
        elif name in LIST_FIELDS:
            self.item(name, value)
        elif name not in self.fields:
            self._claim(name, path, value, name == "code" and fold(vendor_name) in PREFERRED)
        elif name == "code" and fold(vendor_name) in PREFERRED and name not in self._preferred:
            self.keep(self._paths[name], self.fields[name])
            self._claim(name, path, value, preferred=True)
        else:
            self.keep(path, value)

    def item(self, name: str, value: str) -> None:
        self.fields.setdefault(name, [])
        if value.strip():
            self.fields[name].append(value)

    def keep(self, path: str, value: str) -> None:
        """Keep `value` in `extra` under `path`, or `path[n]` when that is taken."""
        if not value.strip():
            return
        key = path[:MAX_PATH]
        if key in self.extra:
            base, number = key, self._next.get(key, 1)
            key = f"{base}[{number}]"
            while key in self.extra:
                number += 1
                key = f"{base}[{number}]"
            self._next[base] = number + 1
        self.extra[key] = value

    def result(self) -> dict[str, Any]:
        return {**self.fields, "extra": self.extra} if self.extra else dict(self.fields)

    def _claim(self, name: str, path: str, value: str, preferred: bool) -> None:
        self.fields[name] = value
        self._paths[name] = path
        if preferred:
            self._preferred.add(name)
