"""Fixtures of the unit tests."""

from __future__ import annotations

import pytest

from postbacks.storage.store import PostbackStore
from postbacks_cli.local_stacks import StackResources
from tests.helpers import save_seed, seed
from tests.moto.media_server import certificate, media, media_server, tls_media, tls_server, trusted  # noqa: F401


@pytest.fixture
def filled(stack: StackResources) -> StackResources:
    """A stack holding an MMS MT's two DLRs and an SMS MO."""
    store = PostbackStore(stack.table_name)
    for name in ("001_mms_mt_n101_binary.xml", "001_mms_mt_n102_binary.xml", "004_sms_mo_n211.xml"):
        save_seed(store, seed(name))
    return stack
