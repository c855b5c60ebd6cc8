"""Every value a postback carries reaches the stored event: canonical fields or `extra`, exactly as sent.

The generators build postbacks with random extra structure (attributes, repeats, mixed content, nesting,
duplicate JSON keys, numbers and booleans, extra form fields) and record every leaf value as they write it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote_plus
from xml.sax.saxutils import escape, quoteattr

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from postbacks.domain import decoding, parsing

# Example counts come from the loaded profile (the mutation run's is small).
LOSSLESS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Vendor names (values land in canonical fields) and names we have no field for (values land in extra).
KNOWN_TAGS = ["TO", "FROM", "HANDSET", "STATUSDETAILS", "CONTENT", "COPY-TO", "TIMESTAMP", "KEYWORD", "MOBILE"]
unknown_tags = st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=6).map(lambda name: f"X{name}")
tags = st.one_of(st.sampled_from(KNOWN_TAGS), unknown_tags)
# Printable text without the characters XML or pydantic would normalise (CR, tabs, outer blanks).
words = st.text(st.characters(codec="utf-8", categories=["L", "N", "P", "S", "Zs"]), min_size=1, max_size=12).map(
    str.strip
)


@dataclass
class Leaves:
    """Every value written into a body, each made unique so a lost one cannot hide behind a twin."""

    values: list[str] = field(default_factory=list)

    def add(self, text: str) -> str:
        value = f"{text or 'v'}~{len(self.values)}"
        self.values.append(value)
        return value


def stored_values(canonical: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    for value in canonical.values():
        if isinstance(value, str):
            found.add(value)
        elif isinstance(value, list):
            found.update(value)
        elif isinstance(value, dict):
            found.update(value.values())
    return found


def assert_every_leaf_is_stored(raw: bytes, content_type: str | None, leaves: Leaves) -> None:
    (postback,) = parsing.parse(decoding.payload(raw, content_type)).postbacks
    stored = stored_values(postback.canonical())
    assert [value for value in leaves.values if value not in stored] == []


# --- XML -------------------------------------------------------------------------------------------

Node = tuple[str, dict[str, str], str, list[Any], str]  # tag, attributes, text, children, tail


def xml_nodes(depth: int) -> st.SearchStrategy[Node]:
    children = st.lists(xml_nodes(depth - 1), max_size=3) if depth else st.just([])
    attributes = st.dictionaries(st.sampled_from(["id", "type", "lang", "x"]), words, max_size=2)
    return st.tuples(tags, attributes, st.one_of(st.just(""), words), children, st.one_of(st.just(""), words))


def render(node: Node, leaves: Leaves, *, tail: bool = True) -> str:
    tag, attributes, text, children, after = node
    attrs = "".join(f" {name}={quoteattr(leaves.add(value))}" for name, value in attributes.items())
    inner = escape(leaves.add(text)) if text else ""
    inner += "".join(render(child, leaves) for child in children)
    closing = escape(leaves.add(after)) if after and tail else ""
    return f"<{tag}{attrs}>{inner}</{tag}>{closing}"


@LOSSLESS
@given(nodes=st.lists(xml_nodes(2), max_size=6), root_attributes=st.dictionaries(st.just("version"), words))
def test_every_xml_text_attribute_and_repeat_reaches_the_stored_event(
    nodes: list[Node], root_attributes: dict[str, str]
) -> None:
    leaves = Leaves()
    attrs = "".join(f" {name}={quoteattr(leaves.add(value))}" for name, value in root_attributes.items())
    body = "".join(render(node, leaves, tail=False) for node in nodes)
    raw = f"<POSTBACK{attrs}><CODE>N201</CODE><TRACKINGID>lossless</TRACKINGID>{body}</POSTBACK>"
    assert_every_leaf_is_stored(raw.encode(), "text/xml", leaves)


# --- JSON ------------------------------------------------------------------------------------------

number_texts = st.one_of(
    st.integers(-(10**30), 10**30).map(str),
    st.sampled_from(["1.10", "1e400", "-0.0", "2.5E-3", "0", "12345678901234567890.000"]),
)
json_keys = st.one_of(st.sampled_from(["to", "from", "handset", "copy-to", "content", "number", "file"]), unknown_tags)


def json_values(depth: int) -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        words.map(lambda text: ("string", text)),
        number_texts.map(lambda text: ("number", text)),
        st.sampled_from([("literal", "true"), ("literal", "false"), ("literal", "null")]),
    )
    if not depth:
        return scalars
    below = json_values(depth - 1)
    return st.one_of(
        scalars,
        st.lists(below, max_size=3).map(lambda items: ("array", items)),
        st.lists(st.tuples(json_keys, below), max_size=3).map(lambda pairs: ("object", pairs)),
    )


def write_json(value: Any, leaves: Leaves) -> str:
    kind, content = value
    if kind == "string":
        return json.dumps(leaves.add(content))
    if kind in ("number", "literal"):
        leaves.values.append(content)  # numbers and literals are stored as their JSON text
        return str(content)
    if kind == "array":
        return "[" + ",".join(write_json(item, leaves) for item in content) + "]"
    return "{" + ",".join(f"{json.dumps(key)}:{write_json(item, leaves)}" for key, item in content) + "}"


@LOSSLESS
@given(pairs=st.lists(st.tuples(json_keys, json_values(3)), max_size=8))
def test_every_json_scalar_at_any_depth_and_every_duplicate_key_reaches_the_stored_event(
    pairs: list[tuple[str, Any]],
) -> None:
    leaves = Leaves()
    body = "".join(f",{json.dumps(key)}:{write_json(value, leaves)}" for key, value in pairs)
    raw = '{"code":"N201","tracking-id":"lossless"' + body + "}"
    assert_every_leaf_is_stored(raw.encode(), "application/json", leaves)


# --- forms -----------------------------------------------------------------------------------------


@LOSSLESS
@given(fields=st.lists(st.tuples(st.one_of(json_keys, st.just("text")), words), max_size=6), wrapped=st.booleans())
def test_every_form_field_reaches_the_stored_event(fields: list[tuple[str, str]], wrapped: bool) -> None:
    leaves = Leaves()
    encoded = "&".join(f"{quote_plus(name)}={quote_plus(leaves.add(value))}" for name, value in fields)
    if wrapped:
        postback = quote_plus("<POSTBACK><CODE>N201</CODE></POSTBACK>")
        raw = f"{encoded}&xml={postback}" if encoded else f"xml={postback}"
    else:
        raw = f"code=N201&{encoded}"
    assert_every_leaf_is_stored(raw.encode(), "application/x-www-form-urlencoded", leaves)
