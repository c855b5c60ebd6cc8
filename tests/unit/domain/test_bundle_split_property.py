"""A bundle's items keep their own bytes exactly, in every encoding and wrapping the parser accepts.

The generator writes each <NOTIFICATION> itself, so it knows the exact bytes each item must keep; it varies the
encoding (UTF-8 with and without BOM, UTF-16 LE/BE with a BOM or named by the charset, UTF-32 with a BOM,
latin-1 and windows-1252 declared), the wrapping (raw XML, an `xml=`/`XML=` form field among others), the
namespace (none, default, prefixed), the tag's spelling (`notification`, `NOTI_FICATION`) and the envelope
(root attributes, a large element beside the notifications, comments).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote_plus
from xml.sax.saxutils import escape, quoteattr

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from postbacks.domain import decoding, parsing
from postbacks.domain.errors import PostbackRejected, Reason
from postbacks.storage import fragments

SPLIT = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@dataclass(frozen=True)
class Encoding:
    codec: str  # how the generator writes the text
    bom: bytes = b""
    declared: str | None = None  # the XML declaration's encoding
    charset: str | None = None  # the Content-Type's charset
    narrow: bool = False  # only characters this codec can write


ENCODINGS = [
    Encoding("utf-8"),
    Encoding("utf-8", bom=b"\xef\xbb\xbf"),
    Encoding("utf-8", declared="UTF-8"),
    Encoding("utf-16-le", bom=b"\xff\xfe"),
    Encoding("utf-16-be", bom=b"\xfe\xff", declared="UTF-16"),
    Encoding("utf-16-le", charset="utf-16le"),
    Encoding("utf-16-be", charset="utf-16be"),
    Encoding("utf-16-le"),  # no BOM, no charset: recognised by its first `<`
    Encoding("utf-16-be"),
    Encoding("utf-32-le", bom=b"\xff\xfe\x00\x00"),
    Encoding("utf-32-be", bom=b"\x00\x00\xfe\xff", declared="UTF-32"),
    Encoding("utf-32-le", bom=b"\xff\xfe\x00\x00", charset="utf-32"),
    Encoding("latin-1", declared="ISO-8859-1", narrow=True),
    Encoding("cp1252", declared="windows-1252", narrow=True),
]
ASCII_COMPATIBLE = [e for e in ENCODINGS if e.codec in ("utf-8", "latin-1", "cp1252") and not e.bom]
# How a notification's tag may be written: the parser folds case, `-` and `_`, and ignores namespaces.
TAGS = ["NOTIFICATION", "notification", "NOTI_FICATION", "Noti-fication", "p:NOTIFICATION"]
NAMESPACES = ["", ' xmlns="urn:postbacks"', ' xmlns:q="urn:q"']


def words(encoding: Encoding) -> st.SearchStrategy[str]:
    """Text an XML document may hold (no control characters, no surrogates), in the encoding's repertoire."""
    characters = st.characters(categories=["L", "N", "P", "S", "Zs", "M"])
    if encoding.narrow:
        characters = characters.filter(lambda c: _encodable(c, encoding.codec))
    return st.text(characters, min_size=1, max_size=12)


def _encodable(character: str, codec: str) -> bool:
    try:
        character.encode(codec)
    except UnicodeEncodeError:
        return False
    return True


@dataclass(frozen=True)
class Case:
    body: bytes
    content_type: str | None
    items: tuple[bytes, ...]  # each notification exactly as written


