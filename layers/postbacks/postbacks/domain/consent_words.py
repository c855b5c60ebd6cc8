"""Consent words: the phrases that make an inbound message an opt-out, an opt-in or a request for help.

The defaults are data (data/consent_words.csv); a customer replaces any list at deploy time (`words_from`).
A message is matched whole, case, spaces and punctuation aside; one that merely mentions an opt-out word is a
possible opt-out, for review.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources


class Action(StrEnum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"
    POSSIBLE_OPT_OUT = "possible_opt_out"


@dataclass(frozen=True, slots=True)
class Words:
    """Normalised phrases per action; an inbound message equal to one of them is that action."""

    opt_out: frozenset[str]
    opt_in: frozenset[str]
    help: frozenset[str]

    def exact(self, text: str | None) -> Action | None:
        phrase = normalise(text or "")
        # Opt-out first: a word a customer put in two lists must never fail to stop messages.
        for action, phrases in ((Action.OPT_OUT, self.opt_out), (Action.OPT_IN, self.opt_in), (Action.HELP, self.help)):
            if phrase and phrase in phrases:
                return action
        return None

    def mentions_opt_out(self, text: str | None) -> bool:
        padded = f" {normalise(text or '')} "
        return any(f" {phrase} " in padded for phrase in self.opt_out)


def normalise(text: str) -> str:
    """Case-folded words separated by one space: "  Opt-Out! " and "opt out" are one phrase."""
    return " ".join(re.sub(r"[\W_]+", " ", text.casefold()).split())


@cache
def default_words() -> Words:
    text = resources.files("postbacks.domain").joinpath("data/consent_words.csv").read_text("utf-8")
    rows = list(csv.DictReader(line for line in text.splitlines() if not line.startswith("#")))
    return _words({action.value: [row["phrase"] for row in rows if row["action"] == action] for action in Action})


def words_from(override: str | None) -> Words:
    """The defaults, with each list named in `override` (JSON: {"opt_out": [...], ...}) replaced by it."""
    if not override or not override.strip():
        return default_words()
    try:
        lists = json.loads(override)
    except json.JSONDecodeError as error:
        raise ValueError(f"consent words are not JSON: {error.msg}") from None
    allowed = {Action.OPT_OUT.value, Action.OPT_IN.value, Action.HELP.value}
    if not isinstance(lists, dict) or set(lists) - allowed:
        raise ValueError(f"consent words must be a JSON object with keys among {sorted(allowed)}")
    if not all(isinstance(v, list) and all(isinstance(w, str) for w in v) for v in lists.values()):
        raise ValueError("each list of consent words must be a JSON array of strings")
    defaults = default_words()
    current = {"opt_out": defaults.opt_out, "opt_in": defaults.opt_in, "help": defaults.help}
    return _words({**current, **lists})


def _words(lists: Mapping[str, Iterable[str]]) -> Words:
    def phrases(name: str) -> frozenset[str]:
        return frozenset(normalise(word) for word in lists.get(name, ()) if normalise(word))

    return Words(phrases("opt_out"), phrases("opt_in"), phrases("help"))


def classify(text: str | None, keyword: str | None, words: Words) -> Action | None:
    """What an inbound message means for consent; None for an ordinary message."""
    for candidate in (keyword, text):
        action = words.exact(candidate)
        if action is not None:
            return action
    return Action.POSSIBLE_OPT_OUT if words.mentions_opt_out(text) else None
