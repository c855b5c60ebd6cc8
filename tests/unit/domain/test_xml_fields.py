"""XML elements to fields: leaves are values, structure goes to extra by path, every text and attribute kept."""

from __future__ import annotations

from tests.helpers import canonical

N201 = {"dialect": "skycore_xml", "code": "N201", "kind": "sms_mt", "status": "sent"}


def test_text_between_a_postbacks_elements_and_their_attributes_are_kept() -> None:
    raw = b'<POSTBACK> lead <CODE a="1">N201</CODE> mid <TO>1</TO> tail </POSTBACK>'
    assert canonical(raw) == [
        {**N201, "to": "1", "extra": {"#text": "lead", "#text[1]": "mid", "CODE@a": "1", "#text[2]": "tail"}}
    ]


def test_the_body_elements_children_are_the_postbacks_one_level_deep() -> None:
    raw = b"<POSTBACK><CODE>N201</CODE><BODY><TEXT>hi</TEXT><BODY><X>y</X></BODY></BODY></POSTBACK>"
    assert canonical(raw) == [{**N201, "text": "hi", "extra": {"BODY/BODY/X": "y"}}]


def test_mixed_text_fills_its_field_and_each_piece_is_kept() -> None:
    raw = b"<POSTBACK><CODE>N201</CODE><STATUSDETAILS>Recipient <B>blocked</B> by operator</STATUSDETAILS></POSTBACK>"
    assert canonical(raw) == [
        {
            **N201,
            "status_details": "Recipient blocked by operator",
            "extra": {"STATUSDETAILS": "Recipient", "STATUSDETAILS[1]": "by operator", "STATUSDETAILS/B": "blocked"},
        }
    ]


def test_text_only_after_an_inner_element_is_mixed_too() -> None:
    raw = b"<POSTBACK><CODE>N201</CODE><STATUSDETAILS><B>blocked</B> tail</STATUSDETAILS></POSTBACK>"
    assert canonical(raw) == [
        {**N201, "status_details": "blocked tail", "extra": {"STATUSDETAILS": "tail", "STATUSDETAILS/B": "blocked"}}
    ]


def test_elements_alone_inside_a_field_are_structure_not_its_value() -> None:
    raw = b"<POSTBACK><CODE>N201</CODE><STATUSDETAILS><B>blocked</B></STATUSDETAILS></POSTBACK>"
    assert canonical(raw) == [{**N201, "extra": {"STATUSDETAILS/B": "blocked"}}]


def test_an_unknown_element_with_children_goes_to_extra_by_path() -> None:
    raw = b"<POSTBACK><CODE>N201</CODE><LIST>a<I>b</I></LIST></POSTBACK>"
    assert canonical(raw) == [{**N201, "extra": {"LIST": "a", "LIST/I": "b"}}]


def test_each_file_of_content_is_an_item_and_everything_around_them_is_kept() -> None:
    raw = (
        b'<POSTBACK><CODE>N211</CODE><CONTENT> t <FILE n="1">u1<X>x</X> xt </FILE>'
        b" ft <FILE>u2</FILE></CONTENT></POSTBACK>"
    )
    assert canonical(raw) == [
        {
            **N201,
            "code": "N211",
            "kind": "sms_mo",
            "status": "received",
            "content": ["u1", "u2"],
            "extra": {
                "CONTENT": "t",
                "CONTENT[1]": "ft",
                "CONTENT/FILE@n": "1",
                "CONTENT/FILE": "xt",
                "CONTENT/FILE/X": "x",
            },
        }
    ]


def test_a_notification_has_its_id_and_created_and_the_envelope_around_it() -> None:
    raw = (
        b'<POSTBACK a="r" xmlns:q="urn:q"> rt <NOTIFICATION id="7" created="2013-11-05T05:41:08-05:00" q:other="o">'
        b"<CODE>N201</CODE></NOTIFICATION> t1 <SHORTCODE>123</SHORTCODE> "
        b'<NOTIFICATION id=" " created=""><CODE>N202</CODE></NOTIFICATION></POSTBACK>'
    )
    envelope = {"POSTBACK@a": "r", "POSTBACK": "rt", "POSTBACK[1]": "t1", "POSTBACK/SHORTCODE": "123"}
    assert canonical(raw) == [
        {
            **N201,
            "notification_id": "7",
            "notification_created": "2013-11-05T10:41:08.000000Z",
            "notification_created_original": "2013-11-05T05:41:08-05:00",
            "extra": {"@other": "o", **envelope},
        },
        {**N201, "code": "N202", "status": "delivered", "extra": {"POSTBACK@a": "r"}},
    ]


