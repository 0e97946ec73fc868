"""The production LLM client against recorded embedded-model replies (vcrpy cassettes).

Recorded with `make cassettes` against the bundled SmolLM2 served by
llama_cpp.server; replayed with record mode `none`, so a request that differs
from the recording fails the test instead of reaching a network.
"""

from __future__ import annotations

from typing import Literal

import pytest
from pydantic import BaseModel, Field

from agent.errors import StructuredOutputError
from agent.llm.client import LLM


class Greeting(BaseModel):
    """A short greeting for a returning member."""

    text: str = Field(description="one friendly sentence")
    mood: Literal["warm", "playful", "calm"]


class LuckyNumber(BaseModel):
    """A number chosen by the model."""

    number: int


@pytest.mark.vcr
def test_chat_round_trip(llm_settings):
    with LLM(llm_settings) as llm:
        text = llm.chat(
            [("system", "You write short fitness copy."), ("user", "Say welcome back.")],
            max_tokens=32,
        )
        usage = llm.usage.summary()
    assert text.strip()
    assert usage["calls"] == 1 and usage["input_tokens"] > 0 and usage["output_tokens"] > 0


@pytest.mark.vcr
def test_structured_output_by_forced_tool_call(llm_settings):
    with LLM(llm_settings) as llm:
        greeting = llm.structured(
            Greeting, [("user", "Greet a yoga fan who is coming back after two weeks away.")]
        )
    assert isinstance(greeting, Greeting)
    assert greeting.mood in ("warm", "playful", "calm")


@pytest.mark.vcr
def test_invalid_output_is_fed_back_then_fails_cleanly(llm_settings, vcr):
    def check(value: LuckyNumber) -> list[str]:
        return [] if value.number == 424242 else [f"number must be 424242, got {value.number}"]

    with LLM(llm_settings) as llm, pytest.raises(StructuredOutputError) as err:
        llm.structured(
            LuckyNumber, [("user", "Pick a number between 1 and 10.")], check=check, retries=2
        )
    attempts = err.value.attempts
    assert len(attempts) == 3
    assert all("number must be 424242" in a["errors"] for a in attempts)
    assert err.value.exit_code == 1 and err.value.last_raw
    # the second and third requests carried the model's answer and the feedback
    bodies = [r.body.decode() for r in vcr.requests]
    assert len(bodies) == 3
    assert "has problems: number must be 424242" not in bodies[0]
    assert "has problems: number must be 424242" in bodies[1]
    assert bodies[2].count("has problems") == 2
