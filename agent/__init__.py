"""winback: win back drifting customers with guarded, human-approved LLM copy.

The `agent` package holds the orchestration: configuration, LLM access (one
OpenAI-compatible client path for hosted and embedded models), the queue and
the `winback` command line.
"""

__version__ = "0.1.0"
