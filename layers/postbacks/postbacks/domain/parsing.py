"""Payload to canonical postbacks: one per notification, whatever the dialect."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import defusedxml
from defusedxml import ElementTree as SafeElementTree
from pydantic import ValidationError

from postbacks.domain.decoding import Payload, Syntax
from postbacks.domain.errors import PostbackRejected, Reason
from postbacks.domain.models import Dialect, Postback

# The vendor's legacy bundle format carries at most 300 notifications.
MAX_NOTIFICATIONS = 1000

# Vendor names, folded (lower case, no `-` or `_`), to canonical names. SPID and operator-id are one field.
_FIELD_FOR: dict[str, str] = {
    "trackingid": "tracking_id",
    "code": "code",
    "origin": "origin",
    "status": "status_text",
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
    "subject": "subject",
    "messagesubject": "subject",
    "content": "content",
    "copyto": "copy_to",
    "audioname": "audio_name",
    "videoname": "video_name",
}
_LIST_FIELDS = frozenset({"content", "copy_to"})


@dataclass(frozen=True, slots=True)
class ParsedBody:
    dialect: Dialect
    postbacks: tuple[Postback, ...]
    bundled: bool  # several <NOTIFICATION>s in one <POSTBACK>


def parse(payload: Payload) -> ParsedBody:
    if payload.syntax is Syntax.JSON:
        return _parse_json(payload.data)
    return _parse_xml(payload.data)


# --- XML ---------------------------------------------------------------------------------------


def _parse_xml(data: bytes) -> ParsedBody:
    root = _xml_root(data)
    if root.tag.lower() != "postback":
        raise PostbackRejected(Reason.WRONG_ROOT, f"The root element is <{root.tag[:64]}>, not <POSTBACK>.")
    dialect = Dialect.SKYCORE_XML if root.tag == "POSTBACK" else Dialect.SINCH_XML
    notifications = [child for child in root if child.tag.lower() == "notification"]
    if len(notifications) > MAX_NOTIFICATIONS:
        raise PostbackRejected(
            Reason.TOO_MANY_NOTIFICATIONS,
            f"The bundle has {len(notifications)} notifications; at most {MAX_NOTIFICATIONS} are accepted.",
        )
    if not notifications:
        return ParsedBody(dialect, (_build(dialect, _xml_fields(root)),), bundled=False)
    postbacks = tuple(_build(dialect, _notification_fields(item), position=i) for i, item in enumerate(notifications))
    return ParsedBody(dialect, postbacks, bundled=len(postbacks) > 1)


def _xml_root(data: bytes) -> Element:
    if _needs_utf8_check(data):
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise PostbackRejected(Reason.BAD_ENCODING, f"The XML is not valid UTF-8 ({error.reason}).") from error
    try:
        # Leading blank lines before <?xml ...?> are a common sender slip; they are not content.
        root: Element = SafeElementTree.fromstring(data.lstrip() if data[:1].isspace() else data, forbid_dtd=True)
    except defusedxml.DTDForbidden as error:
        raise PostbackRejected(Reason.DOCTYPE_FORBIDDEN, "The XML declares a DOCTYPE; postbacks never do.") from error
    except defusedxml.DefusedXmlException as error:
        raise PostbackRejected(Reason.ENTITIES_FORBIDDEN, "The XML uses entities or external references.") from error
    except ParseError as error:
        raise PostbackRejected(Reason.MALFORMED_XML, f"The body is not well-formed XML ({error}).") from error
    except (LookupError, ValueError) as error:
        # encoding="foo" raises LookupError, a multi-byte codec such as shift_jis ValueError: not parser bugs.
        raise PostbackRejected(Reason.BAD_ENCODING, f"The XML's declared encoding cannot be read ({error}).") from error
    return root


def _needs_utf8_check(data: bytes) -> bool:
    # With a BOM or a declared encoding the XML parser decodes; otherwise XML means UTF-8.
    head = data[:100].lower()
    return not (data[:2] in (b"\xff\xfe", b"\xfe\xff") or (b"encoding=" in head and b"utf-8" not in head))


def _notification_fields(notification: Element) -> dict[str, Any]:
    fields = _xml_fields(notification)
    for name in ("id", "created"):
        value = notification.attrib.get(name, "")
        if value:
            key = "notification_id" if name == "id" else "notification_created_original"
            fields[key] = value
    return fields


def _xml_fields(element: Element, *, flatten_body: bool = True) -> dict[str, Any]:
    """Children of a <POSTBACK> or <NOTIFICATION>; a <BODY> is flattened into its parent."""
    fields: dict[str, Any] = {}
    extra: dict[str, str] = {}
    for child in element:
        # One level only: <BODY> inside <BODY> thousands deep made this recursion raise RecursionError.
        if flatten_body and child.tag.upper() == "BODY":
            nested = _xml_fields(child, flatten_body=False)
            extra.update(nested.pop("extra", {}))
            for key, nested_value in nested.items():
                fields.setdefault(key, nested_value)
            continue
        if child.tag.lower() == "notification":
            continue
        name = _field_for(child.tag)
        value: Any = [(item.text or "").strip() for item in child] if len(child) else (child.text or "").strip()
        if name in _LIST_FIELDS and isinstance(value, str):
            value = [value] if value else []
        # Elements inside a one-value field (<STATUS><x/></STATUS>) go to extra, as JSON does with non-scalars:
        # handed to the model as a list they crashed status/timestamp derivation (AttributeError).
        if name is None or name in fields or (name not in _LIST_FIELDS and not isinstance(value, str)):
            extra[child.tag[:128]] = value if isinstance(value, str) else json.dumps(value)
        else:
            fields[name] = value
    if extra:
        fields["extra"] = extra
    return fields


# --- JSON --------------------------------------------------------------------------------------


def _parse_json(data: bytes) -> ParsedBody:
    try:
        document = json.loads(data)
    except UnicodeDecodeError as error:
        raise PostbackRejected(Reason.BAD_ENCODING, "The JSON is not valid UTF-8.") from error
    except (ValueError, RecursionError) as error:
        raise PostbackRejected(Reason.MALFORMED_JSON, f"The body is not valid JSON ({error}).") from error
    if not isinstance(document, dict):
        kind = type(document).__name__
        raise PostbackRejected(Reason.JSON_NOT_OBJECT, f"The JSON body is a {kind}, not an object.")
    return ParsedBody(Dialect.SINCH_JSON, (_build(Dialect.SINCH_JSON, _json_fields(document)),), bundled=False)


def _json_fields(document: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    extra: dict[str, str] = {}
    for key, value in document.items():
        name = _field_for(str(key))
        # A second key for the same field ("tracking-id" and "tracking_id") is kept in extra, as in XML, not lost.
        if name in fields:
            name = None
        if name in _LIST_FIELDS:
            fields[name] = _json_list(value)
        elif name is not None and (value is None or isinstance(value, (str, int, float))):
            fields[name] = None if value is None else str(value)
        else:
            extra[str(key)[:128]] = value if isinstance(value, str) else json.dumps(value)
    if extra:
        fields["extra"] = extra
    return fields


def _json_list(value: Any) -> list[str]:
    """`content: [{"file": url}, ...]`, a list of strings, or one string."""
    items = value if isinstance(value, list) else [value]
    result: list[str] = []
    for item in items:
        if isinstance(item, dict):
            url = item.get("file") or item.get("url")
            if url is not None:
                result.append(str(url))
        elif item is not None and item != "":
            result.append(str(item))
    return result


# --- shared ------------------------------------------------------------------------------------


def _fold(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].lower().replace("-", "").replace("_", "")


@lru_cache(maxsize=1024)  # the vendor uses a few dozen names; bounded against bodies of random tags
def _field_for(tag: str) -> str | None:
    """The canonical field an XML tag or JSON key names; None for one we have no name for."""
    return _FIELD_FOR.get(_fold(tag))


def _build(dialect: Dialect, fields: dict[str, Any], position: int | None = None) -> Postback:
    where = "" if position is None else f" (notification {position + 1})"
    if not str(fields.get("code") or "").strip():
        raise PostbackRejected(Reason.MISSING_CODE, f"The postback has no CODE{where}.")
    try:
        return Postback.model_validate({**fields, "dialect": dialect})
    except ValidationError as error:
        first = error.errors()[0]
        location = ".".join(str(part) for part in first["loc"])
        raise PostbackRejected(Reason.INVALID_POSTBACK, f"Field {location}: {first['msg']}{where}.") from error
