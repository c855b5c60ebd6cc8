"""A <POSTBACK> or <NOTIFICATION> element to its fields, every text and attribute value kept.

A leaf element is a value; an element with elements inside is structure, so everything below it goes to
`extra` by path (and, when it mixes text with elements, its joined text also fills its canonical field).
Walks are iterative: a body may nest elements 100,000 deep.
"""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import Element

from postbacks.domain.fields import LIST_FIELDS, MAX_PATH, Collector, field_for, fold, local_name


def postback_fields(root: Element, collector: Collector) -> dict[str, Any]:
    """A <POSTBACK> without notifications: its children are the postback."""
    _attributes(collector, root, "")
    _children(collector, root, "", flatten_body=True)
    return collector.result()


def root_attributes(root: Element) -> tuple[tuple[str, str], ...]:
    """A bundle's <POSTBACK> attributes, by path: part of the envelope every notification is replayed in."""
    collector = Collector()
    _attributes(collector, root, local_name(root.tag))
    return tuple(collector.extra.items())


def bundle_context(root: Element) -> tuple[tuple[str, str], ...]:
    """What a bundle's <POSTBACK> holds beside its notifications and attributes (elements, text), by path."""
    collector = Collector()
    outer = local_name(root.tag)
    _text(collector, outer, root.text)
    for child in root:
        _text(collector, outer, child.tail)
        if fold(child.tag) != "notification":
            _walk(collector, child, f"{outer}/{local_name(child.tag)}")
    return tuple(collector.extra.items())


def notification_fields(
    notification: Element, context: tuple[tuple[str, str], ...], collector: Collector
) -> dict[str, Any]:
    """One <NOTIFICATION> of a bundle, with the part of the bundle's context (see `bundle_context`) it keeps."""
    for name, value in notification.attrib.items():
        attribute = local_name(name)
        if attribute == "id" and value.strip():
            collector.fields["notification_id"] = value
        elif attribute == "created" and value.strip():
            collector.fields["notification_created_original"] = value
        else:
            collector.keep(f"@{attribute}", value)
    _children(collector, notification, "", flatten_body=True)
    for path, value in context:
        collector.keep(path, value)
    return collector.result()


def _children(collector: Collector, element: Element, prefix: str, *, flatten_body: bool) -> None:
    here = prefix.rstrip("/") or "#text"  # text between a postback's elements has no element of its own
    _text(collector, here, element.text)
    for child in element:
        tag = local_name(child.tag)
        path = f"{prefix}{tag}"
        _text(collector, here, child.tail)
        folded = fold(tag)
        if child.attrib:
            _attributes(collector, child, path)
        # One level only: <BODY> inside <BODY> thousands deep is structure, kept in extra.
        if flatten_body and folded == "body":
            _children(collector, child, f"{path}/", flatten_body=False)
            continue
        if len(child) == 0:
            collector.value(tag, path, (child.text or "").strip())
            continue
        name = field_for(tag)
        if name in LIST_FIELDS:
            _list(collector, child, name, path)
        else:
            if name is not None and _is_mixed(child):
                collector.value(tag, path, "".join(child.itertext()).strip())
            _walk(collector, child, path, with_attributes=False)


def _text(collector: Collector, path: str, text: str | None) -> None:
    if text and not text.isspace():
        collector.keep(path, text.strip())


def _list(collector: Collector, element: Element, name: str, path: str) -> None:
    """`<CONTENT><FILE>url</FILE>...</CONTENT>`: each child's text is an item."""
    collector.keep(path, (element.text or "").strip())
    for item in element:
        item_path = f"{path}/{local_name(item.tag)}"
        collector.keep(path, (item.tail or "").strip())
        collector.item(name, (item.text or "").strip())
        _attributes(collector, item, item_path)
        for below in item:
            collector.keep(item_path, (below.tail or "").strip())
            _walk(collector, below, f"{item_path}/{local_name(below.tag)}")


def _walk(collector: Collector, element: Element, path: str, *, with_attributes: bool = True) -> None:
    """Every text node and attribute at and below `element` into extra, by path."""
    stack = [(element, path[:MAX_PATH], with_attributes)]
    while stack:
        node, here, attributes = stack.pop()
        if attributes:
            _attributes(collector, node, here)
        collector.keep(here, (node.text or "").strip())
        for child in node:
            collector.keep(here, (child.tail or "").strip())
        stack.extend((child, f"{here}/{local_name(child.tag)}"[:MAX_PATH], True) for child in reversed(node))


def _attributes(collector: Collector, element: Element, path: str) -> None:
    for name, value in element.attrib.items():
        collector.keep(f"{path}@{local_name(name)}", value)


def _is_mixed(element: Element) -> bool:
    """Text beside elements (`Recipient <B>blocked</B> by operator`), not elements alone."""
    return bool((element.text or "").strip()) or any((child.tail or "").strip() for child in element)
