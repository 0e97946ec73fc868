"""The prompt library: Jinja2 prompt templates with metadata, the incentive
catalog, baseline copy and evaluation suites. Shipped as package data."""

from pathlib import Path

PROMPTS_DIR = Path(__file__).resolve().parent
