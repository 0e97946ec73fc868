"""Transport faults, the response cache and usage, against a real local HTTP peer.

The peer (`http_peer.Peer`, from the `peer_factory` fixture) is a tiny
OpenAI-shaped HTTP server in a thread that answers from a script (status,
headers, body); it stands in for a remote endpoint's failure modes (429, 5xx,
401) that the embedded server never produces.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from agent.cli import app
from agent.errors import LLMError, RunFailed
from agent.llm.client import LLM
from agent.llm.usage import estimate_cost
from tests.agent.llm.http_peer import completion, settings_for

ERROR = {"error": {"message": "slow down", "type": "rate_limit"}}


def test_429_is_retried_honouring_retry_after(peer_factory):
    peer = peer_factory(
        (429, {"retry-after-ms": "400"}, ERROR),
        (429, {"retry-after-ms": "400"}, ERROR),
        (200, {}, completion("back again")),
    )
    with LLM(settings_for(peer, max_retries=3)) as llm:
        assert llm.chat([("user", "hi")]) == "back again"
    assert len(peer.requests) == 3
    gaps = [b - a for a, b in zip(peer.times, peer.times[1:], strict=False)]
    assert all(g >= 0.35 for g in gaps), gaps


def test_5xx_gives_up_after_max_retries_with_exit_1(peer_factory):
    peer = peer_factory((503, {"retry-after-ms": "10"}, {"error": {"message": "overloaded"}}))
    with LLM(settings_for(peer, max_retries=2)) as llm, pytest.raises(RunFailed) as err:
        llm.chat([("user", "hi")])
    assert len(peer.requests) == 3
    assert "HTTP 503" in str(err.value) and err.value.exit_code == 1


def test_rate_limit_exhausted_is_a_failed_run(peer_factory):
    peer = peer_factory((429, {"retry-after-ms": "10"}, ERROR))
    with LLM(settings_for(peer, max_retries=1)) as llm, pytest.raises(RunFailed) as err:
        llm.chat([("user", "hi")])
    assert "rate-limiting (HTTP 429) after 1 retries" in str(err.value)


def test_invalid_api_key_is_exit_2(peer_factory):
    peer = peer_factory((401, {}, {"error": {"message": "Incorrect API key provided"}}))
    result = CliRunner().invoke(
        app, ["llm", "check", "--base-url", peer.url, "--json"], env={"WINBACK_API_KEY": "sk-bad"}
    )
    assert result.exit_code == 2
    assert "rejected the API key (HTTP 401)" in result.stderr
    assert json.loads(result.stdout)["ok"] is False
    assert len(peer.requests) == 1  # 401 is not retried


def test_unknown_model_404(peer_factory):
    peer = peer_factory((404, {}, {"error": {"message": "model not found"}}))
    with LLM(settings_for(peer)) as llm, pytest.raises(LLMError) as err:
        llm.chat([("user", "hi")])
    assert "unknown model or wrong base URL" in str(err.value)


def test_unreachable_base_url_is_exit_2():
    result = CliRunner().invoke(
        app,
        ["llm", "check", "--base-url", "http://127.0.0.1:9/v1"],
        env={"WINBACK_MAX_RETRIES": "1"},
    )
    assert result.exit_code == 2
    assert "Could not reach the model endpoint http://127.0.0.1:9/v1" in result.stderr
    assert "Traceback" not in result.output


def test_base_url_must_be_http():
    result = CliRunner().invoke(app, ["llm", "check", "--base-url", "localhost:11434"])
    assert result.exit_code == 2
    assert "is not an http(s) URL" in result.stderr


def test_check_against_openai_compatible_endpoint(peer_factory):
    peer = peer_factory((200, {}, completion("Welcome back!", 40, 5)))
    result = CliRunner().invoke(app, ["llm", "check", "--base-url", peer.url, "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["ok"] is True and out["provider"] == "openai" and out["model"] == "gpt-4o-mini"
    assert out["reason"] == "auto: a base URL is configured"
    assert (out["input_tokens"], out["output_tokens"]) == (40, 5)
    assert peer.requests[0]["model"] == "gpt-4o-mini"


def test_cache_serves_repeats_and_keys_on_parameters(peer_factory):
    peer = peer_factory((200, {}, completion("cached reply", 100, 20)))
    settings = settings_for(peer, cache=True)
    with LLM(settings) as llm:
        assert llm.chat([("user", "hi")]) == "cached reply"
        assert llm.chat([("user", "hi")]) == "cached reply"
        llm.chat([("user", "hi")], temperature=0.9)
        llm.chat([("user", "hello")])
        usage = llm.usage.summary()
    assert len(peer.requests) == 3
    assert usage["calls"] == 3 and usage["cached_calls"] == 1
    assert usage["input_tokens"] == 300 and usage["output_tokens"] == 60
    assert usage["cost_usd"] == pytest.approx(3 * estimate_cost("openai", "gpt-4o-mini", 100, 20))
    # a new command (new process) reuses the same cache file
    with LLM(settings) as llm:
        llm.chat([("user", "hi")])
        assert llm.usage.summary()["calls"] == 0
    with LLM(settings, cache=False) as llm:
        llm.chat([("user", "hi")])
    assert len(peer.requests) == 4


@pytest.mark.parametrize(
    ("provider", "model", "expected"),
    [
        ("openai", "gpt-4o-mini", 0.15 + 0.60),
        ("openai", "gpt-4o-mini-2024-07-18", 0.15 + 0.60),
        ("openai", "gpt-4o", 2.50 + 10.00),
        ("openai", "llama3.1:8b", None),
        ("local", "smollm2-135m-instruct", 0.0),
    ],
)
def test_cost_estimates(provider, model, expected):
    cost = estimate_cost(provider, model, 1_000_000, 1_000_000)
    assert cost == (pytest.approx(expected) if expected is not None else None)


def test_half_emitted_characters_become_replacement_characters(peer_factory):
    """A small model can stop inside a character: the server sends a lone \\ud849."""
    from pydantic import BaseModel

    class Title(BaseModel):
        title: str

    call = completion("")
    call["choices"][0]["message"] = {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "c1",
                "type": "function",
                "function": {"name": "Title", "arguments": json.dumps({"title": "Hi \ud849"})},
            }
        ],
    }
    peer = peer_factory((200, {}, completion("cut off \ud849")), (200, {}, call))
    with LLM(settings_for(peer, cache=True)) as llm:
        assert llm.chat([("user", "hi")]) == "cut off \ufffd"
        reply = llm.complete([("user", "title")], schema=Title)
        assert reply.tool_args == {"title": "Hi \ufffd"}
        assert llm.chat([("user", "hi")]) == "cut off \ufffd"  # stored, then served
        assert llm.usage.summary()["cached_calls"] == 1
