"""The request timeout adapts to the model's measured speed, and a slow reply is waited for.

A real local HTTP peer that answers after a delay stands in for a slow model
(an embedded model on a busy machine); the client's timeout floor is set far
below the delay.
"""

from __future__ import annotations

import pytest

from agent.errors import LLMError
from agent.llm.client import LLM, TIMEOUT_MARGIN
from agent.llm.usage import fit_speed
from tests.agent.llm.http_peer import completion, endpoint_settings


def slow_peer(peer_factory, delay: float):
    """A peer that answers every request with a completion after `delay` seconds."""
    return peer_factory((200, {}, completion("slow but fine", 20, 30)), delay=delay)


def settings(url: str, timeout: float):
    return endpoint_settings(url, max_retries=0, timeout=timeout, cache=False)


def test_a_reply_slower_than_the_floor_is_waited_for_by_doubling(peer_factory):
    peer = slow_peer(peer_factory, 1.2)
    with LLM(settings(peer.url, 0.4)) as llm:
        reply = llm.complete([("user", "hi")], max_tokens=16)
        assert reply.text == "slow but fine"
        assert len(peer.requests) == 3  # 0.4 s, 0.8 s, then 1.6 s was enough
        assert llm.last_timeout == pytest.approx(1.6)


def test_a_reply_that_never_comes_fails_naming_the_timeout(peer_factory):
    peer = slow_peer(peer_factory, 5.0)
    with LLM(settings(peer.url, 0.2)) as llm, pytest.raises(LLMError) as caught:
        llm.complete([("user", "hi")], max_tokens=16)
    assert "timed out" in caught.value.message and "up to 1 s per request" in caught.value.message
    assert "WINBACK_TIMEOUT" in caught.value.fix


def test_the_timeout_follows_the_measured_speed():
    with LLM(settings("http://127.0.0.1:9/v1", 30.0)) as llm:
        msgs = [{"role": "user", "content": "x" * 300}]
        assert llm.request_timeout(msgs, 500) == 30.0  # nothing measured: the floor
        for _ in range(4):  # a slow model: 2 s per output token, 0.02 s per input token
            for tokens_in, tokens_out in ((100, 50), (400, 10)):
                llm.usage.add(
                    provider="openai",
                    model="m",
                    input_tokens=tokens_in,
                    output_tokens=tokens_out,
                    cached=False,
                    seconds=tokens_in * 0.02 + tokens_out * 2.0,
                )
        speed = llm.speed()
        assert speed.seconds_per_output_token == pytest.approx(2.0)
        expected = TIMEOUT_MARGIN * (100 * 0.02 + 500 * 2.0)
        assert llm.request_timeout(msgs, 500) == pytest.approx(expected)


def test_fit_speed_with_one_call_assumes_prompt_tokens_are_cheaper():
    speed = fit_speed([(1000, 100, 20.0)], "probe")
    # 20 s = 100 out x b + 1000 in x b/10  ->  b = 0.1
    assert speed.seconds_per_output_token == pytest.approx(0.1)
    assert speed.output_tokens_per_second == pytest.approx(10.0)
    assert fit_speed([], "none") is None and fit_speed([(10, 5, 0.0)], "cached") is None
