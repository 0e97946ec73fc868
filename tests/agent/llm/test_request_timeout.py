"""The request timeout adapts to the model's measured speed, and a slow reply is waited for.

A real local HTTP peer that answers after a delay stands in for a slow model
(an embedded model on a busy machine); the client's timeout floor is set far
below the delay.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from agent.errors import LLMError
from agent.llm.client import LLM, TIMEOUT_MARGIN
from agent.llm.usage import fit_speed
from agent.settings import load_settings
from tests.agent.llm.test_transport import completion


class SlowPeer:
    """Answers every POST with a completion after `delay` seconds."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.requests = 0
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("content-length", 0)))
                peer.requests += 1
                time.sleep(peer.delay)
                data = json.dumps(completion("slow but fine", 20, 30)).encode()
                try:
                    self.send_response(200)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client gave up on this attempt
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def slow_peer():
    peers: list[SlowPeer] = []

    def make(delay: float) -> SlowPeer:
        peers.append(SlowPeer(delay))
        return peers[-1]

    yield make
    for p in peers:
        p.close()


def settings(url: str, timeout: float):
    return load_settings(
        {
            "provider": "openai",
            "base_url": url,
            "api_key": "sk-test",
            "model": "gpt-4o-mini",
            "max_retries": 0,
            "timeout": timeout,
            "cache": False,
        }
    )


def test_a_reply_slower_than_the_floor_is_waited_for_by_doubling(slow_peer):
    peer = slow_peer(1.2)
    with LLM(settings(peer.url, 0.4)) as llm:
        reply = llm.complete([("user", "hi")], max_tokens=16)
        assert reply.text == "slow but fine"
        assert peer.requests == 3  # 0.4 s, 0.8 s, then 1.6 s was enough
        assert llm.last_timeout == pytest.approx(1.6)


def test_a_reply_that_never_comes_fails_naming_the_timeout(slow_peer):
    peer = slow_peer(5.0)
    with LLM(settings(peer.url, 0.2)) as llm, pytest.raises(LLMError) as caught:
        llm.complete([("user", "hi")], max_tokens=16)
    assert "timed out" in caught.value.message and "up to 1 s per request" in caught.value.message
    assert "WINBACK_TIMEOUT" in caught.value.fix


def test_the_timeout_follows_the_measured_speed():
    with LLM(settings("http://127.0.0.1:9/v1", 30.0)) as llm:
        msgs = [{"role": "user", "content": "x" * 300}]
        assert llm.request_timeout(msgs, 500) == 30.0  # nothing measured: the floor
        for _ in range(4):  # a slow model: 2 s per output token, 0.02 s per input token
            llm.usage.add(
                provider="openai",
                model="m",
                input_tokens=100,
                output_tokens=50,
                cached=False,
                seconds=100 * 0.02 + 50 * 2.0,
            )
            llm.usage.add(
                provider="openai",
                model="m",
                input_tokens=400,
                output_tokens=10,
                cached=False,
                seconds=400 * 0.02 + 10 * 2.0,
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
