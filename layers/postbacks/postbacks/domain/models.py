"""The canonical postback: every dialect (Skycore XML, Sinch XML, Sinch JSON) becomes this one model."""

from __future__ import annotations

import hashlib
import json
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from postbacks.domain import codes, timestamps
from postbacks.domain.codes import Kind, Status


class Dialect(StrEnum):
    SKYCORE_XML = "skycore_xml"
    SINCH_XML = "sinch_xml"
    SINCH_JSON = "sinch_json"


# Generous bounds: the vendor's longest values are URLs; anything bigger is abuse, not data.
Text = Annotated[str, StringConstraints(max_length=4096)]
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
    content: list[Text] = Field(default_factory=list, max_length=100)
    copy_to: list[Text] = Field(default_factory=list, max_length=100)
    audio_name: Text | None = None
    video_name: Text | None = None
    notification_id: Text | None = None
    notification_created: str | None = None
    notification_created_original: Text | None = None
    # Fields the vendor sent that we have no name for: kept verbatim, never dropped.
    extra: dict[Text, Text] = Field(default_factory=dict, max_length=100)

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
        data["timestamp"] = timestamps.normalise(data.get("timestamp_original"))
        data["notification_created"] = timestamps.normalise(data.get("notification_created_original"))
        return data

    def canonical(self) -> dict[str, Any]:
        """The stored / printed form: canonical names (`from`, not `from_`), empty fields left out."""
        dumped = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        return {key: value for key, value in dumped.items() if value not in ([], {})}

    def fingerprint(self) -> str:
        """Identity of this postback: the same postback redelivered, in any wrapping, has the same one."""
        fields = self.canonical()
        fields.pop("dialect", None)
        blob = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(blob.encode()).hexdigest()[:32]
