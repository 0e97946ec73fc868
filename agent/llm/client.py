"""One command's access to the language model.

`LLM` is the only way winback talks to a model. It goes through LangChain's
`ChatOpenAI` over the OpenAI-compatible HTTP API for every provider, so the
tests' cassettes exercise the production client. On top of that client it adds:

- the embedded server, started on the first call that is not cached and
  stopped when the command ends;
- the response cache (`agent.llm.cache`), keyed by everything that shapes a reply;
- usage and estimated cost (`agent.llm.usage`);
- structured output by forced tool calling (grammar-constrained on the
  embedded server, native on OpenAI), validated with pydantic and by an
  optional sense check, with failures fed back to the model and retried a
  bounded number of times, then a `StructuredOutputError` with every attempt;
- transport faults (429, 5xx, timeouts, refused connections) retried by the
  OpenAI SDK with exponential backoff and jitter, honouring `Retry-After`,
  then turned into an error that says what to do;
- a request timeout that adapts to the model's measured speed: the
  `timeout` setting is the floor, and each request may take up to
  `TIMEOUT_MARGIN` times what its prompt and `max_tokens` would take at the
  speed measured on this command's calls (else on the replies stored in the
  cache, `agent.llm.usage.fit_speed`). A request that still times out is
  sent again with twice the time, up to `TIMEOUT_DOUBLINGS` times, instead
  of failing the run on a slow or busy machine.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import openai
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel, ValidationError

from agent.errors import LLMError, RunFailed, StructuredOutputError
from agent.llm.cache import ResponseCache, cache_key
from agent.llm.endpoint import EndpointChoice, choose_endpoint, local_server_for
from agent.llm.local_server import LocalServer
from agent.llm.usage import MIN_HISTORY, Speed, UsageMeter, fit_speed, stored_replies
from agent.settings import Settings

T = TypeVar("T", bound=BaseModel)
TIMEOUT_MARGIN = 3.0  # a request may take this many times its predicted duration
TIMEOUT_DOUBLINGS = 2  # a timed-out request is re-sent with twice the time, this many times
MAX_TIMEOUT = 3600.0
CHARS_PER_TOKEN = 3.0  # prompt size before the server counts it (conservative for English)
Message = Mapping[str, str] | tuple[str, str]


@dataclass
class Completion:
    """One model reply: text or tool-call arguments, with usage."""

    text: str
    tool_args: dict[str, Any] | None
    raw: str
    input_tokens: int
    output_tokens: int
    cached: bool
    seconds: float


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _no_lone_surrogates(value: Any) -> Any:
    """Model text with half-emitted characters replaced by U+FFFD.

    Small models sometimes stop inside a multi-byte character; the server then sends
    a JSON escape such as \\ud849 with no partner, a string that cannot be written as
    UTF-8 (to the cache, the queue or an export file).
    """
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {k: _no_lone_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_no_lone_surrogates(v) for v in value]
    return value


def _normalize(messages: Iterable[Message]) -> list[dict[str, str]]:
    out = []
    for message in messages:
        role, content = (
            (message["role"], message["content"])
            if isinstance(message, Mapping)
            else (message[0], message[1])
        )
        if role not in ("system", "user", "assistant"):
            raise ValueError(f"unknown message role {role!r}")
        out.append({"role": role, "content": str(content)})
    return out


def _to_langchain(messages: list[dict[str, str]]) -> list[BaseMessage]:
    kinds = {"system": SystemMessage, "user": HumanMessage, "assistant": AIMessage}
    return [kinds[m["role"]](content=m["content"]) for m in messages]


def format_validation_errors(exc: ValidationError) -> str:
    """Pydantic errors as `field: message` items, the way users and models read them."""
    items = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "(root)"
        items.append(f"{where}: {err['msg']}")
    return "; ".join(items)


class LLM:
    """The model a command uses: lazy embedded server, cache, usage, retries."""

    def __init__(self, settings: Settings, *, cache: bool | None = None) -> None:
        self.settings = settings
        self.choice: EndpointChoice = choose_endpoint(settings)
        self.usage = UsageMeter()
        use_cache = settings.cache if cache is None else cache
        self.cache = ResponseCache(settings.cache_path) if use_cache else None
        self.server: LocalServer | None = None
        self._client = None
        self._stored_speed: Speed | bool | None = False  # False: not read yet
        self.last_timeout: float = settings.timeout

    # -- lifecycle -------------------------------------------------------------
    def __enter__(self) -> LLM:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the embedded server if this command started it; close the cache."""
        if self.server is not None:
            self.server.stop()
            self.server = None
        if self.cache is not None:
            self.cache.close()
            self.cache = None

    @property
    def provider(self) -> str:
        """`openai` or `local`."""
        return self.choice.provider

    @property
    def model(self) -> str:
        """The model name sent in requests."""
        return self.choice.model

    @property
    def base_url(self) -> str:
        """The endpoint in use (the embedded server's URL once it runs)."""
        if self.provider == "local":
            return self.server.base_url if self.server else "(embedded, not started)"
        return self.choice.base_url or "https://api.openai.com/v1"

    def _chat_model(self):
        if self._client is None:
            from langchain_openai import ChatOpenAI

            base_url, api_key = self.choice.base_url, self.choice.api_key
            if self.provider == "local":
                self.server = local_server_for(self.settings).start()
                base_url = self.server.base_url
            self._client = ChatOpenAI(
                model=self.choice.model,
                base_url=base_url,
                api_key=api_key,
                temperature=self.settings.temperature,
                seed=self.settings.seed,
                timeout=self.settings.timeout,
                max_retries=self.settings.max_retries,
            )
        return self._client

    # -- calls -----------------------------------------------------------------
    def complete(
        self,
        messages: Iterable[Message],
        *,
        schema: type[BaseModel] | None = None,
        max_tokens: int = 512,
        temperature: float | None = None,
        use_cache: bool = True,
    ) -> Completion:
        """One request: plain text, or forced tool-call arguments when `schema` is given."""
        msgs = _normalize(messages)
        temperature = self.settings.temperature if temperature is None else temperature
        payload = {
            "provider": self.provider,
            "model": self.model,
            "messages": msgs,
            "temperature": temperature,
            "seed": self.settings.seed,
            "max_tokens": max_tokens,
            "schema": schema.model_json_schema() if schema else None,
        }
        key = cache_key(payload)
        if use_cache and self.cache is not None:
            hit = self.cache.get(key)
            if hit is not None:
                completion = Completion(**{**hit, "cached": True, "seconds": 0.0})
                self._record(completion)
                return completion

        params: dict[str, Any] = {"max_tokens": max_tokens, "temperature": temperature}
        if self.provider == "local" or self.choice.base_url:
            # LangChain sends max_completion_tokens; llama.cpp and older
            # self-hosted servers only honour max_tokens.
            params["extra_body"] = {"max_tokens": max_tokens}
        chat_model = self._chat_model()
        if schema is not None:
            runnable = chat_model.bind_tools([schema], tool_choice=schema.__name__, **params)
        else:
            runnable = chat_model.bind(**params)
        started = time.monotonic()
        timeout = self.request_timeout(msgs, max_tokens)
        for doubling in range(TIMEOUT_DOUBLINGS + 1):
            self.last_timeout = timeout
            try:
                reply: AIMessage = runnable.invoke(_to_langchain(msgs), timeout=timeout)
                break
            except openai.APITimeoutError as exc:
                if doubling == TIMEOUT_DOUBLINGS or timeout >= MAX_TIMEOUT:
                    raise self._translate(exc) from exc
                timeout = min(timeout * 2, MAX_TIMEOUT)
            except openai.OpenAIError as exc:
                raise self._translate(exc) from exc
        completion = self._completion_from(reply, time.monotonic() - started)
        self._record(completion)
        if self.cache is not None:
            # the time it took is kept (read back as 0 s): it measures the model's speed
            # for `winback run --dry-run` (agent.run.estimate)
            stored = {k: v for k, v in completion.__dict__.items() if k != "cached"}
            self.cache.put(key, self.model, stored)
        return completion

    def chat(self, messages: Iterable[Message], **kwargs: Any) -> str:
        """Plain-text reply."""
        return self.complete(messages, **kwargs).text

    def structured(
        self,
        schema: type[T],
        messages: Iterable[Message],
        *,
        check: Callable[[T], list[str]] | None = None,
        retries: int | None = None,
        max_tokens: int = 768,
        temperature: float | None = None,
    ) -> T:
        """A validated `schema` instance; invalid output is fed back and retried.

        `check` adds sense checks beyond types (return a list of problems).
        Raises `StructuredOutputError` with every attempt when retries run out.
        """
        retries = self.settings.llm_retries if retries is None else retries
        name = schema.__name__
        conversation = _normalize(messages)
        attempts: list[dict[str, Any]] = []
        for _ in range(retries + 1):
            reply = self.complete(
                conversation, schema=schema, max_tokens=max_tokens, temperature=temperature
            )
            if reply.tool_args is None:
                problems = f"the reply was not a JSON call of {name}"
            else:
                try:
                    value = schema.model_validate(reply.tool_args)
                except ValidationError as exc:
                    problems = format_validation_errors(exc)
                else:
                    found = check(value) if check else []
                    if not found:
                        return value
                    problems = "; ".join(found)
            attempts.append({"raw": reply.raw, "errors": problems})
            conversation = [
                *conversation,
                {"role": "assistant", "content": reply.raw[:4000]},
                {
                    "role": "user",
                    "content": (
                        f"That {name} output has problems: {problems}. Call {name} again "
                        "with every problem fixed and the correct fields kept."
                    ),
                },
            ]
        raise StructuredOutputError(name, attempts)

    # -- helpers ---------------------------------------------------------------
    def speed(self) -> Speed | None:
        """The model's speed: this command's calls, else the cache's stored replies."""
        timed = self.usage.timed_calls()
        if len(timed) >= MIN_HISTORY or (timed and self._history_speed() is None):
            return fit_speed(timed, "this command's calls")
        return self._history_speed()

    def _history_speed(self) -> Speed | None:
        if self._stored_speed is False:
            replies = stored_replies(self.cache.path, self.model) if self.cache is not None else []
            self._stored_speed = fit_speed(
                [(r["input_tokens"], r["output_tokens"], r["seconds"]) for r in replies],
                "stored replies",
            )
        return self._stored_speed or None

    def request_timeout(self, messages: list[dict[str, str]], max_tokens: int) -> float:
        """Seconds one request may take: the setting, or more on a model measured slow."""
        speed = self.speed()
        if speed is None:
            return self.settings.timeout
        prompt_tokens = sum(len(m["content"]) for m in messages) / CHARS_PER_TOKEN
        predicted = speed.seconds(prompt_tokens, max_tokens)
        return min(max(self.settings.timeout, TIMEOUT_MARGIN * predicted), MAX_TIMEOUT)

    def _record(self, completion: Completion) -> None:
        self.usage.add(
            provider=self.provider,
            model=self.model,
            input_tokens=completion.input_tokens,
            output_tokens=completion.output_tokens,
            cached=completion.cached,
            seconds=completion.seconds,
        )

    @staticmethod
    def _completion_from(reply: AIMessage, seconds: float) -> Completion:
        usage = reply.usage_metadata or {}
        tool_args, raw = None, ""
        if reply.tool_calls:
            tool_args = _no_lone_surrogates(reply.tool_calls[0]["args"])
            raw = json.dumps(tool_args, ensure_ascii=False)
        elif reply.invalid_tool_calls:
            raw = _no_lone_surrogates(str(reply.invalid_tool_calls[0].get("args") or ""))
        text = reply.content if isinstance(reply.content, str) else json.dumps(reply.content)
        text = _no_lone_surrogates(text)
        return Completion(
            text=text,
            tool_args=tool_args,
            raw=raw or text,
            input_tokens=int(usage.get("input_tokens", 0)),
            output_tokens=int(usage.get("output_tokens", 0)),
            cached=False,
            seconds=seconds,
        )

    def _translate(self, exc: openai.OpenAIError) -> Exception:
        where = f"{self.base_url} (model {self.model})"
        retries = self.settings.max_retries
        if isinstance(exc, openai.APITimeoutError):
            speed = self.speed()
            measured = (
                f"; measured {speed.output_tokens_per_second:.1f} tokens/s"
                if speed is not None
                else ""
            )
            return LLMError(
                f"The model endpoint {where} timed out after {retries} retries with up to "
                f"{self.last_timeout:.0f} s per request{measured}",
                "Raise WINBACK_TIMEOUT (the per-request floor), use a faster model or machine, "
                "or check that the endpoint is up.",
            )
        if isinstance(exc, openai.APIConnectionError):
            return LLMError(
                f"Could not reach the model endpoint {where} after {retries} retries",
                "Check --base-url / WINBACK_BASE_URL and that the server is running, "
                "or unset them to use the embedded model.",
            )
        if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
            return LLMError(
                f"The model endpoint {where} rejected the API key (HTTP {exc.status_code})",
                "Check OPENAI_API_KEY / WINBACK_API_KEY.",
            )
        if isinstance(exc, openai.NotFoundError):
            return LLMError(
                f"The model endpoint {where} answered 404: unknown model or wrong base URL",
                "Check --model / WINBACK_MODEL and that the base URL ends in /v1.",
            )
        if isinstance(exc, openai.RateLimitError):
            return RunFailed(
                f"The model endpoint {where} kept rate-limiting (HTTP 429) after {retries} retries",
                "Wait and re-run (cached replies are reused), or raise WINBACK_MAX_RETRIES.",
            )
        if isinstance(exc, openai.APIStatusError):
            body = str(getattr(exc, "message", exc))[:200]
            return RunFailed(
                f"The model endpoint {where} failed with HTTP {exc.status_code}: {body}",
                "Re-run later (cached replies are reused); see README 'Use another model'.",
            )
        return RunFailed(f"The model call failed: {exc}", "Re-run with --debug for details.")
