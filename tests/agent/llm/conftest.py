"""Fixtures of the LLM client tests."""

from __future__ import annotations

import pytest

from tests.agent.llm.http_peer import Peer


@pytest.fixture
def peer_factory():
    """`make(*script, delay=0.0)` starts a `Peer`; every peer is closed after the test."""
    peers: list[Peer] = []

    def make(*script: tuple[int, dict, dict], delay: float = 0.0) -> Peer:
        peers.append(Peer(list(script), delay))
        return peers[-1]

    yield make
    for p in peers:
        p.close()
