"""The model: one OpenAI-compatible client, the embedded server it can start, the prompt library,
the response cache, usage metering and the schemas structured output is validated against."""
