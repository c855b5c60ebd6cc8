"""Why a request body is refused: a machine code, a sentence for people, and the HTTP status it maps to."""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    BODY_TOO_LARGE = "body_too_large"
    EMPTY_BODY = "empty_body"
    BAD_BASE64 = "bad_base64"
    BAD_ENCODING = "bad_encoding"
    MALFORMED_FORM = "malformed_form"
    MALFORMED_XML = "malformed_xml"
    DOCTYPE_FORBIDDEN = "doctype_forbidden"
    ENTITIES_FORBIDDEN = "entities_forbidden"
    WRONG_ROOT = "wrong_root"
    MALFORMED_JSON = "malformed_json"
    JSON_NOT_OBJECT = "json_not_object"
    MISSING_CODE = "missing_code"
    TOO_MANY_NOTIFICATIONS = "too_many_notifications"
    SHARED_ATTRIBUTES_TOO_LARGE = "shared_attributes_too_large"  # a bundle's root attributes, copied per item
    UNSPLITTABLE_BUNDLE = "unsplittable_bundle"  # its notifications' bytes cannot be cut out exactly
    INVALID_POSTBACK = "invalid_postback"
    UNPARSEABLE = "unparseable"  # the parser itself failed: kept for replay once fixed


class PostbackRejected(Exception):
    """The body is not a postback we can store. The caller quarantines it and answers 4xx."""

    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
