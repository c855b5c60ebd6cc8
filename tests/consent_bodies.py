"""Inbound messages and subscription postbacks for the consent ledger's tests, in the vendor's XML."""

from __future__ import annotations

from xml.sax.saxutils import escape

NUMBER = "16501112222"
SHORTCODE = "60856"


def mo(text: str, at: str, number: str = NUMBER, shortcode: str = SHORTCODE) -> bytes:
    """An SMS MO (N211) as Skycore posts it; RECEIVED is the vendor's time."""
    return (
        f"<POSTBACK><ORIGIN>SMS_MO</ORIGIN><CODE>N211</CODE><FROM>{number}</FROM><TO>{shortcode}</TO>"
        f"<TEXT>{escape(text)}</TEXT><RECEIVED>{at}</RECEIVED></POSTBACK>"
    ).encode()


def subscription(code: str, at: str, number: str = NUMBER, shortcode: str = SHORTCODE) -> bytes:
    """N301 (subscribed) or N302 (unsubscribed) for a number, with campaign and shortcode."""
    return (
        f"<POSTBACK><ORIGIN>SUB</ORIGIN><CODE>{code}</CODE><MOBILE>{number}</MOBILE><CAMPAIGNID>4242</CAMPAIGNID>"
        f"<SHORTCODE>{shortcode}</SHORTCODE><SOURCE>MANAGER</SOURCE><TIMESTAMP>{at}</TIMESTAMP></POSTBACK>"
    ).encode()
