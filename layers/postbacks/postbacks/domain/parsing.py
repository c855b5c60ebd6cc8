"""Payload to canonical postbacks: one per notification, whatever the dialect."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import defusedxml
from defusedxml import ElementTree as SafeElementTree
from pydantic import ValidationError

from postbacks.domain import json_fields, xml_fields
from postbacks.domain.decoding import UTF32_BOMS, Payload, Syntax
from postbacks.domain.errors import PostbackRejected, Reason
from postbacks.domain.fields import LIST_FIELDS, SET_ASIDE_PREFIX, WRAPPER_PREFIX, Collector, fold, local_name
from postbacks.domain.models import MAX_LIST_ITEMS, MAX_TEXT, Dialect, Postback

# The vendor's legacy bundle format carries at most 300 notifications.
MAX_NOTIFICATIONS = 1000
# A bundle's root attributes are kept with every item (the envelope each one is replayed in): so bounded.
MAX_SHARED_ATTRIBUTES = 2048


@dataclass(frozen=True, slots=True)
class ParsedBody:
    dialect: Dialect
    postbacks: tuple[Postback, ...]
    bundled: bool  # several <NOTIFICATION>s in one <POSTBACK>


def parse(payload: Payload) -> ParsedBody:
    if payload.syntax is Syntax.JSON:
        return _parse_json(payload)
    if payload.syntax is Syntax.FORM:
        fields = json_fields.pairs_fields(payload.fields, Collector())
        return ParsedBody(Dialect.FORM, (_build(Dialect.FORM, fields),), bundled=False)
    return _parse_xml(payload)


def _collector(payload: Payload) -> Collector:
    """A fresh collector holding the form fields beside the `xml` field, if any."""
    collector = Collector()
    for name, value in payload.fields:
        collector.keep(f"{WRAPPER_PREFIX}{name}", value)
    return collector


# --- XML ---------------------------------------------------------------------------------------


def _parse_xml(payload: Payload) -> ParsedBody:
    root = _xml_root(payload.data)
    tag = local_name(root.tag)  # any namespace, default or prefixed
    if tag.lower() != "postback":
        raise PostbackRejected(Reason.WRONG_ROOT, f"The root element is <{tag[:64]}>, not <POSTBACK>.")
    dialect = Dialect.SKYCORE_XML if tag == "POSTBACK" else Dialect.SINCH_XML
    notifications = [child for child in root if fold(child.tag) == "notification"]
    if len(notifications) > MAX_NOTIFICATIONS:
        raise PostbackRejected(
            Reason.TOO_MANY_NOTIFICATIONS,
            f"The bundle has {len(notifications)} notifications; at most {MAX_NOTIFICATIONS} are accepted.",
        )
    if not notifications:
        fields = xml_fields.postback_fields(root, _collector(payload))
        return ParsedBody(dialect, (_build(dialect, fields),), bundled=False)
    shared = xml_fields.root_attributes(root)
    if len(notifications) > 1 and sum(len(path) + len(value) for path, value in shared) > MAX_SHARED_ATTRIBUTES:
        raise PostbackRejected(
            Reason.SHARED_ATTRIBUTES_TOO_LARGE,
            f"The bundle's <POSTBACK> attributes exceed {MAX_SHARED_ATTRIBUTES} characters.",
        )
    # The rest of the bundle's context (elements and text beside the notifications, the form fields around
    # it) is kept once, with the first notification: a copy per item would multiply the body.
    context = xml_fields.bundle_context(root)
    postbacks = tuple(
        _build(
            dialect,
            xml_fields.notification_fields(item, shared + context if i == 0 else shared, _first(payload, i)),
            position=i,
        )
        for i, item in enumerate(notifications)
    )
    return ParsedBody(dialect, postbacks, bundled=len(postbacks) > 1)


def _first(payload: Payload, position: int) -> Collector:
    return _collector(payload) if position == 0 else Collector()


def _xml_root(data: bytes) -> Element:
    if data.startswith(tuple(UTF32_BOMS)):
        # Expat reads UTF-8 and UTF-16 only; text it is handed is read whatever the declaration says.
        try:
            data = data.decode("utf-32").encode("utf-8")
        except UnicodeDecodeError as error:
            raise PostbackRejected(Reason.BAD_ENCODING, f"The XML is not valid UTF-32 ({error.reason}).") from error
        return _fromstring(re.sub(rb"^\s*(<\?xml[^>]*?\bencoding\s*=\s*)([\"'])[^\"']*\2", rb"\1\2utf-8\2", data))
    if _needs_utf8_check(data):
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise PostbackRejected(Reason.BAD_ENCODING, f"The XML is not valid UTF-8 ({error.reason}).") from error
    return _fromstring(data)


def _fromstring(data: bytes) -> Element:
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
    # UTF-16 without a BOM is recognised by its first `<` (XML 1.0, appendix F), as expat does.
    utf16 = data[:2] in (b"\xff\xfe", b"\xfe\xff", b"<\x00", b"\x00<")
    return not (utf16 or (b"encoding=" in head and b"utf-8" not in head))


# --- JSON --------------------------------------------------------------------------------------


def _parse_json(payload: Payload) -> ParsedBody:
    try:
        document = json_fields.load(payload.data)
    except UnicodeDecodeError as error:
        raise PostbackRejected(Reason.BAD_ENCODING, "The JSON is not valid UTF-8.") from error
    except (ValueError, RecursionError) as error:
        raise PostbackRejected(Reason.MALFORMED_JSON, f"The body is not valid JSON ({error}).") from error
    if not isinstance(document, json_fields.Pairs):
        kind = json_fields.describe(document)
        raise PostbackRejected(Reason.JSON_NOT_OBJECT, f"The JSON body is {kind}, not an object.")
    fields = json_fields.object_fields(document, _collector(payload))
    return ParsedBody(Dialect.SINCH_JSON, (_build(Dialect.SINCH_JSON, fields),), bundled=False)


# --- shared ------------------------------------------------------------------------------------


def _build(dialect: Dialect, fields: dict[str, Any], position: int | None = None) -> Postback:
    where = "" if position is None else f" (notification {position + 1})"
    if not str(fields.get("code") or "").strip():
        raise PostbackRejected(Reason.MISSING_CODE, f"The postback has no CODE or STATUSCODE{where}.")
    fields = bounded_lists(fields)
    try:
        return Postback.model_validate({**fields, "dialect": dialect})
    except ValidationError as error:
        # A value too long for its field (a 2 KB tracking id) is kept in extra: a postback with a code is
        # never refused for its shape. Anything else wrong is a refusal.
        aside = _set_aside(error, fields)
        if aside is not None:
            try:
                return Postback.model_validate({**aside, "dialect": dialect})
            except ValidationError:
                pass
        first = error.errors()[0]
        location = ".".join(str(part) for part in first["loc"])
        raise PostbackRejected(Reason.INVALID_POSTBACK, f"Field {location}: {first['msg']}{where}.") from error


def _set_aside(error: ValidationError, fields: dict[str, Any]) -> dict[str, Any] | None:
    """`fields` with each over-long field moved into extra under its own name; None if not only that is wrong."""
    names = {str(problem["loc"][0]) for problem in error.errors() if problem["loc"]}
    too_long = all(problem["type"] in _TOO_LONG for problem in error.errors())
    if not too_long or not names or "code" in names or not names <= fields.keys():
        return None
    collector = Collector()
    collector.extra.update(fields.get("extra", {}))
    kept = {name: value for name, value in fields.items() if name not in names and name != "extra"}
    for name in sorted(names):
        value = fields[name]
        for item in value if isinstance(value, list) else [value]:
            collector.keep(name, str(item))
    return {**kept, **({"extra": collector.extra} if collector.extra else {})}


def bounded_lists(fields: dict[str, Any]) -> dict[str, Any]:
    """Each list field's valid items kept; each item over MAX_TEXT, or past MAX_LIST_ITEMS, set aside in extra
    under `set-aside:<field>[<position as sent>]`, so one bad file never takes the good ones with it."""
    if not any(len(fields.get(name) or ()) for name in LIST_FIELDS):
        return fields
    collector = Collector()
    collector.extra.update(fields.get("extra", {}))
    bounded = dict(fields)
    for name in sorted(LIST_FIELDS & fields.keys()):
        kept: list[str] = []
        for position, item in enumerate(fields[name]):
            if len(item.strip()) <= MAX_TEXT and len(kept) < MAX_LIST_ITEMS:
                kept.append(item)
            else:
                collector.keep(f"{SET_ASIDE_PREFIX}{name}[{position}]", item)
        bounded[name] = kept
    if collector.extra:
        bounded["extra"] = collector.extra
    return bounded


_TOO_LONG = frozenset({"string_too_long", "too_long"})
