"""The canonical postback: every dialect (Skycore XML, Sinch XML, Sinch / Skycore V2 JSON, flat forms) becomes this."""

from __future__ import annotations

import hashlib
import json
from enum import StrEnum
from typing import Annotated, Any, Final

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from postbacks.domain import carriers, codes, timestamps
from postbacks.domain.codes import Kind, Status
from postbacks.domain.fields import WRAPPER_PREFIX


class Dialect(StrEnum):
    SKYCORE_XML = "skycore_xml"
    SINCH_XML = "sinch_xml"
    SINCH_JSON = "sinch_json"
    FORM = "form"  # "Simple HTTP POST": the postback's fields as form fields


# Generous bounds: the vendor's longest values are URLs; anything bigger is abuse, not data.
MAX_TEXT = 4096
# Files of an MMS MO, numbers of a group MMS: an item past it is set aside in extra (parsing.bounded_lists).
MAX_LIST_ITEMS = 1000
Text = Annotated[str, StringConstraints(max_length=MAX_TEXT)]
Code = Annotated[str, StringConstraints(min_length=1, max_length=32)]
# Values that become DynamoDB keys (table or index): far above any real id or number, far below the
# 1024-byte key limit even in 4-byte UTF-8.
Key = Annotated[str, StringConstraints(max_length=200)]


class Postback(BaseModel):
    """One postback, whatever dialect it came in. `status` and UTC timestamps are derived here."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        populate_by_name=True,
        str_strip_whitespace=True,
    )

    dialect: Dialect
    code: Code
    kind: Kind = Kind.UNRECOGNISED
    status: Status = Status.UNRECOGNISED
    tracking_id: Key | None = None
    origin: Text | None = None
    status_text: Text | None = None
    status_details: Text | None = None
    from_: Key | None = Field(default=None, alias="from")
    from_mask: Text | None = None
    to: Key | None = None
    operator_id: Text | None = None
    operator_name: Text | None = None
    mms_id: Key | None = None
    sent_as: Text | None = None
    handset: Text | None = None
    os: Text | None = None
    aggregator_id: Text | None = None
    client_reference: Text | None = None
    transaction_id: Key | None = None
    timestamp: str | None = None
    timestamp_original: Text | None = None
    keyword: Text | None = None
    text: Text | None = None
    subject: Text | None = None
    content: list[Text] = Field(default_factory=list, max_length=MAX_LIST_ITEMS)
    copy_to: list[Text] = Field(default_factory=list, max_length=MAX_LIST_ITEMS)
    audio_name: Text | None = None
    video_name: Text | None = None
    notification_id: Text | None = None
    notification_created: str | None = None
    notification_created_original: Text | None = None
    # Subscriber status (N301-N304)
    mobile: Key | None = None
    email: Text | None = None
    campaign_id: Text | None = None
    shortcode: Text | None = None
    source: Text | None = None
    sub_id: Text | None = None
    campaign_title: Text | None = None
    brand_name: Text | None = None
    # Passes (N801-N811)
    pass_id: Text | None = None
    pass_data_id: Text | None = None
    serial_number: Text | None = None
    pass_template_id: Text | None = None
    referenced_by: Text | None = None
    reference_value: Text | None = None
    install_id: Text | None = None
    app_type: Text | None = None
    # Every other value the sender put in the body, by its path (see fields.py): kept verbatim, never dropped.
    # Unbounded here: the body cap bounds it, and DynamoDB's item limit is storage's to enforce.
    extra: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _derive(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        # Stripped before empties are dropped: "  " is absent, as "" is (DynamoDB refuses "" as an index key),
        # whichever dialect or path built the postback. pydantic's own stripping comes too late for that.
        data = {key: value.strip() if isinstance(value, str) else value for key, value in data.items()}
        data = {key: value for key, value in data.items() if value not in (None, "")}
        code = str(data.get("code", "")).strip().upper()
        if code:
            data["code"] = code
            info = codes.lookup(code)
            # N202 under ORIGIN MMS_MT is an MMS the platform delivered as an SMS link.
            mms_as_sms = info.kind is Kind.SMS_MT and str(data.get("origin", "")).upper() == "MMS_MT"
            data["kind"] = Kind.MMS_MT if mms_as_sms else info.kind
            data["status"] = codes.status_for(code, data.get("status_text"))
        if not data.get("operator_name") and isinstance(data.get("operator_id"), str):
            named = carriers.operator_name(data["operator_id"])
            if named:
                data["operator_name"] = named
        data["timestamp"] = timestamps.normalise(data.get("timestamp_original"))
        data["notification_created"] = timestamps.normalise(data.get("notification_created_original"))
        return data

    def canonical(self) -> dict[str, Any]:
        """The stored / printed form: canonical names (`from`, not `from_`), empty fields left out."""
        dumped = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        return {key: value for key, value in dumped.items() if value not in ([], {})}

    def fingerprint(self) -> str:
        """Identity of this postback: a function of what the sender sent, never of the tables we ship.

        The same postback redelivered, in any wrapping, or read again after a deploy that changed the code or
        carrier tables, has the same one. Left out: the dialect, the form fields around an `xml` field, and
        every derived field (`kind`, `status`, the UTC `timestamp` and `notification_created`: their original
        text counts instead); `operator_name` when an `operator_id` is given (the SPID names the carrier, and
        the name may be the carrier table's). extra's names count lower-cased (see docs/status.md).
        """
        fields: dict[str, Any] = self.canonical()
        for derived in _DERIVED:
            fields.pop(derived, None)
        if "operator_id" in fields:
            fields.pop("operator_name", None)
        extra = fields.pop("extra", {})
        kept = sorted([key.lower(), value] for key, value in extra.items() if not key.startswith(WRAPPER_PREFIX))
        if kept:
            fields["extra"] = kept
        blob = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(blob.encode()).hexdigest()[:32]


# Fields this code derives, or that say how the postback was wrapped: none is part of its identity.
_DERIVED: Final = ("dialect", "kind", "status", "timestamp", "notification_created")
