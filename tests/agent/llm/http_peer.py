"""A real local HTTP peer that answers like an OpenAI-compatible endpoint, for the client tests.

`Peer` is a tiny HTTP server in a thread that answers POSTs from a script of
(status, headers, body), repeating the last entry, optionally after a delay
(a slow model); it stands in for a remote endpoint's failure modes (429, 5xx,
401, slowness) that the embedded server never produces. The `peer_factory`
fixture (conftest.py) starts peers and closes them after the test.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from agent.settings import Settings, load_settings


def completion(text: str = "hello", prompt_tokens: int = 11, completion_tokens: int = 3) -> dict:
    """A chat completion body with this text and usage."""
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 0,
        "model": "gpt-4o-mini",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


class Peer:
    """Answers POSTs from a script of (status, headers, body) after `delay` seconds."""

    def __init__(self, script: list[tuple[int, dict, dict]], delay: float = 0.0) -> None:
        self.script = list(script)
        self.delay = delay
        self.requests: list[dict] = []
        self.times: list[float] = []
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("content-length", 0))
                peer.requests.append(json.loads(self.rfile.read(length)))
                peer.times.append(time.monotonic())
                status, headers, body = peer.script[min(len(peer.requests), len(peer.script)) - 1]
                time.sleep(peer.delay)
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    for k, v in {"content-type": "application/json", **headers}.items():
                        self.send_header(k, v)
                    self.send_header("content-length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client gave up waiting
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


def endpoint_settings(url: str, **extra: Any) -> Settings:
    """Settings that reach `url` as an OpenAI endpoint, with `extra` flags."""
    flags = {"provider": "openai", "base_url": url, "api_key": "sk-test", "model": "gpt-4o-mini"}
    return load_settings({**flags, **extra})


def settings_for(peer: Peer, **extra: Any) -> Settings:
    """Settings that reach `peer`, with `extra` flags."""
    return endpoint_settings(peer.url, **extra)
