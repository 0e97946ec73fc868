"""`winback llm ...`: check the active model, serve the embedded one."""

from __future__ import annotations

import typer

llm_app = typer.Typer(help="Check or serve the language model winback uses.", no_args_is_help=True)
