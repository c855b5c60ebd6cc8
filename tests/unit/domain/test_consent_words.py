"""Consent words (domain.consent): which inbound messages and subscription postbacks are consent events."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from postbacks.domain import consent, consent_words
from postbacks.domain.consent_words import Action, Words

WORDS = consent_words.default_words()
FCC = ["stop", "quit", "end", "revoke", "opt out", "cancel", "unsubscribe"]


def test_defaults_are_the_fcc_and_ctia_lists() -> None:
    assert WORDS.opt_out == frozenset([*FCC, "stopall", "optout"])
    assert (WORDS.opt_in, WORDS.help) == (frozenset({"start", "unstop"}), frozenset({"help", "info"}))


@pytest.mark.parametrize(
    "text", ["Stop.", " stop ", "STOP!", "Opt-Out", "opt out", "OPTOUT", "Unsubscribe\n", "STOP \U0001f6d1"]
)
def test_whole_message_opt_out_matches_whatever_case_spaces_and_punctuation(text: str) -> None:
    assert consent_words.classify(text, None, WORDS) is Action.OPT_OUT


@given(
    st.sampled_from(sorted(WORDS.opt_out)),
    st.text(" \t\n.,!?-", max_size=3),
    st.text(" \t\n.,!?-", max_size=3),
    st.booleans(),
)
def test_any_casing_and_padding_of_an_opt_out_word_is_an_opt_out(
    word: str, before: str, after: str, upper: bool
) -> None:
    assert consent_words.classify(before + (word.upper() if upper else word) + after, None, WORDS) is Action.OPT_OUT


@pytest.mark.parametrize(
    ("text", "action"),
    [("START", Action.OPT_IN), ("unstop", Action.OPT_IN), ("Help?", Action.HELP), ("INFO", Action.HELP)],
)
def test_opt_in_and_help_words(text: str, action: Action) -> None:
    assert consent_words.classify(text, None, WORDS) is action


@pytest.mark.parametrize("text", ["please stop texting me", "Unsubscribe me now", "I want to opt-out", "END."])
def test_message_containing_an_opt_out_word_is_a_possible_opt_out_unless_it_is_the_word(text: str) -> None:
    expected = Action.OPT_OUT if text == "END." else Action.POSSIBLE_OPT_OUT
    assert consent_words.classify(text, None, WORDS) is expected


@pytest.mark.parametrize("text", ["see you at 5", "stopwatch for sale", "helpful", "", None, "started"])
def test_ordinary_message_is_no_consent_event(text: str | None) -> None:
    assert consent_words.classify(text, None, WORDS) is None


def test_keyword_counts_as_the_message() -> None:
    assert consent_words.classify("whatever they typed", "STOP", WORDS) is Action.OPT_OUT


def test_a_word_in_two_lists_opts_out() -> None:
    both = Words(frozenset({"stop"}), frozenset({"stop"}), frozenset())
    assert consent_words.classify("stop", None, both) is Action.OPT_OUT


def test_override_replaces_only_the_named_lists() -> None:
    words = consent_words.words_from('{"opt_out": ["Arrêt", "stop"], "help": ["aide"]}')
    assert words.opt_out == frozenset({"arrêt", "stop"})
    assert words.help == frozenset({"aide"})
    assert words.opt_in == WORDS.opt_in
    assert consent_words.classify("ARRÊT!", None, words) is Action.OPT_OUT


@pytest.mark.parametrize("override", ["", "  ", None])
def test_empty_override_keeps_the_defaults(override: str | None) -> None:
    assert consent_words.words_from(override) == WORDS


@pytest.mark.parametrize("override", ["stop,quit", '["stop"]', '{"optout": ["x"]}', '{"opt_out": "stop"}'])
def test_malformed_override_is_refused_with_a_reason(override: str) -> None:
    with pytest.raises(ValueError, match="consent words"):
        consent_words.words_from(override)


def fields(**values: str) -> dict[str, str]:
    return values


def test_mo_event_carries_number_digits_shortcode_and_words_as_sent() -> None:
    mo = fields(
        kind="sms_mo", code="N211", status="received", text="Stop.", to="60856", timestamp="2026-12-04T10:00:00.000000Z"
    )
    mo["from"] = "+1 (650) 111-2222"
    event = consent.event_of(mo, "~pb:x", "x", "2026-12-04T10:00:01Z", WORDS)
    assert event is not None
    assert (event.subscriber, event.program, event.action, event.text) == (
        "16501112222",
        "60856",
        Action.OPT_OUT,
        "Stop.",
    )
    assert event.vendor_at == "2026-12-04T10:00:00.000000Z"


def test_mms_mo_counts_like_sms_mo() -> None:
    mms = {"kind": "mms_mo", "code": "N401", "from": "16501112222", "to": "60856", "text": "unstop"}
    event = consent.event_of(mms, "k", "e", "r", WORDS)
    assert event is not None
    assert event.action is Action.OPT_IN


@pytest.mark.parametrize(
    ("code", "status", "action"), [("N301", "subscribed", Action.OPT_IN), ("N302", "unsubscribed", Action.OPT_OUT)]
)
def test_number_subscription_is_keyed_by_shortcode(code: str, status: str, action: Action) -> None:
    sub = fields(
        kind="subscription", code=code, status=status, mobile="16501112222", shortcode="60856", campaign_id="42"
    )
    event = consent.event_of(sub, "k", "e", "r", WORDS)
    assert event is not None
    assert (event.subscriber, event.program, event.action) == ("16501112222", "60856", action)


def test_email_subscription_without_shortcode_is_keyed_by_campaign() -> None:
    sub = fields(
        kind="email_subscription", code="N304", status="unsubscribed", email="Ann@Example.COM", campaign_id="42"
    )
    event = consent.event_of(sub, "k", "e", "r", WORDS)
    assert event is not None
    assert (event.subscriber, event.program) == ("ann@example.com", "campaign:42")


@pytest.mark.parametrize(
    "item",
    [
        {"kind": "sms_mt", "code": "N201", "to": "16501112222", "text": "STOP"},
        {"kind": "sms_mo", "code": "N211", "to": "60856", "text": "STOP"},  # no sender
        {"kind": "subscription", "code": "N399", "status": "unrecognised", "mobile": "16501112222"},
    ],
)
def test_other_postbacks_are_no_consent_event(item: dict[str, str]) -> None:
    assert consent.event_of(item, "k", "e", "r", WORDS) is None


def test_evidence_text_is_cut_to_a_bounded_size_on_a_character_boundary() -> None:
    cut = consent.evidence_text("é" * 200)
    assert cut is not None
    assert len(cut.encode()) <= consent.EVIDENCE_TEXT_BYTES
    assert set(cut) == {"é"}


@pytest.mark.parametrize(
    ("number", "to", "kept"),
    [("1" * 15, "9" * 15, True), ("1" * 16, "60856", False), ("16501112222", "9" * 16, False)],
)
def test_numbers_and_programs_longer_than_e164_are_no_consent_event(number: str, to: str, kept: bool) -> None:
    mo = {"kind": "sms_mo", "code": "N211", "from": number, "to": to, "text": "STOP"}
    assert (consent.event_of(mo, "k", "e", "r", WORDS) is not None) is kept


@pytest.mark.parametrize(
    ("local", "campaign", "kept"), [("a" * 242, "c" * 55, True), ("a" * 243, "c", False), ("a", "c" * 56, False)]
)
def test_email_and_campaign_bounds(local: str, campaign: str, kept: bool) -> None:
    sub = {"kind": "email_subscription", "code": "N304", "status": "unsubscribed", "email": f"{local}@example.com"}
    event = consent.event_of({**sub, "campaign_id": campaign}, "k", "e", "r", WORDS)
    assert (event is not None) is kept