def test_structure_beside_the_notifications_is_kept_with_its_attributes() -> None:
    raw = b'<POSTBACK><NOTIFICATION><CODE>N201</CODE></NOTIFICATION><X><Y q="1">v</Y></X></POSTBACK>'
    assert canonical(raw) == [{**N201, "extra": {"POSTBACK/X/Y@q": "1", "POSTBACK/X/Y": "v"}}]


def test_an_element_whose_name_only_starts_like_notification_is_structure() -> None:
    raw = b"<POSTBACK><CODE>N201</CODE><NOTIFICATIONS><A>1</A></NOTIFICATIONS></POSTBACK>"
    assert canonical(raw) == [{**N201, "extra": {"NOTIFICATIONS/A": "1"}}]


def test_attributes_on_a_postbacks_root_are_kept_by_their_local_name() -> None:
    raw = b'<POSTBACK xmlns:q="urn:q" q:v="2" w="3"><CODE>N201</CODE></POSTBACK>'
    assert canonical(raw) == [{**N201, "extra": {"@v": "2", "@w": "3"}}]


def test_a_notification_nested_in_a_notification_is_kept_as_structure() -> None:
    inner = b"<NOTIFICATION><TO>1</TO></NOTIFICATION>"
    raw = b"<POSTBACK><NOTIFICATION><CODE>N201</CODE>" + inner + b"<X>2</X></NOTIFICATION></POSTBACK>"
    assert canonical(raw) == [{**N201, "extra": {"NOTIFICATION/TO": "1", "X": "2"}}]


def test_elements_after_the_body_are_read_too() -> None:
    raw = b"<POSTBACK><CODE>N201</CODE><BODY><TEXT>hi</TEXT></BODY><TO>1</TO></POSTBACK>"
    assert canonical(raw) == [{**N201, "text": "hi", "to": "1"}]


def test_an_empty_leaf_carries_nothing() -> None:
    assert canonical(b"<POSTBACK><CODE>N201</CODE><TO/></POSTBACK>") == [N201]


def test_attributes_of_structure_are_kept_once() -> None:
    raw = b'<POSTBACK><CODE>N201</CODE><LIST a="1"><I>b</I></LIST></POSTBACK>'
    assert canonical(raw) == [{**N201, "extra": {"LIST@a": "1", "LIST/I": "b"}}]


def test_text_before_an_inner_element_alone_is_mixed() -> None:
    raw = b"<POSTBACK><CODE>N201</CODE><STATUSDETAILS>Recipient <B>blocked</B></STATUSDETAILS></POSTBACK>"
    assert canonical(raw) == [
        {
            **N201,
            "status_details": "Recipient blocked",
            "extra": {"STATUSDETAILS": "Recipient", "STATUSDETAILS/B": "blocked"},
        }
    ]


def test_mixed_text_for_a_field_already_taken_goes_to_extra_under_its_path() -> None:
    second = b"<STATUSDETAILS>x <B>y</B></STATUSDETAILS>"
    raw = b"<POSTBACK><CODE>N201</CODE><STATUSDETAILS>a</STATUSDETAILS>" + second + b"</POSTBACK>"
    assert canonical(raw) == [
        {
            **N201,
            "status_details": "a",
            "extra": {"STATUSDETAILS": "x y", "STATUSDETAILS[1]": "x", "STATUSDETAILS/B": "y"},
        }
    ]


def test_an_empty_file_is_no_item_and_an_inner_element_without_tail_adds_nothing() -> None:
    raw = b"<POSTBACK><CODE>N211</CODE><CONTENT><FILE/><FILE>u<X>x</X></FILE></CONTENT></POSTBACK>"
    assert canonical(raw) == [
        {
            **N201,
            "code": "N211",
            "kind": "sms_mo",
            "status": "received",
            "content": ["u"],
            "extra": {"CONTENT/FILE/X": "x"},
        }
    ]


def test_an_unknown_element_of_a_notification_is_kept_under_its_own_name() -> None:
    raw = b"<POSTBACK><NOTIFICATION><CODE>N201</CODE><X>1</X></NOTIFICATION></POSTBACK>"
    assert canonical(raw) == [{**N201, "extra": {"X": "1"}}]
