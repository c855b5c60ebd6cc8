"""The status rule: a message's current status is a function of the set of its postbacks, nothing else.

The postback that decides is the greatest by its precedence, compared field by field:
1. the outcome rank (`codes.rank`): a final outcome beats "sent", anything beats "unrecognised";
2. the vendor's own time (TIMESTAMP, else the notification's `created`) between postbacks of one rank;
   a postback without a usable vendor time counts as the earliest instant of its rank, so an
   undated E102 never beats a dated N102, however late its retry arrives;
3. the outcome (`OUTCOME_PRECEDENCE`) between postbacks of one rank and one time: the less favourable
   wins, so no status claims a delivery, subscription or install that evidence of the same instant
   contradicts (and an opt-out wins a tie, as consent law requires);
4. the fingerprint, between postbacks of one rank, time and outcome: true duplicates of meaning.
Arrival time and arrival order never enter it, so redeliveries and reordering cannot change the answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from postbacks.domain import codes
from postbacks.domain.codes import Status
from postbacks.domain.models import Postback

# Statuses that mean the message did not get through: what `list --status` and the failures index serve.
FAILURES: frozenset[Status] = frozenset(
    {Status.FAILED, Status.EXPIRED, Status.REJECTED, Status.NOT_SUPPORTED, Status.ENCODING_FAILED}
    | {Status.PASS_FAILED, Status.PASS_LIMIT_REACHED, Status.PASS_NO_CREDITS}
)


# Same rank, same vendor time: the outcome first in this list wins (only same-rank outcomes ever meet).
OUTCOME_PRECEDENCE: tuple[Status, ...] = (
    Status.REJECTED,
    Status.NOT_SUPPORTED,
    Status.EXPIRED,
    Status.FAILED,
    Status.ENCODING_FAILED,
    Status.PASS_NO_CREDITS,
    Status.PASS_LIMIT_REACHED,
    Status.PASS_FAILED,
    Status.UNSUBSCRIBED,
    Status.PASS_UNINSTALLED,
    Status.DELIVERED,
    Status.RECEIVED,
    Status.SAVED,
    Status.SUBSCRIBED,
    Status.PASS_GENERATED,
    Status.PASS_INSTALLED,
    Status.SENT,
    Status.UNRECOGNISED,
)


@dataclass(frozen=True, slots=True, order=True)
class Precedence:
    """Where one postback stands among its message's postbacks; greater wins."""

    rank: int
    vendor_at: str  # UTC ISO 8601 of fixed width; "" when the vendor gave no usable time
    outcome: int  # `outcome_weight`: greater is less favourable
    fingerprint: str


def outcome_weight(status: Status) -> int:
    """0 for the most favourable outcome (`unrecognised`), up to 17 for `rejected`."""
    return len(OUTCOME_PRECEDENCE) - 1 - OUTCOME_PRECEDENCE.index(status)


def vendor_time(postback: Postback) -> str | None:
    """The vendor's own time of the event, never the time we received it."""
    return postback.timestamp or postback.notification_created


def precedence(postback: Postback) -> Precedence:
    status = postback.status
    return Precedence(codes.rank(status), vendor_time(postback) or "", outcome_weight(status), postback.fingerprint())


def deciding(postbacks: Iterable[Postback]) -> Postback | None:
    """The postback whose status is the message's status; None for no postbacks."""
    return max(postbacks, key=precedence, default=None)


def current_status(postbacks: Iterable[Postback]) -> Status:
    winner = deciding(postbacks)
    return Status.UNRECOGNISED if winner is None else winner.status


def is_failure(status: Status | str) -> bool:
    return status in FAILURES
