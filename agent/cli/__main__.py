"""`python -m agent.cli`: the same as the `winback` command."""

from agent.cli import main

main()
