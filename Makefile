# The two commands of the README. Both install what they need first.
.PHONY: setup dev demo check test browser lint format cassettes

setup:            ## install winback into .venv (builds the embedded model runtime once)
	scripts/setup.sh

dev:              ## install with the test and lint tools
	scripts/setup.sh dev

demo: setup       ## install, then the fitness-app scenario end to end, offline
	.venv/bin/winback demo

check: setup      ## install, then a real round trip to the (embedded) model
	.venv/bin/winback llm check

test: dev browser ## install, then lint and the whole test suite
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/python -m pytest

browser:          ## Debian's Chromium for the web app's browser tests (CI runs as root)
	@[ -x /usr/bin/chromium ] || { apt-get update -qq && apt-get install -y -qq chromium; }

lint: dev
	.venv/bin/ruff check . && .venv/bin/ruff format --check .

format: dev
	.venv/bin/ruff format . && .venv/bin/ruff check --fix .

cassettes: dev    ## re-record every LLM cassette against the embedded model (or WINBACK_BASE_URL)
	.venv/bin/python -m pytest --record-mode=rewrite -m "not embedded" tests