@st.composite
def bundles(draw: st.DrawFn, encodings: list[Encoding] = ENCODINGS, wrapped: bool = False) -> Case:
    encoding = draw(st.sampled_from(encodings))
    tag = draw(st.sampled_from(TAGS))
    namespace = draw(st.sampled_from(NAMESPACES)) + (' xmlns:p="urn:p"' if tag.startswith("p:") else "")
    attributes = draw(st.sampled_from(["", ' batch="7"', " v='a>b'"]))
    envelope = draw(st.integers(0, 3000))
    text = words(encoding)
    items = [
        f"<{tag} id={quoteattr(str(n))}><CODE>N211</CODE><FROM>1555{n:07d}</FROM>"
        f"<TEXT>{escape(draw(text))}</TEXT><X a={quoteattr(draw(text))}/></{tag}>"
        for n in range(draw(st.integers(2, 6)))
    ]
    declaration = f'<?xml version="1.0" encoding="{encoding.declared}"?>\n' if encoding.declared else ""
    context = f"<ACCOUNT>{escape(draw(text)) * envelope}</ACCOUNT>" if envelope else ""
    separator = draw(st.sampled_from(["", "\n", "<!-- c -->"]))
    document = (
        f"{declaration}<POSTBACK{namespace}{attributes}>{context}{separator}"
        + separator.join(items)
        + f"{separator}</POSTBACK>\n"
    )
    xml = encoding.bom + document.encode(encoding.codec)
    content_type = (
        f"text/xml; charset={encoding.charset}" if encoding.charset else draw(st.sampled_from([None, "text/xml"]))
    )
    if wrapped:
        name = draw(st.sampled_from(["xml", "XML"]))
        body = f"token=t1&{name}={quote_plus(xml)}&after=2".encode()
        content_type = "application/x-www-form-urlencoded"
    else:
        body = xml
    return Case(body, content_type, tuple(item.encode(encoding.codec) for item in items))


def check(case: Case) -> None:
    from postbacks.service.ingest import parse_body, same, split_exactly

    payload, parsed = parse_body(case.body, case.content_type)
    assert parsed.bundled
    assert len(parsed.postbacks) == len(case.items)
    bundle = split_exactly(payload, parsed, case.content_type)
    # Exact: each item is its own notification as written, so no item carries another's bytes.
    assert bundle.notifications == case.items
    for index, postback in enumerate(parsed.postbacks):
        _, alone = parse_body(bundle.standalone(index), case.content_type)
        (replayed,) = alone.postbacks
        assert same(replayed, postback)
        assert replayed.fingerprint() == postback.fingerprint()


@SPLIT
@given(bundles())
def test_each_item_is_its_own_notification_exactly_and_replays_alone_to_the_same_postback(case: Case) -> None:
    check(case)


@SPLIT
@given(bundles(ASCII_COMPATIBLE, wrapped=True))
def test_a_bundle_in_a_form_field_is_split_exactly_too(case: Case) -> None:
    check(case)


def test_utf16_fragments_keep_their_last_byte() -> None:
    items = [f"<NOTIFICATION><CODE>N211</CODE><FROM>1555000000{n}</FROM></NOTIFICATION>" for n in range(2)]
    body = b"\xff\xfe" + f"<POSTBACK>{''.join(items)}</POSTBACK>".encode("utf-16-le")
    bundle = fragments.split(decoding.payload(body, None))
    assert bundle is not None
    assert bundle.notifications == tuple(item.encode("utf-16-le") for item in items)


@pytest.mark.parametrize("charset", [None, "utf-32"])
@pytest.mark.parametrize(("bom", "codec"), [(b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be")])
def test_utf32_with_its_bom_is_read(bom: bytes, codec: str, charset: str | None) -> None:
    body = bom + "<POSTBACK><CODE>N201</CODE><TEXT>é😀</TEXT></POSTBACK>".encode(codec)
    content_type = f"text/xml; charset={charset}" if charset else None
    (postback,) = parsing.parse(decoding.payload(body, content_type)).postbacks
    assert (postback.code, postback.text) == ("N201", "é😀")


def test_a_bundle_whose_context_cannot_be_cut_out_exactly_is_refused() -> None:
    from postbacks.service.ingest import parse_body, split_exactly

    # Text on both sides of a later notification: cut out, the two texts would read as one.
    item = "<NOTIFICATION><CODE>N211</CODE></NOTIFICATION>"
    body = f"<POSTBACK>{item} a {item} b {item}</POSTBACK>".encode()
    payload, parsed = parse_body(body, None)
    with pytest.raises(PostbackRejected) as refused:
        split_exactly(payload, parsed, None)
    assert refused.value.reason is Reason.UNSPLITTABLE_BUNDLE
