"""Is the secret in the postback URL one we accept? Constant time, whatever matches or not."""

from __future__ import annotations

import hmac
from collections.abc import Sequence


def is_authorised(presented: str, accepted: Sequence[str]) -> bool:
    candidate = presented.encode()
    matched = False
    # Every accepted secret is compared, so timing says nothing about which one (if any) matched.
    for secret in accepted:
        matched |= hmac.compare_digest(candidate, secret.encode())
    return matched and bool(accepted)
